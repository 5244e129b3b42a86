"""Shared helpers for the lesson tests: the complete example of docs/lessons.md, and writing lesson files."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs" / "lessons.md"


@pytest.fixture
def docs_example() -> str:
    """The YAML block under "## A complete example" in docs/lessons.md."""
    section = DOCS.read_text(encoding="utf-8").split("## A complete example", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "docs/lessons.md has no yaml block under '## A complete example'"
    return match.group(1)


@pytest.fixture
def write_lesson(tmp_path: Path):
    """write_lesson(name, text) → the path of a lesson file in a fresh lessons directory (tmp_path/lessons)."""
    directory = tmp_path / "lessons"
    directory.mkdir()

    def write(name: str, text: str) -> Path:
        path = directory / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
