"""GET /api/health: liveness for Docker's HEALTHCHECK and load balancers; it needs no token."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app import __version__, schemas
from app.deps import JobsDep, RegistryDep

router = APIRouter(prefix="/api", tags=["health"])


@router.get(
    "/health",
    response_model=schemas.Health,
    summary="Is the server up?",
    description="Answers without the access token (so a container health check needs no secret); it tells "
    "only the version, how many sessions and training jobs are live, how the store is doing (whether an "
    "unusable database file was moved aside at start-up, the last failed write), and how many lessons loaded, "
    "with each lesson file that did not (its name, line and what to fix).",
)
async def health(request: Request, registry: RegistryDep, jobs: JobsDep) -> schemas.Health:
    persistence = getattr(request.app.state, "persistence", None)
    storage = schemas.StorageHealth(enabled=False) if persistence is None else persistence.health()
    lessons = getattr(request.app.state, "lessons", None)
    return schemas.Health(
        version=__version__,
        sessions=len(registry),
        jobs=jobs.running,
        storage=storage,
        lessons=lessons.health() if lessons is not None else None,
    )
