"""A session's lesson over REST: starting one, the open step, answers (the hint after two wrong ones, the
expected value only once right or revealed), reveal, next/back/goto (skipped steps, setup steps rebuilding the
session in place), do steps moving on by themselves, goal checks, finishing and leaving — and every refusal as
the usual {"detail", "field"}."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.lessons.loader import load_lessons

SEED = "01-seed-by-hand"  # steps: 0 read, 1 setup, 2–5 compute, 6 do (phases >= 1), 7 compute …, 26 read
XOR = "02-xor-hidden-layer"  # steps: 0 read, 1 setup, 2 do, 3 read, 4 goal (train_accuracy = 1), 5 read
SEED_LESSON = load_lessons(settings=Settings(persist=False)).lessons[SEED]

TWO_SETUPS = """\
title: Two set-ups
summary: A lesson whose second half has another network.
level: core
minutes: 3
steps:
  - kind: read
    title: Hello
    text: Two networks.
  - kind: setup
    title: The first
    text: A 2-2-1 network.
    session: {layers: [2, 2, 1], dataset: {builtin: xor, samples: 20}, init: {scheme: xavier, seed: 1}}
  - kind: goal
    title: Learn
    text: Train it.
    condition: train_accuracy >= 0.99
    solution: [{train: {passes: 400}}]
  - kind: setup
    title: The second
    text: A 2-3-1 network.
    session: {layers: [2, 3, 1], dataset: {builtin: xor, samples: 20}}
  - kind: do
    title: Two passes
    text: Step two passes.
    condition: passes >= 2
    solution: [{step: {unit: pass, count: 2}}]
  - kind: read
    title: Bye
    text: Done.
"""


@pytest.fixture
def lessons_api(tmp_path: Path, api_with) -> Iterator[Any]:
    """An app that also serves the lesson 'two-setups' from a teacher's directory."""
    lessons_dir = tmp_path / "lessons"
    lessons_dir.mkdir()
    (lessons_dir / "two-setups.yaml").write_text(textwrap.dedent(TWO_SETUPS), encoding="utf-8")
    with api_with(lessons_dir=lessons_dir) as api:
        yield api


class Lesson:
    """REST helpers for one lesson session."""

    def __init__(self, api: Any, lesson_id: str) -> None:
        self.api = api
        response = api.client.post("/api/sessions", json={"lesson": lesson_id})
        assert response.status_code == 201, response.text
        self.created = response
        self.state = response.json()
        self.id = self.state["id"]

    def url(self, path: str = "") -> str:
        return f"/api/sessions/{self.id}/lesson{path}"

    def view(self) -> dict:
        response = self.api.client.get(self.url())
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict | None = None, status: int = 200) -> dict:
        response = self.api.client.post(self.url(path), json=body)
        assert response.status_code == status, response.text
        return response.json()

    def goto(self, step: int) -> dict:
        return self.post("/goto", {"step": step})

    def answer(self, value: float) -> dict:
        return self.post("/answer", {"value": value})

    def session(self) -> dict:
        return self.api.state(self.id)


# -- starting ---------------------------------------------------------------------------------------------------
def test_a_lesson_session_starts_at_its_first_step_with_its_setup_applied(api):
    lesson = Lesson(api, SEED)
    setup = SEED_LESSON.first_setup.session
    state = lesson.state
    assert lesson.created.headers["location"] == f"/api/sessions/{lesson.id}"
    assert state["config"]["layers"] == [2, 2, 1] and state["config"]["activations"] == ["sigmoid", "sigmoid"]
    assert state["weights"] == setup.init.weights and state["biases"] == setup.init.biases
    assert state["counters"]["pass"] == 0 and state["focus"] == SEED_LESSON.sample
    assert state["lesson"] == {
        "id": SEED,
        "title": "The seed's example by hand",
        "step": 0,
        "steps": 27,
        "completed": [0],
        "skipped": [],
        "revealed": [],
        "finished": False,
    }
    view = lesson.view()
    assert view["index"] == 0 and view["kind"] == "read" and view["status"] == "done"
    assert view["lesson"] == state["lesson"] and "<math" in view["html"]
    assert view["hide"] == ["upload", "import", "play", "train"] and "learning_rate" in view["lock"]


def test_starting_an_unknown_lesson_is_a_404_naming_the_catalogue(api):
    body = api.error(api.client.post("/api/sessions", json={"lesson": "nope"}), 404, "'nope'", "GET /api/lessons")
    assert body["field"] == "lesson" and SEED in body["detail"]


def test_a_lesson_session_takes_nothing_but_the_lesson(api):
    body = api.error(api.client.post("/api/sessions", json={"lesson": SEED, "layers": [2, 1]}), 422, "only")
    assert body["field"] == "layers"
    body = api.error(api.client.post("/api/sessions", json={"lesson": 3}), 422, "lesson")
    assert body["field"] == "lesson"


def test_a_session_without_a_lesson_has_no_lesson_routes(api):
    sid = api.create()["id"]
    assert api.state(sid)["lesson"] is None
    for response in (
        api.client.get(f"/api/sessions/{sid}/lesson"),
        api.client.post(f"/api/sessions/{sid}/lesson/answer", json={"value": 1}),
        api.client.post(f"/api/sessions/{sid}/lesson/next"),
        api.client.get(f"/api/sessions/{sid}/lesson/check"),
        api.client.delete(f"/api/sessions/{sid}/lesson"),
    ):
        assert api.error(response, 404, "follows no lesson", '{"lesson": "<id>"}')["field"] == "lesson"
    assert api.error(api.client.get("/api/sessions/nope/lesson"), 404, "no session")["field"] == "session_id"


# -- compute steps -----------------------------------------------------------------------------------------------
def test_two_wrong_answers_bring_the_hint_and_the_right_one_the_value(api):
    lesson = Lesson(api, SEED)
    view = lesson.goto(2)  # z¹₁ = 0.5·1 + (−0.5)·0.5 + 0.25 = 0.5
    assert view["kind"] == "compute" and view["ask"]["quantity"] == "z" and view["status"] == "open"
    assert view["expected"] is None and view["hint"] is None and view["tries"] == 0

    first = lesson.answer(0.75)
    assert first == {"correct": False, "tries": 1, "status": "open", "hint": None, "hint_tex": None, "expected": None}
    second = lesson.answer(-1)
    assert second["correct"] is False and second["tries"] == 2 and second["expected"] is None
    assert (
        second["hint_tex"]
        == r"z^{1}_{1} = W^{1}_{11} x_{1} + W^{1}_{12} x_{2} + b^{1}_{1} = (0.5)(1) + ({-0.5})(0.5) + 0.25 = \;?"
    )
    assert second["hint"].startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"')
    assert lesson.view()["hint"] == second["hint"] and lesson.view()["expected"] is None

    right = lesson.answer(0.5)
    assert right["correct"] is True and right["tries"] == 3 and right["status"] == "done" and right["expected"] == 0.5
    view = lesson.view()
    assert view["status"] == "done" and view["expected"] == 0.5 and 2 in view["lesson"]["completed"]
    again = lesson.answer(0.4)  # answering a done step checks it but counts nothing
    assert again["correct"] is False and again["tries"] == 3 and again["status"] == "done"


def test_an_answer_within_four_significant_digits_is_right(api):
    lesson = Lesson(api, SEED)
    lesson.goto(4)  # a¹₁ = σ(0.5) = 0.622459…
    assert lesson.answer(0.6228)["correct"] is False
    assert lesson.answer(0.6225)["correct"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"value": NaN}', "value"),
        ('{"value": Infinity}', "value"),
        ('{"value": "abc"}', "value"),
        ('{"value": null}', "value"),
        ("{}", "value"),
        ('{"value": 1, "extra": 2}', "extra"),
    ],
)
def test_an_answer_that_is_not_a_finite_number_is_a_422(api, body, field):
    lesson = Lesson(api, SEED)
    lesson.goto(2)
    response = api.client.post(lesson.url("/answer"), content=body, headers={"content-type": "application/json"})
    assert api.error(response, 422)["field"] == field
    assert lesson.view()["tries"] == 0  # nothing counted


def test_answering_or_revealing_a_step_that_is_not_compute_is_a_409_naming_its_kind(api):
    lesson = Lesson(api, SEED)
    body = api.error(api.client.post(lesson.url("/answer"), json={"value": 1}), 409, "read step", "compute")
    assert body["field"] == "step"
    lesson.goto(6)
    api.error(api.client.post(lesson.url("/answer"), json={"value": 1}), 409, "do step")
    api.error(api.client.post(lesson.url("/reveal")), 409, "do step")
    lesson.goto(2)
    api.error(api.client.get(lesson.url("/check")), 409, "compute step", "do and goal")


def test_reveal_shows_the_value_and_the_hint_and_counts_as_revealed_not_skipped(api):
    lesson = Lesson(api, SEED)
    lesson.goto(3)  # z¹₂ = 0.25·1 + 0.5·0.5 − 0.5 = 0
    revealed = lesson.post("/reveal")
    assert revealed["correct"] is False and revealed["status"] == "revealed" and revealed["expected"] == 0
    assert revealed["hint_tex"].endswith(r"= \;?")
    moved = lesson.post("/next")
    assert moved["index"] == 4
    assert moved["lesson"]["revealed"] == [3] and moved["lesson"]["skipped"] == []
    back = lesson.post("/back")
    assert back["index"] == 3 and back["status"] == "revealed" and back["expected"] == 0


# -- moving ----------------------------------------------------------------------------------------------------
def test_next_past_an_unmet_step_records_it_as_skipped_until_it_is_done(api):
    lesson = Lesson(api, SEED)
    lesson.goto(2)
    view = lesson.post("/next")
    assert view["index"] == 3 and view["lesson"]["skipped"] == [2]
    assert lesson.goto(2)["status"] == "skipped"
    lesson.answer(0.5)
    assert lesson.view()["lesson"]["skipped"] == [] and 2 in lesson.view()["lesson"]["completed"]


def test_back_at_the_first_step_is_a_409_and_goto_outside_the_lesson_a_422(api):
    lesson = Lesson(api, SEED)
    assert api.error(api.client.post(lesson.url("/back")), 409, "first step")["field"] == "step"
    assert api.error(api.client.post(lesson.url("/goto"), json={"step": 27}), 422, "0 to 26")["field"] == "step"
    assert api.error(api.client.post(lesson.url("/goto"), json={"step": -1}), 422)["field"] == "step"
    assert lesson.view()["index"] == 0


def test_next_past_the_last_step_finishes_the_lesson(api):
    lesson = Lesson(api, SEED)
    assert lesson.goto(26)["kind"] == "read"
    finished = lesson.post("/next")
    assert finished["index"] == 26 and finished["lesson"]["finished"] is True
    assert lesson.post("/next")["lesson"]["finished"] is True
    assert lesson.session()["lesson"]["finished"] is True


def test_the_state_tells_where_the_session_stands_in_its_lesson(api):
    lesson = Lesson(api, SEED)
    lesson.goto(2)
    lesson.answer(0.5)
    lesson.post("/next")
    summary = lesson.session()["lesson"]
    assert summary["step"] == 3 and summary["completed"] == [0, 2] and summary["skipped"] == []


# -- do and goal steps -------------------------------------------------------------------------------------------
def test_a_do_step_moves_on_by_itself_once_its_condition_holds(api):
    lesson = Lesson(api, SEED)
    view = lesson.goto(6)  # phases >= 1
    assert view["status"] == "open" and view["check"]["passed"] is False
    assert view["check"]["comparisons"] == [
        {"quantity": "phases", "value": "0", "op": "≥", "target": "1", "passed": False}
    ]
    assert lesson.api.client.get(lesson.url("/check")).json()["detail"] == "phases = 0 (target ≥ 1) ✗"
    api.step(lesson.id, "phase", 1)
    view = lesson.view()
    assert view["index"] == 7 and view["kind"] == "compute" and 6 in view["lesson"]["completed"]


def test_a_do_step_already_met_when_it_opens_is_done_but_waits_for_next(api):
    lesson = Lesson(api, SEED)
    api.step(lesson.id, "phase", 1)
    view = lesson.goto(6)
    assert view["index"] == 6 and view["status"] == "done" and view["check"]["passed"] is True
    assert lesson.post("/back")["index"] == 5
    assert lesson.post("/next")["index"] == 6  # going back to it does not make it move on either


def test_a_goal_is_checked_on_the_live_session(api):
    lesson = Lesson(api, XOR)
    lesson.goto(4)  # train_accuracy = 1, on the 2-1 network of the setup
    check = api.client.get(lesson.url("/check")).json()
    assert check["passed"] is False and check["comparisons"][0]["quantity"] == "train_accuracy"
    assert check["comparisons"][0]["op"] == "=" and check["comparisons"][0]["target"] == "1"
    config = {
        "layers": [2, 2, 1],
        "activations": ["tanh", "sigmoid"],
        "loss": "bce",
        "optimizer": {"name": "sgd", "learning_rate": 1},
        "batch_size": 4,
        "init": {"scheme": "xavier", "seed": 1},
        "dataset": {
            "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
            "targets": [[0], [1], [1], [0]],
            "task": "classification",
        },
    }
    assert api.client.post(f"/api/sessions/{lesson.id}/rebuild", json=config).status_code == 200
    api.step(lesson.id, "pass", 300)
    check = api.client.get(lesson.url("/check")).json()
    assert check["passed"] is True and check["detail"] == "train_accuracy = 1 (target = 1) ✓"
    view = lesson.view()
    assert view["index"] == 4 and view["status"] == "done"  # a goal waits for the learner's Next


# -- setup steps -------------------------------------------------------------------------------------------------
def test_each_step_gets_the_session_of_its_setup_rebuilt_in_place(lessons_api):
    api = lessons_api
    lesson = Lesson(api, "two-setups")
    assert lesson.state["config"]["layers"] == [2, 2, 1]
    api.step(lesson.id, "pass", 3)
    assert lesson.post("/next")["kind"] == "setup"  # arriving at a setup applies it afresh
    assert lesson.session()["counters"]["pass"] == 0

    view = lesson.goto(4)  # over the second setup: its network
    state = lesson.session()
    assert view["kind"] == "do" and state["id"] == lesson.id and state["config"]["layers"] == [2, 3, 1]
    api.step(lesson.id, "pass", 1)
    assert lesson.post("/back")["index"] == 3  # back onto the setup in force: kept as it is
    assert lesson.session()["counters"]["pass"] == 1
    lesson.goto(2)  # back under the first setup: its network again
    assert lesson.session()["config"]["layers"] == [2, 2, 1]
    assert lesson.view()["lesson"]["skipped"] == []


def test_leaving_the_lesson_keeps_the_session_as_it_is(api):
    lesson = Lesson(api, SEED)
    api.step(lesson.id, "phase", 2)
    response = api.client.delete(lesson.url())
    assert response.status_code == 200
    state = response.json()
    assert state["lesson"] is None and state["counters"]["position"] == 2
    api.error(api.client.get(lesson.url()), 404, "follows no lesson")
    assert api.step(lesson.id)["state"]["counters"]["position"] == 3
