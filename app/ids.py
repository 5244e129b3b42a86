"""Ids for sessions, jobs and uploaded data sets: unguessable, so an id in a URL is as good as a capability."""

from __future__ import annotations

import secrets


def new_id() -> str:
    """An unguessable id: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)
