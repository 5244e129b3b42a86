"""The lesson catalogue: GET /api/lessons (every lesson the server loaded) and GET /api/lessons/{id} (one
lesson with its steps rendered as HTML with MathML — no expected answers, no solutions). docs/lessons.md says
how to write one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app import schemas
from app.api import ERRORS
from app.deps import LessonsDep, TokenDep
from app.lessons.views import detail

router = APIRouter(prefix="/api/lessons", tags=["lessons"], dependencies=[TokenDep], responses=ERRORS)


@router.get(
    "",
    response_model=list[schemas.LessonInfo],
    summary="The lesson catalogue",
    description="Every lesson this server loaded — the shipped ones, then those in BACKPROP_VIZ_LESSONS_DIR — in "
    "catalogue order: id, title, one-line summary, level, minutes and the number of steps. Open one with "
    'POST /api/sessions {"lesson": "<id>"}, or in the page with /?lesson=<id>. Files that did not load are '
    "listed by GET /api/health.",
)
async def list_lessons(lessons: LessonsDep) -> list[schemas.LessonInfo]:
    return lessons.infos()


@router.get(
    "/{lesson_id}",
    response_model=schemas.LessonDetail,
    summary="One lesson, every step rendered",
    description="The lesson's steps with their text as HTML (MathML for the math), what each compute step asks "
    "for and each do or goal step's condition. Expected answers and scripted solutions are never sent.",
)
async def get_lesson(
    lessons: LessonsDep, lesson_id: Annotated[str, Path(description="the lesson's id", max_length=200)]
) -> schemas.LessonDetail:
    return detail(lessons.get(lesson_id))
