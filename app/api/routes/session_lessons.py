"""A session's lesson over REST: the open step, answers, reveals, moving between steps, checking a condition and
leaving the lesson. A session follows a lesson when it was made with POST /api/sessions {"lesson": "<id>"}.
Every change is saved with the session and sent to its WebSocket clients as a `lesson` event
(docs/protocol.md). Each call runs in a worker thread under the session's lock (Session.lesson_action)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from app import schemas
from app.api import ERRORS, ErrorResponse
from app.deps import SessionDep, TokenDep
from app.lessons.tracker import LessonHost
from app.sessions import Session

router = APIRouter(prefix="/api/sessions", tags=["lessons"], dependencies=[TokenDep], responses=ERRORS)

WRONG_KIND = {
    409: {**ErrorResponse, "description": "the open step is not of a kind that takes this (the message says which)"}
}
STEP_REFUSED = {409: {**ErrorResponse, "description": "there is no such step to go to, or a training job is running"}}


@router.get(
    "/{session_id}/lesson",
    response_model=schemas.LessonStepView,
    summary="The open step of the session's lesson",
    description="The step rendered (HTML with MathML), its kind and status, for compute steps `ask` (quantity, "
    "layer, row, col), the tries, the hint after two wrong answers and the expected value only once answered "
    "right or revealed; for do and goal steps `condition` and its `check` on the live session; the controls "
    "the page hides and locks meanwhile; and the lesson's progress. 404 when the session follows no lesson.",
)
async def get_lesson_step(session: SessionDep) -> schemas.LessonStepView:
    return await run_in_threadpool(session.lesson_action, lambda lesson: lesson.fresh_view(session))


@router.delete(
    "/{session_id}/lesson",
    response_model=schemas.SessionState,
    summary="Leave the lesson",
    description="The session stops following its lesson and stays as it is (the page shows every control again).",
)
async def leave_lesson(session: SessionDep) -> schemas.SessionState:
    return await run_in_threadpool(session.leave_lesson)


@router.post(
    "/{session_id}/lesson/answer",
    response_model=schemas.LessonAnswerResult,
    summary="Answer a compute step",
    description="Checks the number against the engine's own value for the lesson's sample at the session's "
    "current weights: right when it agrees to 4 significant digits (or within the step's tolerance). After the "
    "second wrong answer the result carries the hint; `expected` only once the answer is right. 422 for a "
    "value that is not a finite number, 409 when the open step is not a compute step.",
    responses=WRONG_KIND,
)
async def answer(session: SessionDep, body: schemas.LessonAnswer) -> schemas.LessonAnswerResult:
    return await run_in_threadpool(session.lesson_action, lambda lesson: lesson.answer(session, body.value))


@router.post(
    "/{session_id}/lesson/reveal",
    response_model=schemas.LessonAnswerResult,
    summary="Reveal a compute step's answer",
    description="The expected value and the hint; the step counts as revealed (not done, not skipped).",
    responses=WRONG_KIND,
)
async def reveal(session: SessionDep) -> schemas.LessonAnswerResult:
    return await run_in_threadpool(session.lesson_action, lambda lesson: lesson.reveal(session))


@router.post(
    "/{session_id}/lesson/next",
    response_model=schemas.LessonStepView,
    summary="Open the next step",
    description="Allowed past a step that is not done: a do, compute or goal step left so is recorded as "
    "skipped. Arriving at a setup step rebuilds the session in place with its configuration. Past the last "
    "step the lesson is finished (`lesson.finished`).",
    responses=STEP_REFUSED,
)
async def next_step(session: SessionDep) -> schemas.LessonStepView:
    return await run_in_threadpool(session.lesson_action, lambda lesson: _then_view(session, lesson.next))


@router.post(
    "/{session_id}/lesson/back",
    response_model=schemas.LessonStepView,
    summary="Open the step before",
    description="409 at the first step. A step governed by an earlier setup gets that setup's session.",
    responses=STEP_REFUSED,
)
async def back_step(session: SessionDep) -> schemas.LessonStepView:
    return await run_in_threadpool(session.lesson_action, lambda lesson: _then_view(session, lesson.back))


@router.post(
    "/{session_id}/lesson/goto",
    response_model=schemas.LessonStepView,
    summary="Open any step",
    description="`step` from 0 (422 outside the lesson). The session is the one the step's setup gives.",
    responses=STEP_REFUSED,
)
async def goto_step(session: SessionDep, body: schemas.LessonGoto) -> schemas.LessonStepView:
    return await run_in_threadpool(
        session.lesson_action, lambda lesson: _then_view(session, lambda host: lesson.goto(host, body.step))
    )


@router.get(
    "/{session_id}/lesson/check",
    response_model=schemas.LessonCheck,
    summary="Check the open do or goal step",
    description="Evaluates its condition on the live session now: `passed`, and each comparison with its live "
    "value and target. A do step whose condition holds moves the lesson on. 409 for other kinds of step.",
    responses=WRONG_KIND,
)
async def check(session: SessionDep) -> schemas.LessonCheck:
    return await run_in_threadpool(session.lesson_action, lambda lesson: lesson.check(session))


def _then_view(session: Session, move: Callable[[LessonHost], None]) -> schemas.LessonStepView:
    """Move the lesson (under the session's lock, in Session.lesson_action), then the step it opened."""
    move(session)
    assert session.lesson is not None
    return session.lesson.view(session)
