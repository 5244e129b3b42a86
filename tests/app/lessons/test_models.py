"""The lesson models: the five step kinds told apart by `kind`, asks that fit their quantity, solution actions as
one-key mappings, sessions validated as POST /api/sessions bodies, and the rule that a setup comes first."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.lessons.models import (
    CONTROLS,
    Ask,
    BackAction,
    ComputeStep,
    ConfigureAction,
    DoStep,
    GoalStep,
    Lesson,
    ReadStep,
    ResetAction,
    SetAction,
    SetupStep,
    StepAction,
    TrainAction,
)
from app.schemas import ExplicitInit, SessionCreate

SETUP = {"kind": "setup", "title": "Set-up", "text": "A network.", "session": {"layers": [2, 2, 1]}}


def lesson(*steps: dict[str, Any], **fields: Any) -> Lesson:
    return Lesson.model_validate(
        {"id": "a-lesson", "title": "T", "summary": "S", "level": "intro", "minutes": 5, "steps": list(steps), **fields}
    )


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[Any, ...], str]]:
    return [(error["loc"], error["msg"]) for error in exc.value.errors()]


def test_each_kind_becomes_its_own_step_model() -> None:
    parsed = lesson(
        {"kind": "read", "title": "R", "text": "Read."},
        SETUP,
        {"kind": "do", "title": "D", "text": "Do.", "condition": "phases >= 1", "solution": [{"step": {}}]},
        {"kind": "compute", "title": "C", "text": "Compute.", "ask": {"quantity": "z", "layer": 1, "row": 1}},
        {"kind": "goal", "title": "G", "text": "Go.", "condition": "passes >= 1", "solution": [{"reset": {}}]},
    )
    assert [type(step) for step in parsed.steps] == [ReadStep, SetupStep, DoStep, ComputeStep, GoalStep]
    setup = parsed.steps[1]
    assert isinstance(setup, SetupStep) and isinstance(setup.session, SessionCreate)
    assert parsed.first_setup is setup
    assert parsed.sample == 0 and parsed.hide == [] and parsed.lock == []


def test_the_session_of_a_setup_is_a_session_create_with_its_defaults() -> None:
    step = SetupStep.model_validate(
        {**SETUP, "session": {"layers": [2, 2, 1], "init": {"weights": [[[1, 2], [3, 4]], [[5, 6]]]}}}
    )
    assert isinstance(step.session.init, ExplicitInit)
    assert step.session.optimizer.learning_rate == 0.1  # SessionCreate's default
    with pytest.raises(ValidationError) as raised:
        SetupStep.model_validate({**SETUP, "session": {"layers": [2, 2, 1], "optimiser": {}}})
    assert _errors(raised)[0][0] == ("session", "optimiser")


def test_every_action_is_a_one_key_mapping() -> None:
    step = DoStep.model_validate(
        {
            "kind": "do",
            "title": "D",
            "text": "Do.",
            "condition": "passes >= 1",
            "solution": [
                {"step": {"unit": "pass", "count": 2}},
                {"back": {"unit": "phase"}},
                {"reset": {}},
                {"reset": None},
                {"set": {"learning_rate": 0.5}},
                {"train": {"epochs": 3}},
                {"configure": {"layers": [2, 3, 1]}},
            ],
        }
    )
    kinds = [type(action) for action in step.solution]
    assert kinds == [StepAction, BackAction, ResetAction, ResetAction, SetAction, TrainAction, ConfigureAction]
    assert step.solution[0].step.count == 2  # type: ignore[union-attr]
    assert step.solution[4].set.learning_rate == 0.5  # type: ignore[union-attr]
    assert step.solution[5].train.epochs == 3  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("action", "location", "message"),
    [
        ({"stepp": {}}, ("solution", 0), "an action is a mapping with exactly one key: step, back, reset"),
        ({"step": {}, "train": {"passes": 1}}, ("solution", 0), "an action is a mapping with exactly one key"),
        ({"set": {}}, ("solution", 0, "set", "set"), "Value error, nothing to change"),
        ({"train": {"passes": 1, "epochs": 1}}, ("solution", 0, "train", "train"), "exactly one of"),
        ({"back": {"unit": "epoch"}}, ("solution", 0, "back", "back", "unit"), "Input should be 'phase' or 'pass'"),
    ],
)
def test_a_bad_action_says_what_is_wrong(action: dict[str, Any], location: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        GoalStep.model_validate({"kind": "goal", "title": "G", "text": "T", "condition": "x", "solution": [action]})
    loc, msg = _errors(raised)[0]
    assert loc == location
    assert message in msg


def test_do_and_goal_steps_need_a_condition_and_a_solution() -> None:
    with pytest.raises(ValidationError) as raised:
        DoStep.model_validate({"kind": "do", "title": "D", "text": "T", "solution": []})
    assert {loc for loc, _ in _errors(raised)} == {("condition",), ("solution",)}


@pytest.mark.parametrize(
    ("ask", "message"),
    [
        ({"quantity": "z", "layer": 1}, "z needs a layer and a row"),
        ({"quantity": "grad_W", "layer": 1, "row": 1}, "grad_W needs a col too"),
        ({"quantity": "a", "layer": 1, "row": 1, "col": 1}, "col is only for grad_W and W_new"),
        ({"quantity": "z", "layer": 1, "row": 1, "form": "chain_rule"}, "form is only for delta"),
        ({"quantity": "delta", "layer": 2, "row": 1, "form": "short"}, "Input should be 'chain_rule' or"),
        ({"quantity": "y", "layer": 1, "row": 1}, "Input should be 'z', 'a', 'J', 'delta'"),
        ({"quantity": "z", "layer": 0, "row": 1}, "greater than or equal to 1"),
    ],
)
def test_an_ask_must_fit_its_quantity(ask: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Ask.model_validate(ask)


def test_j_needs_no_layer() -> None:
    assert Ask.model_validate({"quantity": "J"}).layer is None


def test_every_step_needs_a_title_and_a_text() -> None:
    with pytest.raises(ValidationError) as raised:
        ReadStep.model_validate({"kind": "read", "title": ""})
    assert {loc for loc, _ in _errors(raised)} == {("title",), ("text",)}


def test_controls_to_hide_or_lock_are_the_documented_names() -> None:
    assert lesson(SETUP, hide=["dataset"], lock=list(CONTROLS)).lock == list(CONTROLS)
    with pytest.raises(ValidationError) as raised:
        lesson(SETUP, hide=["datasets"])
    assert _errors(raised)[0][0] == ("hide", 0)
    with pytest.raises(ValidationError):
        lesson({**SETUP, "lock": ["play", "speed"]})


def test_a_session_step_before_any_setup_is_refused() -> None:
    compute = {"kind": "compute", "title": "C", "text": "T", "ask": {"quantity": "J"}}
    with pytest.raises(ValidationError, match=r"steps\[1\] is a compute step, but no setup step comes before it"):
        lesson({"kind": "read", "title": "R", "text": "T"}, compute, SETUP)
    with pytest.raises(ValidationError, match="a lesson needs a setup step"):
        lesson({"kind": "read", "title": "R", "text": "T"})


def test_the_lesson_fields_are_checked() -> None:
    with pytest.raises(ValidationError) as raised:
        Lesson.model_validate(
            {"id": "bad id", "title": "", "summary": "S", "level": "easy", "minutes": 0, "steps": [SETUP]}
        )
    assert {loc for loc, _ in _errors(raised)} == {("id",), ("title",), ("level",), ("minutes",)}
