"""GET /api/lessons and GET /api/lessons/{id}: the catalogue, a lesson rendered without its answers or
solutions, a 404 that names the catalogue; and a teacher's broken lesson file (BACKPROP_VIZ_LESSONS_DIR) is
reported by /api/health with its line while the app starts and serves the rest."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.lessons.loader import SHIPPED_DIR
from app.main import create_app

SHIPPED_IDS = sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))

GOOD = """\
title: Mine
summary: A teacher's own lesson.
level: core
minutes: 2
steps:
  - kind: setup
    title: The set-up
    text: A 2-2-1 network on xor.
    session: {layers: [2, 2, 1], dataset: {builtin: xor, samples: 20}}
  - kind: read
    title: Done
    text: That is all.
"""

BROKEN = """\
title: Broken
summary: Its condition names a quantity that does not exist.
level: core
minutes: 2
steps:
  - kind: setup
    title: The set-up
    text: A network.
    session: {layers: [2, 2, 1]}
  - kind: goal
    title: A goal
    text: Reach it.
    condition: tset_loss <= 0.1
    solution: [{train: {passes: 10}}]
"""


def test_the_catalogue_lists_every_shipped_lesson_in_file_name_order(api):
    catalogue = api.client.get("/api/lessons").json()
    assert [entry["id"] for entry in catalogue] == SHIPPED_IDS
    first = catalogue[0]
    assert first == {
        "id": "01-seed-by-hand",
        "title": "The seed's example by hand",
        "summary": first["summary"],
        "level": "intro",
        "minutes": 30,
        "steps": 27,
    }
    assert first["summary"].startswith("Compute one forward and backward pass")
    assert {entry["level"] for entry in catalogue} <= {"intro", "core", "advanced"}


def test_a_lesson_is_rendered_with_its_math_and_without_answers_or_solutions(api):
    response = api.client.get("/api/lessons/01-seed-by-hand")
    assert response.status_code == 200
    lesson = response.json()
    assert lesson["id"] == "01-seed-by-hand" and len(lesson["steps"]) == 27
    assert [s["index"] for s in lesson["steps"]] == list(range(27))
    welcome, setup, z11 = lesson["steps"][:3]
    assert welcome["kind"] == "read" and "<math" in welcome["html"] and "<p>" in welcome["html"]
    assert setup["kind"] == "setup" and "upload" in setup["hide"] and "layers" in setup["lock"]
    assert z11["kind"] == "compute"
    assert {k: z11["ask"][k] for k in ("quantity", "layer", "row", "col")} == {
        "quantity": "z",
        "layer": 1,
        "row": 1,
        "col": None,
    }
    assert z11["ask"]["symbol"].startswith("<math") and z11["ask"]["label"] == "z of layer 1, neuron 1"
    do = lesson["steps"][6]
    assert do["kind"] == "do" and do["condition"] == "phases >= 1"
    text = response.text
    for secret in ("solution", "expected", "tolerance", "0.6225", '"session"'):
        assert secret not in text, secret  # a¹₁ = 0.6225 is an answer; the setup's session is not sent either


def test_an_unknown_lesson_is_a_404_that_names_the_catalogue(api):
    body = api.error(api.client.get("/api/lessons/no-such-lesson"), 404, "no-such-lesson", "GET /api/lessons")
    assert "01-seed-by-hand" in body["detail"] and body["field"] == "lesson_id"


def test_a_broken_lesson_file_is_reported_and_the_rest_is_served(tmp_path: Path, caplog):
    lessons_dir = tmp_path / "my-lessons"
    lessons_dir.mkdir()
    (lessons_dir / "mine.yaml").write_text(textwrap.dedent(GOOD), encoding="utf-8")
    (lessons_dir / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    (lessons_dir / "not-yaml.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", persist=False, lessons_dir=lessons_dir)
    with caplog.at_level(logging.ERROR), TestClient(create_app(settings)) as client:
        health = client.get("/api/health").json()
        assert health["status"] == "ok" and health["lessons"]["loaded"] == len(SHIPPED_IDS) + 1
        problems = {p["file"]: p for p in health["lessons"]["problems"]}
        assert set(problems) == {"broken.yaml", "not-yaml.yaml"}  # names, not paths: health needs no token
        assert problems["broken.yaml"]["line"] == 13  # the condition's line
        assert "tset_loss" in problems["broken.yaml"]["message"]
        assert "known ones" in problems["broken.yaml"]["message"]
        assert problems["not-yaml.yaml"]["line"] == 2 and "not valid YAML" in problems["not-yaml.yaml"]["message"]

        ids = [entry["id"] for entry in client.get("/api/lessons").json()]
        assert ids == [*SHIPPED_IDS, "mine"]
        assert client.get("/api/lessons/broken").status_code == 404
        started = client.post("/api/sessions", json={"lesson": "mine"})
        assert started.status_code == 201 and started.json()["lesson"]["id"] == "mine"
        assert client.post("/api/sessions", json={"layers": [2, 3, 1]}).status_code == 201
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "broken.yaml:13" in logged and "tset_loss" in logged


def test_a_lessons_dir_that_does_not_exist_is_a_problem_not_a_crash(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data", persist=False, lessons_dir=tmp_path / "nowhere")
    with TestClient(create_app(settings)) as client:
        lessons = client.get("/api/health").json()["lessons"]
        assert lessons["loaded"] == len(SHIPPED_IDS)
        assert [p["file"] for p in lessons["problems"]] == ["nowhere"]
        assert "does not exist" in lessons["problems"][0]["message"]
