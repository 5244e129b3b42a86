"""POST /api/sessions/{id}/rebuild: the same session with a new configuration — what the page does when a learner
changes the architecture, activations, initialization or data during a lesson, and what a lesson's setup steps
do. The session keeps its id, its WebSocket clients (they get a fresh snapshot) and its lesson progress; its
network, data and history are new (pass 0)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from app import schemas
from app.api import BUSY, ERRORS
from app.deps import RegistryDep, SessionDep, TokenDep

router = APIRouter(prefix="/api/sessions", tags=["sessions"], dependencies=[TokenDep], responses=ERRORS)


@router.post(
    "/{session_id}/rebuild",
    response_model=schemas.SessionState,
    summary="Rebuild the session in place with a new configuration",
    description="Takes what POST /api/sessions takes and builds it into THIS session: same id, same WebSocket "
    "clients (each gets a snapshot of the new network), lesson progress kept (the focus stays the lesson's "
    "sample); the history starts again at pass 0. Refused like a new session (422 naming the field) or while "
    "a training job runs (409); the session is then unchanged. Play mode goes on with the new network.",
    responses=BUSY,
)
async def rebuild_session(
    session: SessionDep, body: schemas.SessionCreate, registry: RegistryDep
) -> schemas.SessionState:
    return await run_in_threadpool(session.rebuild, body, registry.lookup_table)
