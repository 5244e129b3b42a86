"""Watch links over REST (app/watch.py): the owner makes and revokes a session's link; a watcher reads the session
through its token, read-only.

    POST   /api/sessions/{id}/watch   201 {token, url} (200 with the same link when the session has one already)
    DELETE /api/sessions/{id}/watch   204; the watchers' sockets are closed with 4410 and the reason
    GET    /api/watch/{token}[/…]     the views a watcher's page needs: state, metrics, lesson, images, jobs/{id},
                                      diagnostics, units, landscape, evaluation
    any other method under /api/watch/{token} → 403 (a watch link changes nothing)

Every answer a watcher gets has the session id replaced by the token (`app.watch.scrub`): the id is the capability
to change the session. The access token (BACKPROP_VIZ_TOKEN), when set, is needed here as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from app import schemas
from app.api import ERRORS, ErrorResponse
from app.deps import HistoryPoints, HubsDep, SessionDep, TokenDep
from app.errors import Forbidden, NotFound
from app.sessions.imaging import MAX_IMAGES, ImagesRequest
from app.watch import CLOSE_REVOKED, READ_ONLY, REVOKED_REASON, Link, WatchLinks, scrub, watch_url

FORBIDDEN = {403: {**ErrorResponse, "description": "a watch link is read-only: anything but GET is refused"}}

owner = APIRouter(prefix="/api/sessions", tags=["watch links"], dependencies=[TokenDep], responses=ERRORS)
router = APIRouter(prefix="/api/watch", tags=["watch links"], dependencies=[TokenDep], responses=ERRORS)

WatchToken = Annotated[str, Path(description="the watch token from POST /api/sessions/{id}/watch", max_length=64)]


def links(request: Request) -> WatchLinks:
    return request.app.state.watch


# ---------------------------------------------------------------------------------------------------------
# The owner: make and revoke the link
# ---------------------------------------------------------------------------------------------------------
@owner.post(
    "/{session_id}/watch",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.WatchLink,
    summary="Make a read-only watch link to the session",
    description="Anyone with the link sees the session live in the page (`url`, relative to the app's root) — "
    "every phase, the charts, the lesson — but cannot change it; nothing a watcher gets names the session id. "
    "201 with a new link; 200 with the same one when the session has a link already.",
)
async def create_link(session: SessionDep, request: Request, response: Response) -> schemas.WatchLink:
    token, made = links(request).create(session)
    if not made:
        response.status_code = status.HTTP_200_OK
    return schemas.WatchLink(token=token, url=watch_url(token))


@owner.delete(
    "/{session_id}/watch",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the session's watch link",
    description="The token stops working at once and the watchers' WebSockets are closed with code 4410 and "
    "the reason. 204 also when the session had no link.",
)
async def revoke_link(session: SessionDep, request: Request, hubs: HubsDep) -> Response:
    token = links(request).revoke(session)
    if token is not None:
        hubs.close_watchers(session, token, CLOSE_REVOKED, REVOKED_REASON)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------------------
# The watcher: read-only views
# ---------------------------------------------------------------------------------------------------------
async def _answer(link: Link, produce: Callable[[], schemas.Model]) -> Response:
    """`produce()`'s model as JSON, made in a worker thread, with the session id scrubbed."""

    def render() -> bytes:
        text = produce().model_dump_json(by_alias=True)
        return scrub(text, link.session.id, link.token).encode("utf-8")

    body = await run_in_threadpool(render)
    return Response(body, media_type="application/json")


def _link(request: Request, token: str) -> Link:
    return links(request).get(token)


@router.get("/{token}", response_model=schemas.SessionState, summary="The watched session's state")
async def watched_state(request: Request, token: WatchToken) -> Response:
    link = _link(request, token)
    return await _answer(link, link.session.state)


@router.get(
    "/{token}/metrics",
    response_model=schemas.MetricsHistory,
    summary="The watched session's history",
    description="As GET /api/sessions/{id}/metrics (`?points=N`: at most N points a series).",
)
async def watched_metrics(request: Request, token: WatchToken, points: HistoryPoints = None) -> Response:
    link = _link(request, token)
    return await _answer(link, lambda: link.session.metrics_history(points))


@router.get(
    "/{token}/lesson",
    response_model=schemas.LessonStepView,
    summary="The open step of the watched session's lesson (404 when it follows none)",
)
async def watched_lesson(request: Request, token: WatchToken) -> Response:
    link = _link(request, token)
    session = link.session
    return await _answer(link, lambda: session.lesson_action(lambda lesson: lesson.fresh_view(session)))


@router.get("/{token}/images", response_model=schemas.ImageSamples, summary="The watched session's images")
async def watched_images(
    request: Request,
    token: WatchToken,
    split: Literal["train", "test"] = "test",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_IMAGES)] = 60,
    mistakes: bool = False,
    pixels: bool = True,
) -> Response:
    link = _link(request, token)
    query = ImagesRequest(split, offset, limit, mistakes, pixels)
    return await _answer(link, lambda: link.session.image_samples(query))


@router.get("/{token}/jobs/{job_id}", response_model=schemas.Job, summary="A training job of the watched session")
async def watched_job(request: Request, token: WatchToken, job_id: str) -> Response:
    link = _link(request, token)
    session = link.session
    job = session.jobs.get(job_id)
    if job is None:
        raise NotFound(f"the watched session has no job {job_id!r}", field="job_id")
    return await _answer(link, lambda: session.job_model(job))


@router.get("/{token}/diagnostics", response_model=schemas.Diagnostics, summary="The watched session's diagnostics")
async def watched_diagnostics(request: Request, token: WatchToken, history: bool = False) -> Response:
    link = _link(request, token)
    return await _answer(link, lambda: link.session.diagnostics(history))


@router.get("/{token}/units", response_model=schemas.UnitsView, summary="What each unit of a watched layer computes")
async def watched_units(
    request: Request, token: WatchToken, layer: Annotated[int, Query(description="l = 1..L")]
) -> Response:
    link = _link(request, token)
    return await _answer(link, lambda: link.session.units(layer))


@router.get("/{token}/landscape", response_model=schemas.Landscape, summary="The watched session's loss landscape")
async def watched_landscape(request: Request, token: WatchToken) -> Response:
    link = _link(request, token)
    return await _answer(link, link.session.landscape)


@router.get("/{token}/evaluation", response_model=schemas.Evaluation, summary="The watched session's evaluation")
async def watched_evaluation(request: Request, token: WatchToken) -> Response:
    link = _link(request, token)
    return await _answer(link, link.session.evaluation)


@router.api_route(
    "/{token}",
    methods=["POST", "PUT", "PATCH", "DELETE"],
    responses=FORBIDDEN,
    include_in_schema=False,
)
@router.api_route(
    "/{token}/{rest:path}",
    methods=["POST", "PUT", "PATCH", "DELETE"],
    responses=FORBIDDEN,
    include_in_schema=False,
)
async def refuse_writes(request: Request, token: WatchToken) -> Response:
    """A watch link changes nothing: 403, whether or not the token is live (it says nothing about the session)."""
    raise Forbidden(READ_ONLY.replace("commands are refused", f"{request.method} is refused"))
