"""Sessions over REST: create, read, change, step, step back, train in the background, predict, check
gradients, export and import. Every Session call runs in a worker thread (never on the event loop); the
Session takes its own lock, so one session's work never stalls another session or the health check."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from app import chunkedjson, schemas
from app.api import BUSY, ERRORS, FULL, ErrorResponse
from app.api.answers import answer
from app.api.routing import OffLoopRoute, parse_json
from app.api.streaming import read_limited
from app.deps import HistoryPoints, JobsDep, LessonsDep, RegistryDep, SessionDep, SettingsDep, TokenDep
from app.errors import InvalidInput
from app.jobs import JobInfo
from app.sessions import Session
from engine.diagnostics.stopping import StopRule

M = TypeVar("M", bound=BaseModel)

router = APIRouter(
    prefix="/api/sessions", tags=["sessions"], dependencies=[TokenDep], responses=ERRORS, route_class=OffLoopRoute
)


def _url(session: Session, job: JobInfo | None = None) -> str:
    """The path of the session, or of one of its jobs (the `Location` of what a POST created)."""
    path = f"/api/sessions/{session.id}"
    return f"{path}/jobs/{job.id}" if job is not None else path


# ---------------------------------------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------------------------------------
@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.SessionState,
    summary="Create a session",
    description="Builds the network, its data, optimizer and history. Everything but `layers` has a default; "
    "the answer is the full state and a `Location` header. At BACKPROP_VIZ_MAX_SESSIONS the session idle the "
    'longest is evicted (429 if every session is busy training). `{"lesson": "<id>"}` alone creates a session '
    "at the first step of that lesson (GET /api/lessons), with its setup applied (404 for an unknown lesson).",
    responses={
        404: {**ErrorResponse, "description": "no lesson with that id (the message lists the catalogue)"},
        **FULL,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/SessionCreate"},
                            schemas.LessonStart.model_json_schema(),
                        ]
                    }
                }
            },
        }
    },
)
async def create_session(
    body: Annotated[dict[str, Any], Body()],
    registry: RegistryDep,
    settings: SettingsDep,
    lessons: LessonsDep,
) -> Response:
    if "lesson" in body:
        start = _validated(schemas.LessonStart, body, lesson_only=True)
        lesson = lessons.get(start.lesson, field="lesson")
        session = await run_in_threadpool(Session.for_lesson, lesson, settings)
    else:
        create = await run_in_threadpool(_validated, schemas.SessionCreate, body)  # inline data may be large
        session = await run_in_threadpool(Session.create, create, settings, registry.lookup_table)
    await run_in_threadpool(registry.add, session)
    return await answer(session.state, status.HTTP_201_CREATED, {"Location": _url(session)})


def _validated(model: type[M], body: dict[str, Any], lesson_only: bool = False) -> M:
    """The body as `model`, or the 422 FastAPI gives an invalid body (the same fields and messages)."""
    if lesson_only and len(body) > 1:
        extra = next(key for key in body if key != "lesson")
        raise InvalidInput(
            f'a lesson\'s session is set up by the lesson; send only {{"lesson": "<id>"}} (remove \'{extra}\'), '
            "or leave 'lesson' out to set up a session yourself",
            field=extra,
        )
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.SessionState,
    summary="Import an exported session",
    description="Takes the document GET /api/sessions/{id}/export answered and creates a NEW session (new id) in "
    "exactly that state: weights, optimizer state, batches, counters and metrics are bitwise equal, and "
    "stepping either gives the same records. A document that is not an export, or is inconsistent, is refused "
    "with 422; so is one with a number that is not finite anywhere (NaN, Infinity, 1e999). Its size is limited "
    "by BACKPROP_VIZ_MAX_IMPORT_BYTES (default 32 MiB: 413, while it streams); the server parses and checks it "
    "in a worker thread.",
    responses=FULL,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionExport"}}},
        }
    },
)
async def import_session(
    request: Request, registry: RegistryDep, settings: SettingsDep, lessons: LessonsDep
) -> Response:
    raw = await read_limited(
        request, settings.max_import_bytes, "the session document", "BACKPROP_VIZ_MAX_IMPORT_BYTES"
    )

    def build() -> Session:
        return Session.from_export(parse_json(raw), settings, lessons=lessons.by_id)

    session = await run_in_threadpool(build)
    await run_in_threadpool(registry.add, session)
    return await answer(session.state, status.HTTP_201_CREATED, {"Location": _url(session)})


@router.get("/{session_id}", response_model=schemas.SessionState, summary="A session's state")
async def get_session(session: SessionDep) -> Response:
    return await answer(session.state)


@router.patch(
    "/{session_id}",
    response_model=schemas.SessionState,
    summary="Change hyperparameters",
    description="Learning rate, optimizer, batch size, regularization. They apply from the next pass: in the "
    "middle of a pass (after a phase step) the answer has `pending_config: true` until the pass ends.",
)
async def patch_session(session: SessionDep, body: schemas.SessionPatch) -> Response:
    return await answer(lambda: session.patch_answer(body))


@router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a session",
    description="A running training job is cancelled first.",
)
async def delete_session(session: SessionDep, registry: RegistryDep, jobs: JobsDep) -> Response:
    await run_in_threadpool(jobs.cancel_session, session)
    registry.remove(session.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{session_id}/reset",
    response_model=schemas.SessionState,
    summary="Back to the initial weights",
    description="Pass 0, the initial weights, fresh optimizer state and batches; hyperparameters are kept.",
    responses=BUSY,
)
async def reset_session(session: SessionDep) -> Response:
    return await answer(session.reset_answer)


# ---------------------------------------------------------------------------------------------------------
# Stepping
# ---------------------------------------------------------------------------------------------------------
@router.post(
    "/{session_id}/step",
    response_model=schemas.StepResponse,
    summary="Step forward by phases, passes or epochs",
    description="Answers the phase records produced (for long steps only the last pass's, see "
    "`records_omitted`) and the new state. A pass whose loss or new weights are not finite is refused: the "
    "answer is still 200, with `diverged` set and the state the one before that pass. Networks over "
    "BACKPROP_VIZ_MAX_INTERACTIVE_PARAMETERS cannot be stepped (use /train).",
    responses=BUSY,
)
async def step_session(session: SessionDep, body: Annotated[schemas.StepRequest | None, Body()] = None) -> Response:
    return await answer(lambda: session.step_answer(body or schemas.StepRequest()))


@router.post(
    "/{session_id}/back",
    response_model=schemas.BackResponse,
    summary="Step back by phases or passes",
    description="Restores the exact earlier state (weights, optimizer, batches). `limit` says why it stopped "
    "early, e.g. at pass 0 or when the history memory no longer holds that pass.",
    responses=BUSY,
)
async def back_session(session: SessionDep, body: Annotated[schemas.BackRequest | None, Body()] = None) -> Response:
    return await answer(lambda: session.back_answer(body or schemas.BackRequest()))


# ---------------------------------------------------------------------------------------------------------
# Background training
# ---------------------------------------------------------------------------------------------------------
@router.post(
    "/{session_id}/train",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.Job,
    summary="Train in the background",
    description="Starts a job that trains `epochs` epochs or `passes` passes on the fast path; the answer is the "
    "job (202, `Location` header); poll GET .../jobs/{job_id}. At most BACKPROP_VIZ_MAX_CONCURRENT_JOBS run at "
    "once (429). A diverging pass stops the job with status `failed` and a message naming the pass. `stop` ends "
    'it early: `{"loss_below": x}` at the first epoch whose training loss is below x, `{"patience": n}` when the '
    "test loss (the training loss without a test split) has not improved for n epochs (`best_pass` and "
    "`best_loss` say where it was best); with `stop` alone it runs at most 1,000 epochs. The finished job's "
    "`stop_reason` says why it stopped: epochs, passes, loss_below, patience, cancelled or diverged.",
    responses={
        **BUSY,
        429: {**ErrorResponse, "description": "too many jobs running (BACKPROP_VIZ_MAX_CONCURRENT_JOBS)"},
    },
)
async def train_session(
    session: SessionDep, body: schemas.TrainRequest, jobs: JobsDep, settings: SettingsDep, response: Response
) -> schemas.Job:
    stop = StopRule(body.stop.loss_below, body.stop.patience) if body.stop is not None else None
    if body.passes is not None:
        passes, field = body.passes, "passes"
    elif body.epochs is not None:
        passes, field = await run_in_threadpool(session.passes_for_epochs, body.epochs), "epochs"
    else:  # only `stop`: as many epochs as DEFAULT_STOP_EPOCHS, within the job cap
        epochs_passes = await run_in_threadpool(session.passes_for_epochs, schemas.DEFAULT_STOP_EPOCHS)
        passes, field = min(epochs_passes, settings.max_job_passes), "epochs"
    if passes > settings.max_job_passes:
        raise InvalidInput(
            f"that is {passes:,} passes; one job may run at most {settings.max_job_passes:,} "
            "(BACKPROP_VIZ_MAX_JOB_PASSES): ask for fewer",
            field=field,
        )
    job = await run_in_threadpool(jobs.start, session, passes, field, stop)
    response.headers["Location"] = _url(session, job)
    return await run_in_threadpool(session.job_model, job)


@router.get(
    "/{session_id}/jobs/{job_id}", response_model=schemas.Job, summary="A job's progress (training or landscape)"
)
async def get_job(session: SessionDep, job_id: str) -> schemas.Job:
    job = await run_in_threadpool(session.find_job, job_id)
    return await run_in_threadpool(session.job_model, job, True)


@router.delete(
    "/{session_id}/jobs/{job_id}",
    response_model=schemas.Job,
    summary="Cancel a training job",
    description="Stops the job after its current chunk (a few tens of milliseconds) and answers it with status "
    "`cancelled`; the passes done so far stay. A job that has already ended is answered as it is.",
)
async def cancel_job(session: SessionDep, job_id: str, jobs: JobsDep) -> schemas.Job:
    job = await run_in_threadpool(session.find_job, job_id)
    await run_in_threadpool(jobs.cancel, session, job)
    return await run_in_threadpool(session.job_model, job)


@router.get(
    "/{session_id}/metrics",
    response_model=schemas.MetricsHistory,
    summary="Loss and accuracy history",
    description="`train_loss`, `test_loss`, `train_accuracy`, `test_accuracy`: ONE POINT PER EPOCH (mean train "
    "loss over the epoch's batches; test loss on the whole test set at the epoch's end; accuracies only for "
    "classification). `per_epoch` holds the same series with their `epoch` and `pass` numbers. `per_pass` has the "
    "batch loss J of every pass (`pass`, `batch_loss`). Long runs are thinned (every other point dropped: at most "
    "100,000 points a series); `?points=N` asks for at most N (what a chart draws: the page's comparison asks for "
    "5,000).",
)
async def get_metrics(session: SessionDep, points: HistoryPoints = None) -> schemas.MetricsHistory:
    return await run_in_threadpool(session.metrics_history, points)


# ---------------------------------------------------------------------------------------------------------
# Using the network
# ---------------------------------------------------------------------------------------------------------
@router.post(
    "/{session_id}/predict",
    response_model=schemas.PredictResponse,
    summary="Outputs for raw inputs",
    description="`inputs` are raw feature values (one row per sample); the session applies its own "
    "normalization. For classification the answer also has the class names, the probabilities and the "
    "predicted class of each row.",
)
async def predict(session: SessionDep, body: schemas.PredictRequest, settings: SettingsDep) -> schemas.PredictResponse:
    if len(body.inputs) > settings.max_upload_rows:
        raise InvalidInput(
            f"inputs has {len(body.inputs):,} rows; at most {settings.max_upload_rows:,} per request "
            "(BACKPROP_VIZ_MAX_UPLOAD_ROWS)",
            field="inputs",
        )
    return await run_in_threadpool(session.predict, body.inputs)


@router.get(
    "/{session_id}/gradcheck",
    response_model=schemas.GradcheckResponse,
    summary="Analytic vs numerical gradients",
    description="Backprop's gradients against central differences on a few training samples, as the maximum "
    "relative error per layer (about 1e-7 or less means backprop is right).",
)
async def gradcheck(session: SessionDep) -> schemas.GradcheckResponse:
    return await run_in_threadpool(session.gradcheck)


@router.get(
    "/{session_id}/export",
    summary="Export everything needed to continue",
    description="One JSON document (format `backprop-viz-session`, version 1): config, weights, optimizer state, "
    "batch position, counters, metrics, the focus and open pass, and the data with its normalization and class "
    "names. POST it to /api/sessions/import to continue in a new session.",
    responses={200: {"model": schemas.SessionExport, "description": "the session document"}},
)
async def export_session(session: SessionDep) -> Response:
    def render() -> bytes:
        return chunkedjson.dumps(session.export()).encode("utf-8")  # piece by piece: the GIL is let go often

    body = await run_in_threadpool(render)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="backprop-viz-session-{session.id}.json"'},
    )
