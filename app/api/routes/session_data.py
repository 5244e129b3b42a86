"""A session's data out: GET /api/sessions/{id}/dataset.csv — the raw feature values as given, the target and
the split of every sample, so a learner can check their own implementation on exactly the rows the session
trains and tests on (engine/datasets/csv_export.py writes it)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from app import schemas
from app.api import ERRORS
from app.deps import RegistryDep, SessionDep, TokenDep
from app.errors import NotFound
from app.registry import SessionRegistry
from app.sessions import Session
from engine.datasets import Dataset, DatasetError, table_to_dataset
from engine.datasets.csv_export import dataset_csv, raw_inputs

router = APIRouter(prefix="/api/sessions", tags=["sessions"], dependencies=[TokenDep], responses=ERRORS)


def unstandardized(session: Session, registry: SessionRegistry) -> Dataset | None:
    """The session's uploaded table split as the session split it, without standardizing: the exact raw
    values (None when the data did not come from an upload, or the upload is gone)."""
    spec = session.config.dataset
    if not isinstance(spec, schemas.UploadedDataset):
        return None
    try:
        table = registry.lookup_table(spec.id)
        return table_to_dataset(table, test_fraction=spec.test_fraction, seed=spec.seed, standardize=False)
    except (NotFound, DatasetError):
        return None


@router.get(
    "/{session_id}/dataset.csv",
    summary="The session's data as CSV",
    description="One row per sample: the raw feature values as given (not standardized), the target (the class "
    "name for classification), and `split` (train or test). `?split=train` or `?split=test` gives one split; "
    "the rows are in the order the session holds them (GET …/{id} counts them; the focus sample is a train row's "
    "index). Data from an upload that was deleted since is un-standardized and rounded to 15 significant digits "
    "(the `X-Backprop-Viz-Exact: false` header says so).",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the CSV file"}},
)
async def dataset_as_csv(
    session: SessionDep,
    registry: RegistryDep,
    split: Annotated[Literal["train", "test"] | None, Query(description="train or test; both if left out")] = None,
) -> Response:
    def render() -> tuple[str, bool]:
        raw = raw_inputs(session.dataset, unstandardized(session, registry))
        return dataset_csv(session.dataset, raw, split), raw.exact

    text, exact = await run_in_threadpool(render)
    name = f"backprop-viz-{session.id[:8]}{'-' + split if split else ''}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Backprop-Viz-Exact": str(exact).lower()},
    )
