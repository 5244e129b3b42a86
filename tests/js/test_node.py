"""The page's unit tests (tests/js/*.test.mjs: the store's reducers, the set-up and its link, the catalog reader)
under Node's built-in test runner, one pytest test per file, so `make test` runs them; a failure shows Node's
report. Without `node` the tests are skipped with the reason — except in CI (CI=true), where that fails
(scripts/ensure-node installs Debian's nodejs)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEST_FILES = sorted(HERE.glob("*.test.mjs"))


def node() -> str:
    path = shutil.which("node")
    if path is None:
        message = "node is missing: install it with scripts/ensure-node (apt-get install nodejs)"
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)
    return path


def test_there_are_js_tests() -> None:
    assert {f.name for f in TEST_FILES} >= {"store.test.mjs", "state.test.mjs", "catalog.test.mjs"}


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda f: f.name)
def test_js(test_file: Path) -> None:
    result = subprocess.run(
        [node(), "--test", str(test_file)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    report = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"node --test {test_file.relative_to(ROOT)} failed:\n{report}"
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) > 0, f"no test passed:\n{report}"
