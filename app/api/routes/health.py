"""GET /api/health: liveness for Docker's HEALTHCHECK and load balancers; it needs no token."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app import __version__, schemas
from app.deps import JobsDep, RegistryDep, SettingsDep
from app.security import presented_token, token_matches

router = APIRouter(prefix="/api", tags=["health"])


@router.get(
    "/health",
    response_model=schemas.Health,
    summary="Is the server up?",
    description="Answers without the access token (so a container health check needs no secret); it tells "
    "only the version, how many sessions and training jobs are live, whether the store works (an unusable "
    "database file moved aside at start-up, the last failed write), and how many lessons loaded, with each "
    "lesson file that did not (its name, line and what to fix). Where the store's files are is told only to a "
    "request that presents the access token (when one is set).",
)
async def health(request: Request, registry: RegistryDep, jobs: JobsDep, settings: SettingsDep) -> schemas.Health:
    persistence = getattr(request.app.state, "persistence", None)
    where = bool(settings.token) and token_matches(presented_token(request), settings.token)
    storage = schemas.StorageHealth(enabled=False) if persistence is None else persistence.health(where)
    lessons = getattr(request.app.state, "lessons", None)
    hubs = getattr(request.app.state, "hubs", None)
    return schemas.Health(
        version=__version__,
        sessions=len(registry),
        jobs=jobs.running,
        plays=len(hubs.play_slots) if hubs is not None else 0,
        websocket_clients=hubs.clients if hubs is not None else 0,
        storage=storage,
        lessons=lessons.health() if lessons is not None else None,
    )
