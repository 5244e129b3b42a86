"""Which worker process owns an id: the one rule the router and every worker share (`--workers N`).

An id made by a worker starts with its shard (`"3.Ab…"`, app/ids.py); the owner of shard s among N workers is
s mod N, so a data directory kept by 4 workers is served as well by 2 (each restores the shards it owns). An id
without a prefix (made by a single-process server) is owned by its CRC-32 mod N: stable across restarts.

`routed_id(path)` says which id a request's path names, if any — the sessions, their WebSockets, uploaded data
sets and watch links; everything else (the page, the catalog, lessons, new sessions) may go to any worker.
"""

from __future__ import annotations

import re
import zlib

from app.ids import SHARD_SEPARATOR

_PREFIX = re.compile(r"(\d{1,6})" + re.escape(SHARD_SEPARATOR))

# Paths whose next segment is an id that decides the owner. "/api/sessions/import" names none: any worker.
ROUTED_PREFIXES = (
    "/api/sessions/",
    "/ws/sessions/",
    "/api/datasets/",
    "/api/watch/",
    "/ws/watch/",
    "/watch/",
)
UNROUTED_SEGMENTS = frozenset({"import"})


def shard_of(identifier: str) -> int | None:
    """The shard prefix of an id, or None when it has none."""
    match = _PREFIX.match(identifier)
    return int(match.group(1)) if match else None


def owner(identifier: str, workers: int) -> int:
    """The worker (0 … workers − 1) that owns `identifier`."""
    if workers < 1:
        raise ValueError("there must be at least one worker")
    shard = shard_of(identifier)
    if shard is None:
        shard = zlib.crc32(identifier.encode("utf-8"))
    return shard % workers


def routed_id(path: str) -> str | None:
    """The id in a request path that decides its worker, or None for a path any worker answers."""
    for prefix in ROUTED_PREFIXES:
        if path.startswith(prefix):
            segment = path[len(prefix) :].split("/", 1)[0]
            if segment and segment not in UNROUTED_SEGMENTS:
                return segment
            return None
    return None
