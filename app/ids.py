"""Ids for sessions, jobs and uploaded data sets: unguessable, so an id in a URL is as good as a capability."""

from __future__ import annotations

import secrets


def new_id() -> str:
    """An unguessable id: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def new_watch_token() -> str:
    """A watch link's token (app/watch.py): as unguessable as a session id and unrelated to it, so that knowing
    the link tells nothing of the session id (the capability to change the session)."""
    return secrets.token_urlsafe(16)
