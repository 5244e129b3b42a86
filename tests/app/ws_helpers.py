"""Helpers for the WebSocket tests (sessions are made with conftest's `api` fixture): run a command and collect
the events it caused, receive until a condition holds (bounded, so a missing event fails instead of hanging),
reach a session's hub in the app's event loop."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from app.hub import Hub

_request_ids = itertools.count(1)


def receive_until(ws: Any, done: Callable[[dict[str, Any]], bool], limit: int = 10_000) -> list[dict[str, Any]]:
    """Events up to and including the first for which `done` is true; fails after `limit` events."""
    events = []
    for _ in range(limit):
        event = ws.receive_json()
        events.append(event)
        if done(event):
            return events
    raise AssertionError(f"no matching event in {limit}; last ones: {[e['type'] for e in events[-10:]]}")


def command(ws: Any, type: str, **fields: Any) -> list[dict[str, Any]]:
    """Send a command with a fresh request_id; answer the events up to its own `state` or `error`."""
    request_id = f"r{next(_request_ids)}"
    ws.send_json({"type": type, "request_id": request_id, **fields})
    return receive_until(ws, lambda e: e["type"] in ("state", "error") and e.get("request_id") == request_id)


def own(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events a command caused (they carry its request_id), without play frames or syncs between them."""
    rid = events[-1].get("request_id")
    return [e for e in events if e.get("request_id") == rid]


def types(events: list[dict[str, Any]]) -> list[str]:
    """The events' types, without `flags` events: those come whenever the health flags change (a step may cross
    a threshold), and tests/app/test_ws_diagnostics.py checks them."""
    return [e["type"] for e in events if e["type"] != "flags"]


def without_flags(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events without `flags` events (see `types`)."""
    return [e for e in events if e["type"] != "flags"]


def hub_of(client: Any, session_id: str) -> Hub:
    """The hub of a session of the TestClient's app (made if it has none), got in the app's event loop."""
    state = client.app.state
    return client.portal.call(lambda: state.hubs.get(state.registry.get(session_id)))
