"""Shared route dependencies as `Annotated` aliases: the settings, the registry, the job runner, the WebSocket
hubs, the lessons, a session by its path id, and the token check every REST router (but health) depends on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.requests import HTTPConnection

from app.config import Settings
from app.hubs import Hubs
from app.jobs import JobRunner
from app.lessons.catalog import Lessons
from app.registry import SessionRegistry
from app.security import check_token, needs_token
from app.sessions import Session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_registry(request: Request) -> SessionRegistry:
    return request.app.state.registry


def get_jobs(request: Request) -> JobRunner:
    return request.app.state.jobs


def get_lessons(request: Request) -> Lessons:
    """The lessons the app loaded at start-up."""
    return request.app.state.lessons


def get_hubs(connection: HTTPConnection) -> Hubs:
    """The app's WebSocket hubs (made in its lifespan); a WebSocket route's dependency, hence a connection, not
    a request."""
    return connection.app.state.hubs


SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[SessionRegistry, Depends(get_registry)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
HubsDep = Annotated[Hubs, Depends(get_hubs)]
LessonsDep = Annotated[Lessons, Depends(get_lessons)]


def require_token(request: Request, settings: SettingsDep) -> None:
    """401 unless the request presents BACKPROP_VIZ_TOKEN (when one is set and the path needs it: not a watch
    link's, app/security.py `needs_token`)."""
    if needs_token(request.url.path):
        check_token(request, settings)


def get_session(
    registry: RegistryDep, session_id: Annotated[str, Path(description="the session's id", max_length=64)]
) -> Session:
    """The session named in the path (404 if there is none; looking it up counts as using it)."""
    return registry.get(session_id)


SessionDep = Annotated[Session, Depends(get_session)]
HistoryPoints = Annotated[
    int | None,
    Query(
        ge=3,
        le=1_000_000,
        description="at most this many points a series: the first, the last and every k-th (k a power of two, as the "
        "engine thins); every point the engine keeps if left out",
    ),
]
TokenDep = Depends(require_token)
