"""The router's socket directory: named after its process id, and the next router removes the directories that
routers killed without cleaning up (kill -9) left behind — never a live router's, another user's, or a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.cluster.paths import PREFIX, remove_stale_cluster_dirs


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_the_directories_of_dead_routers_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / f"{PREFIX}{dead_pid()}-abc"
    live = tmp_path / f"{PREFIX}{os.getpid()}-def"
    other = tmp_path / f"{PREFIX}notapid"
    a_file = tmp_path / f"{PREFIX}{dead_pid()}-file"
    for directory in (stale, live, other):
        directory.mkdir()
        (directory / "worker-0.sock").write_text("")
    a_file.write_text("")
    assert remove_stale_cluster_dirs(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and other.exists() and a_file.exists()
