"""Ids for sessions, jobs, uploads and watch links: unguessable, so an id in a URL is as good as a capability.

With several worker processes (`backprop-viz serve --workers N`) an id starts with the shard of the worker that
made it, `"<shard>.<random>"` (app/shards.py): the router sends every request naming it to that worker. With one
process (no shard) an id is the random part alone, as it always was.
"""

from __future__ import annotations

import secrets

SHARD_SEPARATOR = "."  # never in token_urlsafe's alphabet (A-Z a-z 0-9 - _), so a prefix is unambiguous


def new_id(shard: int | None = None) -> str:
    """An unguessable id: 128 random bits, URL-safe; prefixed with `shard` when there is one."""
    token = secrets.token_urlsafe(16)
    return token if shard is None else f"{shard}{SHARD_SEPARATOR}{token}"


def new_watch_token(shard: int | None = None) -> str:
    """A watch link's token (app/watch.py): as unguessable as a session id and unrelated to it, so that knowing
    the link tells nothing of the session id (the capability to change the session). Its prefix is the shard of
    the worker holding the session (links are not kept across restarts, so that worker is the one it names)."""
    return new_id(shard)
