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
    "only the version, how many sessions and training jobs are live, and how the store is doing (whether an "
    "unusable database file was moved aside at start-up, the last failed write).",
)
async def health(request: Request, registry: RegistryDep, jobs: JobsDep) -> schemas.Health:
    persistence = getattr(request.app.state, "persistence", None)
    if persistence is None:
        storage = schemas.StorageHealth(enabled=False)
    else:
        status = persistence.status()
        storage = schemas.StorageHealth(
            enabled=True,
            database=status["path"],
            restored_sessions=status["restored_sessions"],
            restored_datasets=status["restored_datasets"],
            not_restored=len(status["not_restored"]),
            moved_aside=status["moved_aside"],
            problem=status["moved_aside_because"],
            last_error=status["last_error"],
        )
    return schemas.Health(version=__version__, sessions=len(registry), jobs=jobs.running, storage=storage)
