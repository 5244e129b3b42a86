"""A lesson file as pydantic models: the lesson, its five kinds of step, the number a compute step asks for,
and the actions of a scripted solution. Sessions are `app.schemas.SessionCreate`, exactly what
POST /api/sessions takes, so a setup in a lesson is the same thing a learner could send."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from app.schemas import BackRequest, Model, SessionCreate, SessionPatch, StepRequest, TrainRequest
from engine.lessons.by_hand import FORMS, QUANTITIES, WITH_COLUMN

# The page controls a lesson may hide or lock (their names in the page and in `?hide=` links).
CONTROLS = (
    "dataset",
    "layers",
    "activations",
    "loss",
    "optimizer",
    "learning_rate",
    "batch_size",
    "regularization",
    "init",
    "seed",
    "precision",
    "play",
    "step",
    "back",
    "reset",
    "train",
    "upload",
    "import",
    "export",
)
Control = Literal[CONTROLS]  # type: ignore[valid-type]
Level = Literal["intro", "core", "advanced"]
QuantityName = Literal[QUANTITIES]  # type: ignore[valid-type]
Form = Literal[FORMS]  # type: ignore[valid-type]


class Ask(Model):
    """The number a compute step asks for, in the seed's notation: layer 1..L, row j and col k from 1."""

    quantity: QuantityName
    layer: int | None = Field(None, ge=1, description="1..L, as the seed numbers layers (not for J)")
    row: int | None = Field(None, ge=1, description="the neuron j, from 1 (not for J)")
    col: int | None = Field(None, ge=1, description="the input k, from 1 (grad_W and W_new only)")
    form: Form | None = Field(None, description="the hint of δ^L: closed_form a^L − y, or chain_rule")

    @model_validator(mode="after")
    def _fields_fit_the_quantity(self) -> Ask:
        q = self.quantity
        if q != "J" and (self.layer is None or self.row is None):
            raise ValueError(f"{q} needs a layer and a row, e.g. {{quantity: {q}, layer: 1, row: 1}}")
        if q in WITH_COLUMN and self.col is None:
            raise ValueError(f"{q} needs a col too: the input k of neuron j, from 1")
        if q not in WITH_COLUMN and self.col is not None:
            raise ValueError(f"col is only for grad_W and W_new; remove it from this {q}")
        if self.form is not None and q != "delta":
            raise ValueError("form is only for delta (at the output layer); remove it")
        return self


# --------------------------------------------------------------------------------------------------------
# Solution actions: each is one call the learner could make (the API route named beside it)
# --------------------------------------------------------------------------------------------------------
class NoArguments(Model):
    """`reset: {}`."""


class StepAction(Model):
    """POST …/step: `step: {unit: phase|pass|epoch, count: n}`."""

    step: StepRequest


class BackAction(Model):
    """POST …/back: `back: {unit: phase|pass, count: n}`."""

    back: BackRequest


class ResetAction(Model):
    """POST …/reset: `reset: {}`."""

    reset: NoArguments | None = None


class SetAction(Model):
    """PATCH the session: `set: {learning_rate, optimizer, batch_size, regularization}` (any of them)."""

    set: SessionPatch


class TrainAction(Model):
    """POST …/train, waited for: `train: {passes: n}` or `train: {epochs: n}`."""

    train: TrainRequest


class ConfigureAction(Model):
    """The learner changes the set-up (architecture, activations, init, data): the session is rebuilt in place
    with this configuration (same session, lesson progress kept), like a setup step."""

    configure: SessionCreate


ACTIONS = ("step", "back", "reset", "set", "train", "configure")


def _action_kind(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value))
    if isinstance(value, Model):
        return next(iter(type(value).model_fields))
    return None


Action = Annotated[
    Annotated[StepAction, Tag("step")]
    | Annotated[BackAction, Tag("back")]
    | Annotated[ResetAction, Tag("reset")]
    | Annotated[SetAction, Tag("set")]
    | Annotated[TrainAction, Tag("train")]
    | Annotated[ConfigureAction, Tag("configure")],
    Discriminator(
        _action_kind,
        custom_error_type="invalid_action",
        custom_error_message=(
            "an action is a mapping with exactly one key: step, back, reset, set, train or configure "
            "(e.g. {step: {unit: phase, count: 1}})"
        ),
    ),
]


# --------------------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------------------
class StepBase(Model):
    """What every step has: a title, Markdown text with TeX math, and controls hidden or locked while open."""

    title: str = Field(..., min_length=1)
    text: str = Field(..., min_length=1, description="Markdown with TeX math: $…$ inline, $$…$$ displayed")
    hide: list[Control] = Field(default_factory=list, description="controls hidden while this step is open")
    lock: list[Control] = Field(default_factory=list, description="controls shown but disabled meanwhile")


class ReadStep(StepBase):
    """Text only."""

    kind: Literal["read"]


class SetupStep(StepBase):
    """A session configuration the lesson applies (the session is rebuilt with it)."""

    kind: Literal["setup"]
    session: SessionCreate


class DoStep(StepBase):
    """The learner acts in the page until `condition` holds on the live session."""

    kind: Literal["do"]
    condition: str = Field(..., min_length=1)
    solution: list[Action] = Field(..., min_length=1)


class ComputeStep(StepBase):
    """The learner computes one number by hand; the engine's own value is the answer."""

    kind: Literal["compute"]
    ask: Ask
    tolerance: float | None = Field(None, gt=0, description="absolute; default: agree to 4 significant digits")


class GoalStep(StepBase):
    """A challenge: `condition` is the target, checked on the live session."""

    kind: Literal["goal"]
    condition: str = Field(..., min_length=1)
    solution: list[Action] = Field(..., min_length=1)


Step = Annotated[ReadStep | SetupStep | DoStep | ComputeStep | GoalStep, Field(discriminator="kind")]
STEP_KINDS = ("read", "setup", "do", "compute", "goal")
LESSON_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
NEEDS_SESSION = frozenset({"do", "compute", "goal"})


class Lesson(Model):
    """One lesson file; `id` is its file name without the extension (the loader sets it)."""

    id: str = Field(..., pattern=LESSON_ID_PATTERN)
    title: str = Field(..., min_length=1)
    summary: str = Field(..., min_length=1, description="one line, for the catalogue")
    level: Level
    minutes: int = Field(..., ge=1, le=600)
    sample: int = Field(0, ge=0, description="the training sample compute steps ask about (the page's focus)")
    hide: list[Control] = Field(default_factory=list, description="controls hidden for the whole lesson")
    lock: list[Control] = Field(default_factory=list, description="controls disabled for the whole lesson")
    steps: list[Step] = Field(..., min_length=1)

    @model_validator(mode="after")
    def _setup_comes_first(self) -> Lesson:
        for index, step in enumerate(self.steps):
            if step.kind == "setup":
                break
            if step.kind in NEEDS_SESSION:
                raise ValueError(
                    f"steps[{index}] is a {step.kind} step, but no setup step comes before it: "
                    "put a setup step (the session the lesson starts with) before the first do, compute or goal"
                )
        else:
            raise ValueError("a lesson needs a setup step: the session it starts with (kind: setup, session: {…})")
        return self

    @property
    def first_setup(self) -> SetupStep:
        """The setup a new session of this lesson starts with."""
        return next(step for step in self.steps if isinstance(step, SetupStep))
