"""GET /api/health: the version, how many sessions and jobs are live, and how the lessons loaded, without a
token."""

from __future__ import annotations

from app import __version__


def test_health_answers_version_and_counts(api):
    health = api.client.get("/api/health").json()
    storage = health.pop("storage")
    lessons = health.pop("lessons")
    assert health == {"status": "ok", "version": __version__, "sessions": 0, "jobs": 0}
    assert lessons == {"loaded": 9, "problems": []}  # the shipped lessons
    assert storage["enabled"] is False  # the test settings turn persistence off
    api.create()
    assert api.client.get("/api/health").json()["sessions"] == 1
