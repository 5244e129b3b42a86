"""Sessions on image data (the built-in digits, a CSV uploaded with image_shape): teach the network a drawing,
one pass through the stepper; and the images of a split with what the network makes of them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from starlette.concurrency import run_in_threadpool

from app import schemas
from app.api import BUSY, ERRORS
from app.deps import SessionDep, TokenDep
from app.sessions.imaging import MAX_IMAGES, ImagesRequest

router = APIRouter(prefix="/api/sessions", tags=["images"], dependencies=[TokenDep], responses=ERRORS)


@router.post(
    "/{session_id}/teach",
    response_model=schemas.StepResponse,
    summary="Teach the network one drawing",
    description="One pass on `input` (raw pixels, row by row) with the class `label`, instead of the next batch "
    "of the data, through the same stepper as `step`: the answer is that pass's records as `step` answers them "
    "(with `unit: phase`, only its first phase; step on with POST …/step), and WebSocket clients get them as "
    "`phase` events. The drawing is the pass's whole batch and its focus (records' `focus` −1); it is not added "
    "to the data set. `back` undoes it exactly, and stepping back to its start forgets it. An open pass is "
    "rewound first. 422 when the session's data are not images, the input has the wrong number of pixels or "
    "the label is not a class (the message gives the shape or the classes).",
    responses=BUSY,
)
async def teach(session: SessionDep, body: schemas.TeachRequest) -> schemas.StepResponse:
    return await run_in_threadpool(session.teach_answer, body)


@router.post(
    "/{session_id}/examples",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.SessionState,
    summary="Add a drawing to the training data",
    description="Appends `input` (raw pixels) with its class `label` to the session's training set, standardized as "
    "the rest: it is drawn at the end of the current epoch, then shuffled in with the others. The passes before it "
    "were drawn from the smaller set, so stepping back stops here (the history before it is dropped). The data set "
    "a link or a new session builds from is not changed: only this session's copy. Errors as for teach.",
    responses=BUSY,
)
async def add_example(session: SessionDep, body: schemas.ExampleRequest) -> schemas.SessionState:
    return await run_in_threadpool(session.add_example_answer, body)


@router.get(
    "/{session_id}/images",
    response_model=schemas.ImageSamples,
    summary="Images of a split and what the network makes of them",
    description="A page of the split's images (raw pixels; `pixels=false` leaves them out, for a refresh) with each "
    "one's true class, the predicted class and its probability; `mistakes=true` pages through the images predicted "
    "wrong only. `confusion` and `accuracy` are over the whole split, computed now. Image data sets only (422).",
)
async def images(
    session: SessionDep,
    split: Literal["train", "test"] = "test",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_IMAGES)] = 60,
    mistakes: bool = False,
    pixels: bool = True,
) -> schemas.ImageSamples:
    request = ImagesRequest(split, offset, limit, mistakes, pixels)
    return await run_in_threadpool(session.image_samples, request)
