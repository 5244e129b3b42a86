"""Data sets over REST: the built-in generators, and CSV uploads parsed once and kept by id."""

from __future__ import annotations

import re
from functools import partial
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request, Response, status
from starlette.concurrency import run_in_threadpool

from app import schemas
from app.api import ERRORS, ErrorResponse
from app.api.streaming import read_multipart
from app.deps import RegistryDep, SettingsDep, TokenDep
from app.errors import InvalidInput
from app.registry import StoredDataset
from engine.datasets import BUILTINS, CsvLimits, DatasetError, parse_csv
from engine.datasets.base import TASKS as DATASET_TASKS
from engine.datasets.images import parse_image_shape

TASKS = (*DATASET_TASKS, "auto")  # "auto": the CSV loader decides from the target column
_INDEX = re.compile(r"[+-]?\d+")

router = APIRouter(prefix="/api/datasets", tags=["datasets"], dependencies=[TokenDep], responses=ERRORS)


def builtin_infos(max_samples: int) -> list[schemas.BuiltinInfo]:
    """The generators as `BuiltinSpec.describe()` tells them (parameters with type, default and range), with
    the samples range capped at this server's BACKPROP_VIZ_MAX_BUILTIN_SAMPLES."""
    fields = set(schemas.BuiltinInfo.model_fields)
    infos = []
    for spec in BUILTINS.values():
        described = {k: v for k, v in spec.describe().items() if k in fields}
        samples = described["parameters"].get("samples")
        if samples is not None:
            samples["max"] = min(samples["max"], max_samples)
        infos.append(schemas.BuiltinInfo(**described))
    return infos


def dataset_info(stored: StoredDataset) -> schemas.DatasetInfo:
    table = stored.table
    return schemas.DatasetInfo(
        id=stored.id,
        name=table.name,
        task=table.task,
        rows=table.rows,
        features=list(table.feature_names),
        target=table.target_name,
        classes=list(table.class_names) if table.class_names is not None else None,
        image_shape=list(table.image_shape) if table.image_shape is not None else None,
        summary=table.summary(),
    )


def _image_shape(value: str | None) -> tuple[int, int] | None:
    """The `image_shape` form field ("28,28") as (height, width); empty or absent: not images."""
    if value is None or not value.strip():
        return None
    try:
        return parse_image_shape(value)
    except DatasetError as exc:
        raise InvalidInput(exc.message, field="image_shape") from None


def _target(value: str | None) -> str | int | None:
    """A whole number is a 0-based column index (-1 the last column); any other text a column name."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    return int(value) if _INDEX.fullmatch(value) else value


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "the CSV, header row first"},
                        "target": {
                            "type": "string",
                            "description": "the target column: its name, or a 0-based index (-1 = last); "
                            "default: the last column",
                        },
                        "task": {"type": "string", "enum": list(TASKS), "default": "auto"},
                        "image_shape": {
                            "type": "string",
                            "description": "height,width when each row is an image (e.g. 28,28 for MNIST): the "
                            "feature columns must be that many pixels; the target is then the column named label "
                            "(class, target, digit, y) or else the first one, unless `target` names it",
                            "example": "28,28",
                        },
                    },
                }
            }
        },
    }
}


@router.get(
    "",
    response_model=schemas.DatasetList,
    summary="Built-in and uploaded data sets",
    description="`builtin`: the generators with their parameters (type, default, range); use one in a session "
    'as `{"builtin": name, …}`. `uploaded`: the CSVs uploaded here; use one as `{"id": id}`.',
)
async def list_datasets(registry: RegistryDep, settings: SettingsDep) -> schemas.DatasetList:
    uploaded = await run_in_threadpool(lambda: [dataset_info(d) for d in registry.datasets()])
    return schemas.DatasetList(builtin=builtin_infos(settings.max_builtin_samples), uploaded=uploaded)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.DatasetInfo,
    summary="Upload a CSV",
    description="multipart/form-data with the file in the part `file`, and form fields `target` (column name or "
    "0-based index; default the last column), `task` (`classification`, `regression` or `auto`) and `image_shape` "
    "(`28,28`: each row an image of that many pixels, row by row; the pixel count is checked, 422). Answers the "
    "data set's id and a summary (rows, features, classes, per-column statistics). The size limit "
    "(BACKPROP_VIZ_MAX_UPLOAD_BYTES) is enforced while the file streams in: 413 before the rest is read. Rows and "
    "columns are limited by BACKPROP_VIZ_MAX_UPLOAD_ROWS / _COLUMNS. A problem in the file is a 422 whose message "
    "names the row and column.",
    responses={
        413: {**ErrorResponse, "description": "the file is larger than BACKPROP_VIZ_MAX_UPLOAD_BYTES"},
        415: {**ErrorResponse, "description": "the body is not multipart/form-data"},
    },
    openapi_extra=UPLOAD_BODY,
)
async def upload_dataset(
    request: Request, registry: RegistryDep, settings: SettingsDep, response: Response
) -> schemas.DatasetInfo:
    form = await read_multipart(request, "file", settings.max_upload_bytes, "BACKPROP_VIZ_MAX_UPLOAD_BYTES")
    if form.file is None:
        form.close()
        raise InvalidInput("no file: send the CSV in the multipart part named 'file'", field="file")
    data = await run_in_threadpool(form.file_bytes)  # from disk if it was spooled there; the file is closed
    task = form.fields.get("task", "auto").strip() or "auto"
    if task not in TASKS:
        raise InvalidInput(f"task is {task!r}; use {', '.join(TASKS[:-1])} or {TASKS[-1]}", field="task")
    target = _target(form.fields.get("target"))
    image_shape = _image_shape(form.fields.get("image_shape"))
    name = PurePath(form.file_name or "upload.csv").name or "upload.csv"
    limits = CsvLimits(max_rows=settings.max_upload_rows, max_columns=settings.max_upload_columns)
    try:
        table = await run_in_threadpool(
            partial(parse_csv, data, target=target, task=task, name=name, limits=limits, image_shape=image_shape)
        )
    except DatasetError as exc:
        field = "target" if exc.column is not None and exc.row is None and "target" in exc.message else "file"
        field = exc.field or field
        setting = {"max_rows": "BACKPROP_VIZ_MAX_UPLOAD_ROWS", "max_columns": "BACKPROP_VIZ_MAX_UPLOAD_COLUMNS"}
        message = f"{exc.message} (server setting {setting[exc.limit]})" if exc.limit in setting else exc.message
        raise InvalidInput(message, field=field) from None
    stored = registry.add_dataset(table, name, source=data, target=target, task=task, image_shape=image_shape)
    response.headers["Location"] = f"/api/datasets/{stored.id}"
    return await run_in_threadpool(dataset_info, stored)


@router.get("/{dataset_id}", response_model=schemas.DatasetInfo, summary="An uploaded data set's summary")
async def get_dataset(dataset_id: str, registry: RegistryDep) -> schemas.DatasetInfo:
    return await run_in_threadpool(dataset_info, registry.get_dataset(dataset_id))


@router.delete(
    "/{dataset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an uploaded data set",
    description="Sessions already created from it keep their own copy of the data.",
)
async def delete_dataset(dataset_id: str, registry: RegistryDep) -> Response:
    registry.remove_dataset(dataset_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
