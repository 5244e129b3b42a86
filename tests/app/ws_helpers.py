"""Helpers for the WebSocket tests: create a session over REST, run a command and collect the events it caused,
receive until a condition holds (bounded, so a missing event fails instead of hanging forever)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

SEED_SESSION: dict[str, Any] = {  # the seed's worked example: one sample, explicit weights, half_sse, η = 0.5
    "layers": [2, 2, 1],
    "activations": ["sigmoid", "sigmoid"],
    "loss": "half_sse",
    "optimizer": {"name": "sgd", "learning_rate": 0.5},
    "batch_size": 1,
    "init": {"weights": [[[0.15, 0.2], [0.25, 0.3]], [[0.4, 0.45]]], "biases": [[0.35, 0.35], [0.6]]},
    "dataset": {"inputs": [[0.05, 0.1]], "targets": [[0.01]]},
}

XOR_SESSION: dict[str, Any] = {  # a small classification session that trains fast
    "layers": [2, 4, 1],
    "dataset": {"builtin": "xor", "samples": 40, "noise": 0.0, "seed": 1},
    "optimizer": {"name": "sgd", "learning_rate": 0.5},
    "batch_size": 8,
}

DIVERGING: dict[str, Any] = {  # linear regression with η far too large: the loss overflows within ~60 passes
    "layers": [1, 1],
    "activations": ["linear"],
    "loss": "mse",
    "optimizer": {"name": "sgd", "learning_rate": 50},
    "init": {"weights": [[[0.5]]], "biases": [[0.0]]},
    "dataset": {"inputs": [[1.0], [2.0], [3.0]], "targets": [[1.0], [2.0], [3.0]]},
}

_request_ids = itertools.count(1)


def create(client: TestClient, body: dict[str, Any] | None = None, **changes: Any) -> str:
    """POST /api/sessions and return the new session's id."""
    response = client.post("/api/sessions", json={**(body or SEED_SESSION), **changes})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def rest_state(client: TestClient, session_id: str) -> dict[str, Any]:
    response = client.get(f"/api/sessions/{session_id}")
    assert response.status_code == 200, response.text
    return response.json()


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
    return [e["type"] for e in events]
