"""A session's diagnostics over REST: layer statistics and flags (with their history), hidden-unit views, the loss
landscape (a background job), and the evaluation of each split. The engine computes (engine/diagnostics/); the
session converts (app/sessions/diagnosing.py); every call runs in a worker thread."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status
from starlette.concurrency import run_in_threadpool

from app import schemas
from app.api import BUSY, ERRORS, ErrorResponse
from app.api.routing import OffLoopRoute
from app.deps import JobsDep, SessionDep, TokenDep

router = APIRouter(
    prefix="/api/sessions", tags=["diagnostics"], dependencies=[TokenDep], responses=ERRORS, route_class=OffLoopRoute
)


@router.get(
    "/{session_id}/diagnostics",
    response_model=schemas.Diagnostics,
    summary="Layer statistics and health flags",
    description="Per layer l = 1..L, on the probe batch (the training set, at most 256 samples, fewer for large "
    "networks; `probe_size` says how many): ‖W^l‖, ‖∂J/∂W^l‖, the last update's ‖ΔW^l‖/‖W^l‖, the shares of dead "
    "and saturated units, and histograms of W^l, a^l, δ^l and ∂J/∂W^l on bins fixed per layer and quantity. "
    "`flags` are the health problems they show, each a sentence with its number and threshold. With "
    "`?history=true`, `history` holds the statistics at every measured pass (bounded, thinned like the metrics) "
    "and each histogram's counts over time on its current bins.",
)
async def get_diagnostics(session: SessionDep, history: bool = False) -> schemas.Diagnostics:
    return await run_in_threadpool(session.diagnostics, history)


@router.get(
    "/{session_id}/units",
    response_model=schemas.UnitsView,
    summary="What each unit of a layer computes",
    description="For 2-D inputs (`kind: grid`): every unit's a^l_j over the grid of the input plane the decision "
    "boundary is drawn on (coarser for a layer so wide that its pictures would pass 250,000 numbers). Otherwise "
    "(`kind: projection`): the probe samples as layer l sees them — its units directly when it has one or two, "
    "else their projection on two principal axes fixed when first asked — with each sample's class or target.",
    responses={422: {**ErrorResponse, "description": "no such layer (the message names the valid range)"}},
)
async def get_units(session: SessionDep, layer: Annotated[int, Query(description="l = 1..L")]) -> Response:
    view = await run_in_threadpool(session.units, layer)
    return Response(view.model_dump_json(by_alias=True), media_type="application/json")


@router.post(
    "/{session_id}/landscape",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.Job,
    summary="Compute the loss landscape (a background job)",
    description="J on a resolution × resolution grid around the current weights θ + α d₁ + β d₂ (two seeded, "
    "filter-normalized random directions, Li et al. 2018), the training path projected on that plane and a slice "
    "along −∇J. Runs as a job of kind `landscape` (202, `Location`): its progress comes as `job` events on the "
    "WebSocket and from GET …/jobs/{job_id}; DELETE …/jobs/{job_id} cancels it. While it runs the session is busy "
    "as during a training job. 422 when it would cost more than BACKPROP_VIZ_LANDSCAPE_MAX_WORK multiply-adds.",
    responses={
        **BUSY,
        429: {**ErrorResponse, "description": "too many jobs running (BACKPROP_VIZ_MAX_CONCURRENT_JOBS)"},
    },
)
async def post_landscape(
    session: SessionDep,
    jobs: JobsDep,
    response: Response,
    body: Annotated[schemas.LandscapeRequest | None, Body()] = None,
) -> schemas.Job:
    job = await run_in_threadpool(jobs.start_landscape, session, body or schemas.LandscapeRequest())
    response.headers["Location"] = f"/api/sessions/{session.id}/jobs/{job.id}"
    return await run_in_threadpool(session.job_model, job)


@router.get(
    "/{session_id}/landscape",
    response_model=schemas.Landscape,
    summary="The last loss landscape computed",
    description="The result of the last landscape job: `loss[i][j]` at (`alphas[j]`, `betas[i]`), the `path`, "
    "`center_loss` (J at the weights it was computed at, on the probe batch; `pass` says which) and `slice`. "
    "404 before any was computed; 409 while one is being computed (follow its job).",
    responses={
        404: {**ErrorResponse, "description": "no landscape computed yet"},
        409: {**ErrorResponse, "description": "a landscape job is running"},
    },
)
async def get_landscape(session: SessionDep) -> schemas.Landscape:
    return await run_in_threadpool(session.landscape)


@router.get(
    "/{session_id}/evaluation",
    response_model=schemas.Evaluation,
    response_model_exclude_none=False,
    summary="Confusion matrices, or R² and predicted vs actual",
    description="Classification: the confusion matrix of the training and the test split (rows the true class, "
    "columns the predicted one; `test` null without a test split). Regression: R² of each split (averaged over "
    "the target columns) and [actual, predicted] pairs (at most 2,000 per split).",
)
async def get_evaluation(session: SessionDep) -> schemas.Evaluation:
    return await run_in_threadpool(session.evaluation)
