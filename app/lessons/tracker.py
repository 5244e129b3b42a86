"""A session's lesson: where the learner stands and what their actions do — answers checked against the engine's
own numbers, do and goal conditions checked on the live session, steps opened, skipped and finished.

The tracker belongs to one Session and every method is called with that session's lock held (the Session's
methods take it). It changes the session only through the `LessonHost` protocol: opening a setup step rebuilds
the session in place with the setup's configuration. After each change of the session (`after_change`) the open
do or goal step's condition is evaluated — at most every CHECK_INTERVAL seconds while the session plays or
trains (`settle` catches up when it stops) — and a do step whose condition becomes true moves the lesson on by
itself: the server checks, every page follows.

Progress: `completed` (read and setup steps once opened, compute steps answered right, do and goal steps whose
condition held), `skipped` (do, compute and goal steps left by Next without that), `revealed` (compute steps
whose answer was shown), the answers given per compute step, the engine's value when it was judged, the passes
refused as diverging since the step opened, and the setup step whose session is in force.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from app import schemas
from app.errors import AppError, Conflict, InvalidInput
from app.lessons.models import ComputeStep, DoStep, GoalStep, Lesson, SetupStep, StepBase
from app.lessons.render import lines_html
from app.lessons.views import engine_ask, step_info
from engine.lessons.by_hand import SampleNumbers, is_correct
from engine.lessons.conditions import ConditionError, Parsed, evaluate_comparisons, parse
from engine.lessons.quantities import VOCABULARY, SessionQuantities
from engine.stepper import Stepper

log = logging.getLogger(__name__)

CHECK_INTERVAL = 0.25  # seconds between condition checks while the session plays or trains
clock = time.monotonic  # (tests put a clock of their own here)
HINT_AFTER = 2  # wrong answers before the hint


class LessonHost(Protocol):
    """What the tracker reads and changes of its session (app.sessions.Session)."""

    stepper: Stepper
    config: schemas.SessionConfig

    def busy(self) -> bool: ...

    def rebuild_for_lesson(self, body: schemas.SessionCreate) -> None: ...


@dataclass
class Progress:
    """Where a learner stands in a lesson; see the module docstring."""

    step: int = 0
    tries: dict[int, int] = field(default_factory=dict)
    expected: dict[int, float] = field(default_factory=dict)
    completed: set[int] = field(default_factory=set)
    skipped: set[int] = field(default_factory=set)
    revealed: set[int] = field(default_factory=set)
    diverged: int = 0
    finished: bool = False
    setup: int | None = None


class LessonTracker:
    """One session's lesson and progress. `on_change` is called (lock held) whenever the lesson moves or the open
    step's status or check changes, so the session can save itself and tell its pages."""

    def __init__(self, lesson: Lesson, progress: Progress | None = None, on_change: Callable[[], None] | None = None):
        self.lesson = lesson
        self.progress = progress or Progress()
        self.on_change = on_change or (lambda: None)
        self.pending = False  # a check was put off while the session played or trained
        self._checked_at = -float("inf")
        self._check: schemas.LessonCheck | None = None
        self._conditions: dict[int, Parsed] = {}

    # -- what it is -------------------------------------------------------------------------------------
    @property
    def step(self) -> StepBase:
        return self.lesson.steps[self.progress.step]

    @property
    def last(self) -> int:
        return len(self.lesson.steps) - 1

    def _changed(self) -> None:
        self.on_change()

    # -- starting and moving ------------------------------------------------------------------------------
    def start(self, host: LessonHost) -> None:
        """A new session built from the lesson's first setup: open step 0 (no second build)."""
        self.progress.setup = self.lesson.steps.index(self.lesson.first_setup)
        self._enter(host, 0, forward=True, fresh=True)

    def next(self, host: LessonHost) -> None:
        """Open the next step; the one left is recorded as skipped when it was not done. Past the last step the
        lesson is finished."""
        here = self.progress.step
        if here == self.last:
            self._leave(here)
            self.progress.finished = True
            self._changed()
            return
        self._enter(host, here + 1, forward=True)
        self._leave(here)

    def back(self, host: LessonHost) -> None:
        if self.progress.step == 0:
            raise Conflict("this is the lesson's first step; there is no step before it", field="step")
        self._enter(host, self.progress.step - 1, forward=False)

    def goto(self, host: LessonHost, index: int) -> None:
        if not 0 <= index <= self.last:
            raise InvalidInput(
                f"step is {index}; this lesson has steps 0 to {self.last} (GET /api/lessons/{self.lesson.id})",
                field="step",
            )
        here = self.progress.step
        if index == here:
            return
        self._enter(host, index, forward=index > here)
        if index > here:
            self._leave(here)

    def _leave(self, index: int) -> None:
        """Going on past a do, compute or goal step that was not done (nor revealed) skips it."""
        kind = self.lesson.steps[index].kind
        done = index in self.progress.completed or index in self.progress.revealed
        if kind in ("do", "compute", "goal") and not done:
            self.progress.skipped.add(index)
            self._changed()

    def _enter(self, host: LessonHost, index: int, *, forward: bool, fresh: bool = False) -> None:
        """Open step `index`. Arriving forward at a setup step applies it (the session is rebuilt); any step
        governed by another setup than the one in force (a jump, going back across a setup) gets that one's
        session. A rebuild the engine refuses raises before anything changed."""
        steps = self.lesson.steps
        step = steps[index]
        governing = next((i for i in range(index, -1, -1) if isinstance(steps[i], SetupStep)), None)
        rebuild = governing is not None and (
            governing != self.progress.setup or (isinstance(step, SetupStep) and forward and not fresh)
        )
        if rebuild:
            setup = steps[governing]
            assert isinstance(setup, SetupStep)
            host.rebuild_for_lesson(self.session_body(setup.session))
            self.progress.setup = governing
        p = self.progress
        p.step = index
        p.diverged = 0
        self.pending = False
        self._check = None
        self._checked_at = -float("inf")
        if step.kind in ("read", "setup"):
            self._complete(index)
        elif isinstance(step, DoStep | GoalStep):
            self._evaluate(host, advance=False)  # a condition that already holds is done, but does not move on
        self._changed()

    def session_body(self, body: schemas.SessionCreate) -> schemas.SessionCreate:
        """A configuration with the lesson's sample as the focus (the records follow the sample asked about)."""
        return body.model_copy(update={"focus": self.lesson.sample})

    def _complete(self, index: int) -> None:
        self.progress.completed.add(index)
        self.progress.skipped.discard(index)

    # -- compute steps ------------------------------------------------------------------------------------
    def _compute_step(self, action: str) -> ComputeStep:
        step = self.step
        if not isinstance(step, ComputeStep):
            kind = self.lesson.steps[self.progress.step].kind
            raise Conflict(
                f"step {self.progress.step} ('{self.lesson.steps[self.progress.step].title}') is a {kind} step; "
                f"only compute steps {action}",
                field="step",
            )
        return step

    def _numbers(self, host: LessonHost) -> SampleNumbers:
        """The lesson's sample through the network as it is now, as a batch of one, with the η in force."""
        trainer = host.stepper.trainer
        config = host.stepper.pending_config or trainer.config
        i = self.lesson.sample
        return SampleNumbers.of(trainer.network, trainer.X_train[i], trainer.Y_train[i], config.optimizer.learning_rate)

    def answer(self, host: LessonHost, value: float) -> schemas.LessonAnswerResult:
        """Check a number against the engine's: right to 4 significant digits (or the step's tolerance)."""
        step = self._compute_step("take answers")
        index = self.progress.step
        numbers = self._numbers(host)
        expected = numbers.value(engine_ask(step))
        correct = is_correct(value, expected, step.tolerance)
        p = self.progress
        if index not in p.completed:
            p.tries[index] = p.tries.get(index, 0) + 1
            if correct:
                p.expected[index] = expected
                self._complete(index)
        self._changed()
        return self._result(host, correct, numbers)

    def reveal(self, host: LessonHost) -> schemas.LessonAnswerResult:
        """Show the expected value (and the hint); the step counts as revealed, not skipped."""
        step = self._compute_step("have an answer to reveal")
        index = self.progress.step
        numbers = self._numbers(host)
        p = self.progress
        if index not in p.expected:
            p.expected[index] = numbers.value(engine_ask(step))
        if index not in p.completed:
            p.revealed.add(index)
            p.skipped.discard(index)
        self._changed()
        return self._result(host, index in p.completed, numbers)

    def _result(self, host: LessonHost, correct: bool, numbers: SampleNumbers) -> schemas.LessonAnswerResult:
        hint_tex, hint, expected = self._answer_parts(host, numbers)
        return schemas.LessonAnswerResult(
            correct=correct,
            tries=self.progress.tries.get(self.progress.step, 0),
            status=self.status(),
            hint=hint,
            hint_tex=hint_tex,
            expected=expected,
        )

    def _answer_parts(
        self, host: LessonHost, numbers: SampleNumbers | None = None
    ) -> tuple[str | None, str | None, float | None]:
        """(hint TeX, hint MathML, expected) as the learner may see them now: the hint after two wrong answers
        (or a reveal), the expected value once answered right or revealed."""
        step = self.step
        if not isinstance(step, ComputeStep):
            return None, None, None
        index, p = self.progress.step, self.progress
        shown = index in p.completed or index in p.revealed
        wrong = p.tries.get(index, 0) - (1 if index in p.completed else 0)
        hint_tex = hint = None
        if wrong >= HINT_AFTER or index in p.revealed:
            numbers = numbers or self._numbers(host)
            hint_tex = numbers.hint(engine_ask(step))
            hint = lines_html(hint_tex)
        return hint_tex, hint, p.expected.get(index) if shown else None

    # -- do and goal steps ----------------------------------------------------------------------------------
    def _condition(self) -> Parsed | None:
        step = self.step
        if not isinstance(step, DoStep | GoalStep):
            return None
        index = self.progress.step
        if index not in self._conditions:
            self._conditions[index] = parse(step.condition, VOCABULARY)
        return self._conditions[index]

    def check(self, host: LessonHost) -> schemas.LessonCheck:
        """The open do or goal step's condition on the live session now (a do step that holds moves on)."""
        if self._condition() is None:
            kind = self.lesson.steps[self.progress.step].kind
            raise Conflict(
                f"step {self.progress.step} is a {kind} step; only do and goal steps have a condition to check",
                field="step",
            )
        return self._evaluate(host, advance=True)

    def after_change(self, host: LessonHost) -> None:
        """The session changed: check the open do or goal step (at most every CHECK_INTERVAL while busy)."""
        if self._condition() is None or self.progress.step in self.progress.completed:
            return
        if host.busy() and clock() - self._checked_at < CHECK_INTERVAL:
            self.pending = True
            return
        self._evaluate(host, advance=True)

    def settle(self, host: LessonHost) -> None:
        """The session stopped playing or training: the check put off meanwhile happens now."""
        if self.pending:
            self.pending = False
            if self._condition() is not None and self.progress.step not in self.progress.completed:
                self._evaluate(host, advance=True)

    def _evaluate(self, host: LessonHost, *, advance: bool) -> schemas.LessonCheck:
        parsed = self._condition()
        assert parsed is not None
        self.pending = False
        self._checked_at = clock()
        try:
            passed, comparisons = evaluate_comparisons(parsed, SessionQuantities(host.stepper, self._provided(host)))
            check = schemas.LessonCheck(
                passed=passed,
                detail="; ".join(map(str, comparisons)),
                comparisons=[schemas.ConditionComparison(**vars(c)) for c in comparisons],
            )
        except ConditionError as exc:  # e.g. grad_norm(5) after the learner made the network shallower
            check = schemas.LessonCheck(passed=False, detail=str(exc), comparisons=[])
        if check != self._check:
            self._check = check
            self._changed()
        index = self.progress.step
        if check.passed and index not in self.progress.completed:
            self._complete(index)
            self._changed()
            if advance and self.step.kind == "do" and index < self.last:
                try:
                    self._enter(host, index + 1, forward=True)
                except AppError as exc:  # the next setup cannot be built now: stay, the learner presses Next
                    log.warning("lesson %s could not move on from step %d: %s", self.lesson.id, index, exc.message)
        return check

    def _provided(self, host: LessonHost) -> dict[str, float | str]:
        """The vocabulary's names the app knows: the set-up's initialization, and refused passes."""
        init = host.config.init
        return {
            "init": "explicit" if isinstance(init, schemas.ExplicitInit) else init.scheme,
            "diverged": self.progress.diverged,
        }

    def count_diverged(self) -> None:
        """A pass was refused as diverging (the `diverged` quantity)."""
        self.progress.diverged += 1

    # -- views ----------------------------------------------------------------------------------------------
    def status(self, index: int | None = None) -> schemas.LessonStepStatus:
        index = self.progress.step if index is None else index
        p = self.progress
        if index in p.completed:
            return "done"
        if index in p.revealed:
            return "revealed"
        if index in p.skipped:
            return "skipped"
        return "open"

    def summary(self) -> schemas.LessonProgress:
        p = self.progress
        return schemas.LessonProgress(
            id=self.lesson.id,
            title=self.lesson.title,
            step=p.step,
            steps=len(self.lesson.steps),
            completed=sorted(p.completed),
            skipped=sorted(p.skipped),
            revealed=sorted(p.revealed),
            finished=p.finished,
        )

    def view(self, host: LessonHost) -> schemas.LessonStepView:
        """The open step as the page shows it (no evaluation: the last check of a condition)."""
        hint_tex, hint, expected = self._answer_parts(host)
        info = step_info(self.lesson, self.progress.step)
        return schemas.LessonStepView(
            **info.model_dump(),
            status=self.status(),
            tries=self.progress.tries.get(self.progress.step, 0),
            hint=hint,
            hint_tex=hint_tex,
            expected=expected,
            check=self._check,
            lesson=self.summary(),
        )

    def fresh_view(self, host: LessonHost) -> schemas.LessonStepView:
        """The view, with the open do or goal step checked first if it has not been since the session last
        changed (GET …/lesson answers what holds now)."""
        if self._condition() is not None and (self._check is None or self.pending):
            self._evaluate(host, advance=True)
        return self.view(host)

    # -- kept -----------------------------------------------------------------------------------------------
    def to_doc(self) -> schemas.LessonProgressDoc:
        p = self.progress
        return schemas.LessonProgressDoc(
            id=self.lesson.id,
            step=p.step,
            tries=dict(p.tries),
            expected=dict(p.expected),
            completed=sorted(p.completed),
            skipped=sorted(p.skipped),
            revealed=sorted(p.revealed),
            diverged=p.diverged,
            finished=p.finished,
            setup=p.setup,
        )

    @classmethod
    def from_doc(
        cls, lesson: Lesson, doc: schemas.LessonProgressDoc, on_change: Callable[[], None] | None = None
    ) -> LessonTracker:
        """Progress read back (an import, a restart); InvalidInput if it does not fit the lesson's steps."""
        n = len(lesson.steps)
        steps = [doc.step, *doc.tries, *doc.expected, *doc.completed, *doc.skipped, *doc.revealed]
        if doc.setup is not None:
            steps.append(doc.setup)
        if any(not 0 <= i < n for i in steps):
            raise InvalidInput(
                f"lesson progress names a step the lesson '{lesson.id}' does not have (it has steps 0 to {n - 1}); "
                "the lesson file changed since it was saved",
                field="lesson.step",
            )
        if doc.setup is not None and not isinstance(lesson.steps[doc.setup], SetupStep):
            raise InvalidInput(f"lesson.setup is {doc.setup}, which is not a setup step", field="lesson.setup")
        progress = Progress(
            step=doc.step,
            tries=dict(doc.tries),
            expected=dict(doc.expected),
            completed=set(doc.completed),
            skipped=set(doc.skipped),
            revealed=set(doc.revealed),
            diverged=doc.diverged,
            finished=doc.finished,
            setup=doc.setup,
        )
        return cls(lesson, progress, on_change)
