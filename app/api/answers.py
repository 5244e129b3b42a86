"""Answers built and serialized in a worker thread: a session's state holds every weight (a 3-million-weight
network's is some 60 MB of JSON) and a step answer up to BACKPROP_VIZ_MAX_STEP_ANSWER_BYTES of records, too much
to validate and encode on the event loop, as FastAPI does for an `async def` route's return value. The route
keeps its `response_model` for the documentation and returns this ready-made Response."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from app.schemas import Model


async def answer(
    produce: Callable[[], Model], status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`produce()`'s model as JSON (field aliases such as `pass`; non-finite numbers as null), both made in a
    worker thread."""

    def render() -> bytes:
        return produce().model_dump_json(by_alias=True).encode("utf-8")

    body = await run_in_threadpool(render)
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)
