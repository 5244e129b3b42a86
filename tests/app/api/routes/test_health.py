"""GET /api/health: the version and how many sessions and jobs are live, without a token."""

from __future__ import annotations

from app import __version__


def test_health_answers_version_and_counts(api):
    health = api.client.get("/api/health").json()
    storage = health.pop("storage")
    assert health == {"status": "ok", "version": __version__, "sessions": 0, "jobs": 0}
    assert storage["enabled"] is False  # the test settings turn persistence off
    api.create()
    assert api.client.get("/api/health").json()["sessions"] == 1
