"""GET /api/health: the version, how many sessions and jobs are live, and how the lessons loaded, without a
token."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app import __version__
from app.config import Settings
from app.main import create_app


def test_health_answers_version_and_counts(api):
    health = api.client.get("/api/health").json()
    storage = health.pop("storage")
    lessons = health.pop("lessons")
    assert health == {
        "status": "ok",
        "version": __version__,
        "sessions": 0,
        "jobs": 0,
        "plays": 0,
        "websocket_clients": 0,
        "workers": None,  # one process: no router, no workers to list
    }
    assert lessons == {"loaded": 9, "problems": []}  # the shipped lessons
    assert storage["enabled"] is False  # the test settings turn persistence off
    api.create()
    assert api.client.get("/api/health").json()["sessions"] == 1


def test_health_says_whether_storage_works_not_where_it_lives(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", persist=True, token="s3cret")
    with TestClient(create_app(settings), headers={"X-Backprop-Viz-Request": "1"}) as client:
        storage = client.get("/api/health").json()["storage"]
        assert storage["enabled"] is True and storage["ok"] is True
        assert storage["database"] is None and str(tmp_path) not in str(storage)
        told = client.get("/api/health", headers={"X-Backprop-Viz-Token": "s3cret"}).json()["storage"]
        assert told["database"].startswith(str(tmp_path))
        persistence = client.app.state.persistence
        persistence._failed("saving session x", OSError(28, "No space left on device", str(tmp_path / "db")))
        broken = client.get("/api/health").json()["storage"]
        assert broken["ok"] is False and "OSError" in broken["last_error"] and str(tmp_path) not in str(broken)
        assert client.get("/api/health", params={"token": "wrong"}).json()["storage"]["database"] is None
