"""Lessons as the page sees them: the catalogue entry, and each step rendered (Markdown and TeX as HTML with
MathML, what it asks or checks) — never an expected answer or a scripted solution."""

from __future__ import annotations

from app import schemas
from app.lessons.models import ComputeStep, DoStep, GoalStep, Lesson
from app.lessons.render import math_html, render
from engine.lessons.by_hand import Ask, describe, symbol


def info(lesson: Lesson) -> schemas.LessonInfo:
    return schemas.LessonInfo(
        id=lesson.id,
        title=lesson.title,
        summary=lesson.summary,
        level=lesson.level,
        minutes=lesson.minutes,
        steps=len(lesson.steps),
    )


def engine_ask(step: ComputeStep) -> Ask:
    a = step.ask
    return Ask(a.quantity, a.layer, a.row, a.col, a.form)


def step_info(lesson: Lesson, index: int) -> schemas.LessonStepInfo:
    """Step `index` rendered: text as HTML with MathML, what it asks or checks; never its answer or solution."""
    step = lesson.steps[index]
    ask = None
    if isinstance(step, ComputeStep):
        engine = engine_ask(step)
        ask = schemas.LessonAsk(
            quantity=step.ask.quantity,
            layer=step.ask.layer,
            row=step.ask.row,
            col=step.ask.col,
            symbol=math_html(symbol(engine)),
            label=describe(engine),
        )
    return schemas.LessonStepInfo(
        index=index,
        kind=step.kind,
        title=step.title,
        html=render(step.text),
        ask=ask,
        condition=step.condition if isinstance(step, DoStep | GoalStep) else None,
        hide=_merged(lesson.hide, step.hide),
        lock=_merged(lesson.lock, step.lock),
    )


def detail(lesson: Lesson) -> schemas.LessonDetail:
    return schemas.LessonDetail(
        id=lesson.id,
        title=lesson.title,
        summary=lesson.summary,
        level=lesson.level,
        minutes=lesson.minutes,
        sample=lesson.sample,
        hide=list(lesson.hide),
        lock=list(lesson.lock),
        steps=[step_info(lesson, i) for i in range(len(lesson.steps))],
    )


def _merged(outer: list[str], inner: list[str]) -> list[str]:
    return list(dict.fromkeys([*outer, *inner]))
