"""Every shipped lesson played through the HTTP API as a learner's page would, with its scripted solution: the
lesson's session is made with POST /api/sessions {"lesson"}, each compute answer (the engine's value to 4
significant digits, as a learner types it) is accepted, each do condition does not hold when its step opens
and moves the lesson on by itself once the solution's calls are made, each goal fails where its step starts and
holds after its solution (GET …/lesson/check), and the lesson ends finished with nothing skipped. The example
of docs/lessons.md is played the same way from BACKPROP_VIZ_LESSONS_DIR."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.lessons.loader import SHIPPED_DIR, load_lessons
from app.lessons.models import (
    Action,
    BackAction,
    ComputeStep,
    ConfigureAction,
    DoStep,
    GoalStep,
    Lesson,
    ResetAction,
    SetAction,
    StepAction,
    TrainAction,
)
from app.lessons.render import render
from app.lessons.views import engine_ask
from app.main import create_app
from app.schemas import ExplicitInit
from engine.lessons.by_hand import SampleNumbers, is_correct

SHIPPED = load_lessons(settings=Settings(persist=False))
LESSON_IDS = sorted(SHIPPED.lessons)
SOLUTION_SECONDS = 30.0
JOB_SECONDS = 30.0


class HttpLearner:
    """Plays a lesson over REST: every solution action is the call the page makes for it."""

    def __init__(self, client: TestClient, lesson: Lesson) -> None:
        self.client = client
        self.lesson = lesson
        created = client.post("/api/sessions", json={"lesson": lesson.id})
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        self.base = f"/api/sessions/{self.id}"

    def call(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.client.request(method, f"{self.base}{path}", **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    def view(self) -> dict[str, Any]:
        return self.call("GET", "/lesson")

    def check(self) -> dict[str, Any]:
        return self.call("GET", "/lesson/check")

    def act(self, action: Action) -> None:
        if isinstance(action, StepAction):
            self.call("POST", "/step", json=action.step.model_dump())
        elif isinstance(action, BackAction):
            self.call("POST", "/back", json=action.back.model_dump())
        elif isinstance(action, ResetAction):
            self.call("POST", "/reset")
        elif isinstance(action, SetAction):
            self.call("PATCH", "", json=action.set.model_dump(mode="json", exclude_none=True))
        elif isinstance(action, TrainAction):
            job = self.call("POST", "/train", 202, json=action.train.model_dump(exclude_none=True))
            self.wait(job["id"])
        elif isinstance(action, ConfigureAction):
            self.call("POST", "/rebuild", json=action.configure.model_dump(mode="json", exclude_unset=True))
        else:
            raise AssertionError(f"unknown action {action!r}")

    def wait(self, job_id: str) -> None:
        deadline = time.monotonic() + JOB_SECONDS
        while self.call("GET", f"/jobs/{job_id}")["status"] == "running":
            assert time.monotonic() < deadline, f"job {job_id} still running after {JOB_SECONDS} s"
            time.sleep(0.005)

    def expected(self, step: ComputeStep) -> float:
        """The engine's value, computed here from the live session's network (the API never says it first)."""
        session = self.client.app.state.registry.get(self.id)
        trainer = session.trainer
        config = session.stepper.pending_config or trainer.config
        i = self.lesson.sample
        numbers = SampleNumbers.of(
            session.network, trainer.X_train[i], trainer.Y_train[i], config.optimizer.learning_rate
        )
        return numbers.value(engine_ask(step))


def play(client: TestClient, lesson: Lesson) -> None:
    learner = HttpLearner(client, lesson)
    started = time.perf_counter()
    index = 0
    while index < len(lesson.steps):
        step = lesson.steps[index]
        where = f"{lesson.id} steps[{index}] ({step.title})"
        view = learner.view()
        assert view["index"] == index and view["kind"] == step.kind, where
        moved_on = False
        if isinstance(step, ComputeStep):
            assert view["expected"] is None and view["hint"] is None, where
            expected = learner.expected(step)
            typed = float(f"{expected:.4g}")  # what a learner types: 4 significant digits
            result = learner.call("POST", "/lesson/answer", json={"value": typed})
            assert result["correct"] is True and result["status"] == "done", (where, typed, result)
            assert result["expected"] == pytest.approx(expected, rel=1e-12), where
        elif isinstance(step, DoStep | GoalStep):
            before = learner.check()
            assert not before["passed"], f"{where}: holds before the learner acts: {before['detail']}"
            for action in step.solution:
                learner.act(action)
            if isinstance(step, DoStep):
                after = learner.view()
                assert index in after["lesson"]["completed"], f"{where}: not done after its solution"
                if index < len(lesson.steps) - 1:
                    assert after["index"] == index + 1, f"{where}: the lesson did not move on by itself"
                    moved_on = True
            else:
                after = learner.check()
                assert after["passed"], f"{where}: the solution does not meet the goal: {after['detail']}"
        if not moved_on:
            learner.call("POST", "/lesson/next")
        index += 1
    final = learner.view()
    assert final["lesson"]["finished"] is True
    assert final["lesson"]["completed"] == list(range(len(lesson.steps)))
    assert final["lesson"]["skipped"] == [] and final["lesson"]["revealed"] == []
    elapsed = time.perf_counter() - started
    assert elapsed < SOLUTION_SECONDS, f"{lesson.id}'s solution took {elapsed:.1f} s"


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_lesson_is_solved_by_its_scripted_solution_over_the_api(lesson_id: str, client: TestClient) -> None:
    play(client, SHIPPED.lessons[lesson_id])


def test_the_docs_example_is_solved_from_a_teachers_lessons_directory(docs_example: str, tmp_path: Path) -> None:
    lessons_dir = tmp_path / "lessons"
    lessons_dir.mkdir()
    (lessons_dir / "one-neuron.yaml").write_text(docs_example, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", persist=False, lessons_dir=lessons_dir)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/health").json()["lessons"]["problems"] == []
        lesson = client.app.state.lessons.get("one-neuron")
        play(client, lesson)


# -- the lesson files themselves ----------------------------------------------------------------------------
@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_text_renders_its_math(lesson_id: str) -> None:
    for step in SHIPPED.lessons[lesson_id].steps:
        html = render(step.text)
        assert 'class="tex"' not in html, f"{lesson_id} '{step.title}': TeX that does not convert: {html}"
        dollars, doubles = step.text.count("$"), step.text.count("$$")
        assert html.count("<math") == (dollars - doubles) // 2, f"{lesson_id} '{step.title}': a $ is not math"


def test_every_shipped_lesson_loads() -> None:
    assert SHIPPED.problems == []
    assert len(LESSON_IDS) >= 9
    assert {path.stem for path in SHIPPED_DIR.glob("*.yaml")} == set(LESSON_IDS)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_hint_converts_to_mathml(lesson_id: str, client: TestClient) -> None:
    """Each compute step's hint (shown after two wrong answers) is TeX that converts, ending in '= ?'."""
    lesson = SHIPPED.lessons[lesson_id]
    learner = HttpLearner(client, lesson)
    for index, step in enumerate(lesson.steps):
        if isinstance(step, ComputeStep):
            learner.call("POST", "/lesson/goto", json={"step": index})
            result = learner.call("POST", "/lesson/reveal")
            assert result["hint_tex"].endswith(r"= \;?"), (lesson_id, index)
            assert result["hint"].startswith("<math") and 'class="tex"' not in result["hint"], (lesson_id, index)


# -- lesson 1: a learner who rounds as they go ------------------------------------------------------------------
def _round4(value: float) -> float:
    return float(f"{value:.4g}")


def test_lesson_one_accepts_answers_computed_with_every_intermediate_rounded(client: TestClient) -> None:
    """The seed's 2-2-1 sigmoid network by hand, each intermediate result rounded to 4 significant digits
    before it is used again — the lesson's tolerances accept every answer computed this way, over the API."""
    lesson = SHIPPED.lessons["01-seed-by-hand"]
    setup = lesson.first_setup.session
    assert isinstance(setup.init, ExplicitInit) and setup.dataset is not None
    (W1, W2), (b1, b2) = (np.array(w, dtype=float) for w in setup.init.weights), setup.init.biases
    x, y, eta = np.array(setup.dataset.inputs[0]), setup.dataset.targets[0][0], setup.optimizer.learning_rate
    r = _round4
    sigma = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    z1 = [r(W1[j] @ x + b1[j]) for j in range(2)]
    a1 = [r(sigma(z)) for z in z1]
    z2 = r(W2[0] @ np.array(a1) + b2[0])
    yhat = r(sigma(z2))
    J = r(0.5 * (yhat - y) ** 2)
    d2 = r((yhat - y) * yhat * (1 - yhat))
    d1 = [r(W2[0, j] * d2 * a1[j] * (1 - a1[j])) for j in range(2)]
    hand = {
        ("z", 1, 1, None): z1[0],
        ("z", 1, 2, None): z1[1],
        ("a", 1, 1, None): a1[0],
        ("a", 1, 2, None): a1[1],
        ("z", 2, 1, None): z2,
        ("a", 2, 1, None): yhat,
        ("J", None, None, None): J,
        ("delta", 2, 1, None): d2,
        ("grad_W", 2, 1, 1): r(d2 * a1[0]),
        ("grad_W", 2, 1, 2): r(d2 * a1[1]),
        ("grad_b", 2, 1, None): d2,
        ("delta", 1, 1, None): d1[0],
        ("delta", 1, 2, None): d1[1],
        ("grad_W", 1, 1, 2): r(d1[0] * x[1]),
        ("grad_W", 1, 2, 2): r(d1[1] * x[1]),
        ("W_new", 2, 1, 1): r(W2[0, 0] - eta * r(d2 * a1[0])),
        ("W_new", 2, 1, 2): r(W2[0, 1] - eta * r(d2 * a1[1])),
    }
    learner = HttpLearner(client, lesson)
    asked = [(i, s) for i, s in enumerate(lesson.steps) if isinstance(s, ComputeStep)]
    assert {(s.ask.quantity, s.ask.layer, s.ask.row, s.ask.col) for _, s in asked} == set(hand)
    for index, step in asked:  # the session stays at pass 0: the weights are the setup's throughout
        learner.call("POST", "/lesson/goto", json={"step": index})
        key = (step.ask.quantity, step.ask.layer, step.ask.row, step.ask.col)
        result = learner.call("POST", "/lesson/answer", json={"value": hand[key]})
        assert result["correct"], (step.title, hand[key], result)
        assert is_correct(hand[key], result["expected"], step.tolerance)
