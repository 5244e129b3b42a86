"""Every shipped lesson played through with its scripted solution, at the session level: each compute answer is
the engine's by-hand value and is accepted at 4 significant digits, each do condition holds after its solution
and not before (the page would skip the step), each goal fails where its step starts and holds after its
solution. (The lead ports this to the HTTP API.)"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from app.config import Settings
from app.lessons.loader import SHIPPED_DIR, load_lesson_file, load_lessons, parse_condition
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
    SetupStep,
    StepAction,
    TrainAction,
)
from app.lessons.render import math_html, render
from app.schemas import ExplicitInit, SessionCreate
from app.sessions import Session
from engine.lessons.by_hand import Ask, SampleNumbers, is_correct
from engine.lessons.conditions import evaluate
from engine.lessons.quantities import SessionQuantities

SHIPPED = load_lessons(settings=Settings(persist=False))
LESSON_IDS = sorted(SHIPPED.lessons)
SOLUTION_SECONDS = 10.0


def _no_uploads(dataset_id: str) -> None:
    raise AssertionError(f"a lesson asked for an uploaded data set {dataset_id!r}")


class Player:
    """Plays a lesson on an app.sessions.Session as the page would: setups and `configure` build the session,
    the other actions call its methods; conditions are evaluated with the app's `init` and `diverged`."""

    def __init__(self, lesson: Lesson, settings: Settings) -> None:
        self.lesson = lesson
        self.settings = settings
        self.session: Session | None = None
        self.diverged = 0  # passes refused since the step opened

    def build(self, config: SessionCreate) -> None:
        self.session = Session.create(config, self.settings, _no_uploads)

    def open_step(self) -> None:
        self.diverged = 0

    def act(self, action: Action) -> None:
        session = self.session
        assert session is not None
        if isinstance(action, StepAction):
            result = session.step(action.step.unit, action.step.count)
            self.diverged += result.diverged is not None
        elif isinstance(action, BackAction):
            session.back(action.back.unit, action.back.count)
        elif isinstance(action, ResetAction):
            session.reset()
        elif isinstance(action, SetAction):
            session.patch(action.set)
        elif isinstance(action, TrainAction):
            request = action.train
            passes = request.passes if request.passes is not None else session.passes_for_epochs(request.epochs)
            result = session.train_chunk(passes)
            self.diverged += result.diverged is not None
        elif isinstance(action, ConfigureAction):
            self.build(action.configure)
        else:
            raise AssertionError(f"unknown action {action!r}")

    def check(self, condition: str) -> tuple[bool, str]:
        session = self.session
        assert session is not None
        init = session.config.init
        provided = {
            "init": "explicit" if isinstance(init, ExplicitInit) else init.scheme,
            "diverged": self.diverged,
        }
        return evaluate(parse_condition(condition), SessionQuantities(session.stepper, provided))

    def sample_numbers(self) -> SampleNumbers:
        session = self.session
        assert session is not None
        trainer = session.trainer
        config = session.stepper.pending_config or trainer.config
        i = self.lesson.sample
        return SampleNumbers.of(session.network, trainer.X_train[i], trainer.Y_train[i], config.optimizer.learning_rate)


def _ask(step: ComputeStep) -> Ask:
    a = step.ask
    return Ask(a.quantity, a.layer, a.row, a.col, a.form)


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
def test_lesson_is_solved_by_its_scripted_solution(lesson_id: str, tmp_path: Path) -> None:
    _play(SHIPPED.lessons[lesson_id], Settings(data_dir=tmp_path, persist=False))


def test_the_docs_example_is_solved_by_its_scripted_solution(docs_example: str, tmp_path: Path) -> None:
    path = tmp_path / "one-neuron.yaml"
    path.write_text(docs_example, encoding="utf-8")
    settings = Settings(data_dir=tmp_path, persist=False)
    lesson, problems = load_lesson_file(path, settings)
    assert problems == [] and lesson is not None
    _play(lesson, settings)


def _play(lesson: Lesson, settings: Settings) -> None:
    player = Player(lesson, settings)
    started = time.perf_counter()
    for index, step in enumerate(lesson.steps):
        where = f"{lesson.id} steps[{index}] ({step.title})"
        player.open_step()
        if isinstance(step, SetupStep):
            player.build(step.session)
        elif isinstance(step, ComputeStep):
            numbers = player.sample_numbers()
            ask = _ask(step)
            expected = numbers.value(ask)
            typed = float(f"{expected:.4g}")  # what a learner types: 4 significant digits
            assert is_correct(typed, expected, step.tolerance), where
            assert not is_correct(expected * 1.01 + 1e-3, expected, step.tolerance), where
            hint = numbers.hint(ask)
            assert hint.endswith(r"= \;?"), where
            assert math_html(hint, display=True).startswith("<math"), f"{where}: the hint's TeX does not convert"
        elif isinstance(step, GoalStep):
            passed, detail = player.check(step.condition)
            assert not passed, f"{where}: the goal is met before its solution: {detail}"
            for action in step.solution:
                player.act(action)
            passed, detail = player.check(step.condition)
            assert passed, f"{where}: the solution does not meet the goal: {detail}"
        elif isinstance(step, DoStep):
            passed, detail = player.check(step.condition)
            assert not passed, f"{where}: the condition holds before the learner acts: {detail}"
            for action in step.solution:
                player.act(action)
            passed, detail = player.check(step.condition)
            assert passed, f"{where}: the solution does not meet the condition: {detail}"
    elapsed = time.perf_counter() - started
    assert elapsed < SOLUTION_SECONDS, f"{lesson.id}'s solution took {elapsed:.1f} s"


# -- lesson 1: a learner who rounds as they go ------------------------------------------------------------------
def _round4(value: float) -> float:
    return float(f"{value:.4g}")


def test_lesson_one_accepts_answers_computed_with_every_intermediate_rounded(tmp_path: Path) -> None:
    """The seed's 2-2-1 sigmoid network by hand, each intermediate result rounded to 4 significant digits
    before it is used again — the lesson's tolerances accept every answer computed this way."""
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
    player = Player(lesson, Settings(data_dir=tmp_path, persist=False))
    player.build(setup)
    numbers = player.sample_numbers()  # compute steps come before the update: the weights are the setup's
    asked = [step for step in lesson.steps if isinstance(step, ComputeStep)]
    assert {(s.ask.quantity, s.ask.layer, s.ask.row, s.ask.col) for s in asked} == set(hand)
    for step in asked:
        key = (step.ask.quantity, step.ask.layer, step.ask.row, step.ask.col)
        expected = numbers.value(_ask(step))
        assert is_correct(hand[key], expected, step.tolerance), (step.title, hand[key], expected)
