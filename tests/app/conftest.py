"""Shared fixtures for the app's tests: isolated settings (a temporary data directory, no persistence), an app,
a TestClient running its lifespan, helpers to create sessions and wait for jobs without sleeping blindly, and
sessions built directly (no app) for the tests of the session modules."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import schemas
from app.config import Settings
from app.main import create_app
from app.sessions import Session
from engine.datasets import Table

# Starlette's TestClient sends `Host: testserver`, a name no server of ours is bound to: the tests' apps accept it
# as an extra allowed host (tests of the Host check build their settings with `allowed_hosts=[]`).
os.environ.setdefault("BACKPROP_VIZ_ALLOWED_HOSTS", '["testserver"]')
# The tests' clients send what the page and the Python client always send: the header that marks a request a page
# from another site could not have made (app/security.py). Tests of that rule use a client without it.
CLIENT_HEADERS = {"X-Backprop-Viz-Request": "1"}

# A small classification session: xor, 2-4-1, sgd. Fast to step and to train.
XOR_SESSION: dict[str, Any] = {
    "layers": [2, 4, 1],
    "dataset": {"builtin": "xor", "samples": 40, "noise": 0.0, "seed": 1},
    "optimizer": {"name": "sgd", "learning_rate": 0.5},
    "batch_size": 8,
}

# The schema's worked example (SessionCreate's second example): one sample, explicit weights in the seed's
# orientation, half_sse, sgd η = 0.5.
SEED_SESSION: dict[str, Any] = schemas.SessionCreate.model_config["json_schema_extra"]["examples"][1]

# Linear regression with a learning rate far too large: the loss overflows within ~60 passes.
DIVERGING_SESSION: dict[str, Any] = {
    "layers": [1, 1],
    "activations": ["linear"],
    "loss": "mse",
    "optimizer": {"name": "sgd", "learning_rate": 50},
    "init": {"weights": [[[0.5]]], "biases": [[0.0]]},
    "dataset": {"inputs": [[1.0], [2.0], [3.0]], "targets": [[1.0], [2.0], [3.0]]},
}


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings isolated from the environment's data directory, with persistence off (unless overridden)."""
    return Settings(**{"data_dir": tmp_path / "data", "persist": False, **overrides})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers=CLIENT_HEADERS) as test_client:
        yield test_client


class Api:
    """Helpers bound to one TestClient: create sessions, read state, wait for jobs, check error bodies."""

    xor = XOR_SESSION
    seed = SEED_SESSION
    diverging = DIVERGING_SESSION

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def create(self, body: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        """POST /api/sessions (default: XOR_SESSION with `changes`) and return the state; asserts 201."""
        payload = {**(body if body is not None else XOR_SESSION), **changes}
        response = self.client.post("/api/sessions", json=payload)
        assert response.status_code == 201, response.text
        return response.json()

    def state(self, session_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/sessions/{session_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def step(self, session_id: str, unit: str = "phase", count: int = 1) -> dict[str, Any]:
        response = self.client.post(f"/api/sessions/{session_id}/step", json={"unit": unit, "count": count})
        assert response.status_code == 200, response.text
        return response.json()

    def train(self, session_id: str, **body: int) -> str:
        """Start a job; returns its Location."""
        response = self.client.post(f"/api/sessions/{session_id}/train", json=body)
        assert response.status_code == 202, response.text
        return response.headers["location"]

    def wait(self, location: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll a job until it is no longer running; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.client.get(location).json()
            if job["status"] != "running":
                return job
            assert time.monotonic() < deadline, f"job still running after {timeout} s: {job}"
            time.sleep(0.005)

    @staticmethod
    def error(response: Any, status: int, *words: str) -> dict[str, Any]:
        """The response is `status` with the JSON error body, and its detail mentions every word."""
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) >= {"detail", "field"}, body
        for word in words:
            assert word.lower() in body["detail"].lower(), (word, body)
        return body


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def api_with(tmp_path: Path) -> Callable[..., Any]:
    """`with api_with(max_sessions=2) as api:` — helpers on a client of an app built with those settings."""

    @contextmanager
    def build(**overrides: Any) -> Iterator[Api]:
        with TestClient(create_app(make_settings(tmp_path, **overrides)), headers=CLIENT_HEADERS) as test_client:
            yield Api(test_client)

    return build


class SessionMaker:
    """Sessions built as POST /api/sessions builds them (default: XOR_SESSION with `changes`), without an app;
    `tables` are the uploaded data sets a body may name by id. Like `Api`, it has the bodies xor, seed, diverging."""

    xor = XOR_SESSION
    seed = SEED_SESSION
    diverging = DIVERGING_SESSION

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(
        self, body: dict[str, Any] | None = None, *, tables: dict[str, Table] | None = None, **changes: Any
    ) -> Session:
        request = schemas.SessionCreate(**{**(body if body is not None else XOR_SESSION), **changes})
        return Session.create(request, self.settings, (tables or {}).__getitem__)


@pytest.fixture
def make_session(settings: Settings) -> SessionMaker:
    return SessionMaker(settings)
