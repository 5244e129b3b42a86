"""Where worker k listens: a Unix socket in the router's private directory (mode 0700, so only this user's
processes can reach a worker — the workers trust what arrives there, as the router has checked nothing but
forwards the caller's own headers, token included, for the worker to check)."""

from __future__ import annotations

from pathlib import Path


def socket_path(cluster_dir: Path, shard: int) -> Path:
    return Path(cluster_dir) / f"worker-{shard}.sock"
