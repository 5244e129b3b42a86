"""GET /api/health: liveness for Docker's HEALTHCHECK and load balancers; it needs no token."""

from __future__ import annotations

from fastapi import APIRouter

from app import __version__, schemas
from app.deps import JobsDep, RegistryDep

router = APIRouter(prefix="/api", tags=["health"])


@router.get(
    "/health",
    response_model=schemas.Health,
    summary="Is the server up?",
    description="Answers without the access token (so a container health check needs no secret); it tells "
    "only the version and how many sessions and training jobs are live.",
)
async def health(registry: RegistryDep, jobs: JobsDep) -> schemas.Health:
    return schemas.Health(version=__version__, sessions=len(registry), jobs=jobs.running)
