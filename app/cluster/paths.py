"""Where worker k listens: a Unix socket in the router's private directory (mode 0700, so only this user's
processes can reach a worker — the workers trust what arrives there, as the router has checked nothing but
forwards the caller's own headers, token included, for the worker to check). The directory is named after the
router's process id, so the next router removes what one killed with -9 left behind."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

PREFIX = "backprop-viz-"
_MINE = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")


def make_cluster_dir() -> Path:
    """A private directory for this router's sockets, named after its process id, after removing those that
    routers killed without cleaning up (kill -9, a power cut) left behind."""
    remove_stale_cluster_dirs()
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))  # mode 0700


def remove_stale_cluster_dirs(root: Path | None = None) -> list[Path]:
    """Remove this user's socket directories whose router process is gone; the ones removed."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    for entry in root.glob(f"{PREFIX}*"):
        match = _MINE.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink() or entry.stat().st_uid != os.getuid():
            continue
        if _alive(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def socket_path(cluster_dir: Path, shard: int) -> Path:
    return Path(cluster_dir) / f"worker-{shard}.sock"
