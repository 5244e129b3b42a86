"""The REST API: one router per resource under `routes/`, shared dependencies in `app/deps.py`, and the error
responses every route documents."""

from __future__ import annotations

from typing import Any

from app import schemas

ErrorResponse: dict[str, Any] = {"model": schemas.ErrorBody}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**ErrorResponse, "description": "BACKPROP_VIZ_TOKEN is set and the request did not present it"},
    404: {**ErrorResponse, "description": "no such session, job or data set (sessions expire when idle)"},
    422: {**ErrorResponse, "description": "the request is invalid: `detail` says what and `field` where"},
}
BUSY: dict[int | str, dict[str, Any]] = {
    409: {**ErrorResponse, "description": "a training job is running on the session: wait or cancel it"}
}
