"""A session's lesson (app/lessons/tracker.py) on a real Session: conditions checked after every change but at
most every CHECK_INTERVAL while the session plays or trains, the check put off then made when it stops; refused
passes counted from the step's opening; progress read back only when it fits the lesson."""

from __future__ import annotations

import pytest

from app import schemas
from app.config import Settings
from app.errors import InvalidInput
from app.lessons import tracker as tracker_module
from app.lessons.loader import load_lessons
from app.lessons.tracker import LessonTracker
from app.sessions import Session

LESSONS = load_lessons(settings=Settings(persist=False)).lessons


class Clock:
    """The tracker's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(tracker_module, "clock", fake)
    return fake


@pytest.fixture
def xor(settings: Settings, clock: Clock) -> Session:
    """Lesson 2 at its do step 'train 1000 passes' (passes >= 1000), the tracker on the hand-moved clock."""
    session = Session.for_lesson(LESSONS["02-xor-hidden-layer"], settings)
    session.lesson_action(lambda lesson: lesson.goto(session, 2))
    return session


def test_idle_a_condition_is_checked_after_every_change(xor: Session, clock: Clock) -> None:
    tracker = xor.lesson
    assert tracker is not None
    xor.train_chunk(999)
    assert tracker.progress.step == 2 and tracker.view(xor).check.comparisons[0].value == "999"
    xor.train_chunk(1)  # same instant: not busy, so checked all the same
    assert tracker.progress.step == 3 and 2 in tracker.progress.completed


def test_while_busy_checks_come_at_most_every_interval_and_once_more_when_it_stops(xor: Session, clock: Clock) -> None:
    tracker = xor.lesson
    assert tracker is not None
    xor.playing = True
    xor.train_chunk(500)  # within the interval of the check made when the step opened: put off
    assert tracker.pending and tracker.view(xor).check.comparisons[0].value == "0"
    clock.now += tracker_module.CHECK_INTERVAL
    xor.train_chunk(10)  # an interval later: checked (not met yet)
    assert not tracker.pending and tracker.view(xor).check.comparisons[0].value == "510"
    revision = xor.lesson_revision
    xor.train_chunk(490)  # met, but within the interval: put off, nothing sent
    assert tracker.pending and tracker.progress.step == 2 and xor.lesson_revision == revision
    xor.settle()  # still playing: nothing yet
    assert tracker.progress.step == 2
    xor.playing = False
    xor.settle()  # play stopped: the check put off happens now, and the do step moves on
    assert tracker.progress.step == 3 and not tracker.pending and xor.lesson_revision > revision


def test_refused_passes_count_from_the_steps_opening(settings: Settings) -> None:
    session = Session.for_lesson(LESSONS["04-learning-rate"], settings)
    session.lesson_action(lambda lesson: lesson.goto(session, 2))  # do: diverged >= 1, η far too large
    tracker = session.lesson
    assert tracker is not None and tracker.progress.diverged == 0
    result = session.train_chunk(300)
    assert result.diverged is not None
    assert tracker.progress.step == 3 and 2 in tracker.progress.completed  # met, moved on
    assert tracker.progress.diverged == 0  # the new step counts afresh


def test_progress_that_does_not_fit_the_lesson_is_refused() -> None:
    lesson = LESSONS["02-xor-hidden-layer"]  # steps 0 to 5; the setup is step 1
    good = schemas.LessonProgressDoc(id=lesson.id, step=4, completed=[0, 1, 2, 3], setup=1, tries={})
    assert LessonTracker.from_doc(lesson, good).progress.step == 4
    for bad, field in (
        ({"step": 6}, "lesson.step"),
        ({"completed": [9]}, "lesson.step"),
        ({"tries": {7: 1}}, "lesson.step"),
        ({"setup": 2}, "lesson.setup"),  # step 2 is a do step
    ):
        doc = good.model_copy(update=bad)
        with pytest.raises(InvalidInput) as refused:
            LessonTracker.from_doc(lesson, doc)
        assert refused.value.field == field
