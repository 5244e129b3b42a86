"""Lesson progress is part of the session: in its export (an export without a lesson still imports), back after
an import, kept in the store across a restart — with a session rebuilt in place by a setup step or the
learner coming back with its new network and data. A lesson the server no longer has is refused on import and
dropped (logged) on a restart, never a lost session."""

from __future__ import annotations

import logging
import shutil
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

SEED = "01-seed-by-hand"

TEACHERS = """\
title: Mine
summary: A teacher's lesson that may go away.
level: core
minutes: 2
steps:
  - kind: setup
    title: The set-up
    text: A 2-2-1 network on xor.
    session: {layers: [2, 2, 1], dataset: {builtin: xor, samples: 20}}
  - kind: do
    title: Step
    text: Step one pass.
    condition: passes >= 1
    solution: [{step: {unit: pass, count: 1}}]
  - kind: read
    title: Done
    text: That is all.
"""


@contextmanager
def running(data_dir: Path, lessons_dir: Path | None = None) -> Iterator[TestClient]:
    """The app over a kept data directory: leaving the block shuts it down cleanly, as a restart would."""
    settings = Settings(data_dir=data_dir, persist=True, lessons_dir=lessons_dir)
    with TestClient(create_app(settings)) as client:
        yield client


def lesson_progress(client: TestClient, sid: str) -> dict[str, Any]:
    """What a learner has done: the lesson's view of its open step and the session's summary."""
    view = client.get(f"/api/sessions/{sid}/lesson").json()
    return {key: view[key] for key in ("index", "status", "tries", "hint", "expected", "lesson")}


def make_progress(client: TestClient) -> str:
    """Lesson 1: z¹₁ right after two wrong answers, z¹₂ revealed, a¹₁ and a¹₂ skipped, then one wrong try at a¹₂."""
    sid = client.post("/api/sessions", json={"lesson": SEED}).json()["id"]
    base = f"/api/sessions/{sid}/lesson"
    client.post(f"{base}/goto", json={"step": 2})
    for value in (1.0, 2.0, 0.5):
        client.post(f"{base}/answer", json={"value": value})
    client.post(f"{base}/next")
    client.post(f"{base}/reveal")
    client.post(f"{base}/next")  # to a¹₁
    client.post(f"{base}/next")  # to a¹₂: a¹₁ skipped
    client.post(f"{base}/next")  # to the do step phases >= 1: a¹₂ skipped
    client.post(f"{base}/back")
    client.post(f"{base}/answer", json={"value": 0.7})  # one wrong try at a¹₂
    return sid


def test_export_and_import_carry_the_progress(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", persist=False)
    with TestClient(create_app(settings)) as client:
        sid = make_progress(client)
        before = lesson_progress(client, sid)
        assert before["lesson"]["completed"] == [0, 2] and before["lesson"]["revealed"] == [3]  # goto passed 1 by
        assert before["lesson"]["skipped"] == [4, 5] and before["index"] == 5 and before["tries"] == 1
        doc = client.get(f"/api/sessions/{sid}/export").json()
        assert doc["version"] == 1 and doc["lesson"]["id"] == SEED and doc["lesson"]["tries"] == {"2": 3, "5": 1}

        imported = client.post("/api/sessions/import", json=doc)
        assert imported.status_code == 201, imported.text
        new = imported.json()["id"]
        assert new != sid and imported.json()["lesson"] == before["lesson"]
        assert lesson_progress(client, new) == before
        client.post(f"/api/sessions/{new}/lesson/goto", json={"step": 2})
        assert client.get(f"/api/sessions/{new}/lesson").json()["expected"] == 0.5  # the value it was judged by

        plain = {key: value for key, value in doc.items() if key != "lesson"}  # an export made before lessons
        assert client.post("/api/sessions/import", json=plain).json()["lesson"] is None


def test_an_import_of_progress_in_a_lesson_this_server_lacks_is_a_422(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", persist=False)
    with TestClient(create_app(settings)) as client:
        sid = client.post("/api/sessions", json={"lesson": SEED}).json()["id"]
        doc = client.get(f"/api/sessions/{sid}/export").json()
        unknown = {**doc, "lesson": {**doc["lesson"], "id": "gone"}}
        response = client.post("/api/sessions/import", json=unknown)
        assert response.status_code == 422 and response.json()["field"] == "lesson.id"
        assert "'gone'" in response.json()["detail"]
        beyond = {**doc, "lesson": {**doc["lesson"], "step": 99}}
        response = client.post("/api/sessions/import", json=beyond)
        assert response.status_code == 422 and "steps 0 to 26" in response.json()["detail"]
        malformed = {**doc, "lesson": {**doc["lesson"], "completed": "all"}}
        response = client.post("/api/sessions/import", json=malformed)
        assert response.status_code == 422 and response.json()["field"].startswith("lesson.completed")


def test_progress_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running(data) as client:
        sid = make_progress(client)
        before = lesson_progress(client, sid)
    with running(data) as client:
        assert client.get("/api/health").json()["storage"]["restored_sessions"] == 1
        assert lesson_progress(client, sid) == before
        answer = client.post(f"/api/sessions/{sid}/lesson/answer", json={"value": 0.5}).json()  # a¹₂ = σ(0)
        assert answer["correct"] is True and answer["tries"] == 2


def test_a_session_rebuilt_in_place_comes_back_with_its_new_network_and_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running(data) as client:
        sid = client.post("/api/sessions", json={"lesson": "02-xor-hidden-layer"}).json()["id"]
        client.post(f"/api/sessions/{sid}/lesson/goto", json={"step": 4})
        config = {"layers": [2, 3, 1], "dataset": {"builtin": "circles", "samples": 60, "seed": 4}}
        rebuilt = client.post(f"/api/sessions/{sid}/rebuild", json=config)
        assert rebuilt.status_code == 200, rebuilt.text
        client.post(f"/api/sessions/{sid}/step", json={"unit": "pass", "count": 3})
        before = client.get(f"/api/sessions/{sid}").json()
    with running(data) as client:
        after = client.get(f"/api/sessions/{sid}").json()
        assert after == before
        assert after["dataset"]["name"] == "circles" and after["dataset"]["train_rows"] == 48
        assert after["lesson"]["step"] == 4


def test_a_restart_without_the_lesson_keeps_the_session_and_drops_its_progress(tmp_path: Path, caplog) -> None:
    data, lessons_dir = tmp_path / "data", tmp_path / "lessons"
    lessons_dir.mkdir()
    (lessons_dir / "mine.yaml").write_text(textwrap.dedent(TEACHERS), encoding="utf-8")
    with running(data, lessons_dir) as client:
        sid = client.post("/api/sessions", json={"lesson": "mine"}).json()["id"]
        client.post(f"/api/sessions/{sid}/lesson/next")
        client.post(f"/api/sessions/{sid}/step", json={"unit": "pass", "count": 2})
        assert client.get(f"/api/sessions/{sid}").json()["lesson"]["completed"] == [0, 1, 2]
    shutil.rmtree(lessons_dir)
    with caplog.at_level(logging.ERROR), running(data) as client:
        state = client.get(f"/api/sessions/{sid}").json()
        assert state["lesson"] is None and state["counters"]["pass"] == 2
    assert any("continues without its lesson" in r.getMessage() and "'mine'" in r.getMessage() for r in caplog.records)
