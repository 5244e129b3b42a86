"""The REST API: one router per resource under `routes/`, shared dependencies in `app/deps.py`, and the error
responses every route documents (app/middleware.py answers 400, 401, 403, 408 and 413 before a route runs)."""

from __future__ import annotations

from typing import Any

from app import schemas

ErrorResponse: dict[str, Any] = {"model": schemas.ErrorBody}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        **ErrorResponse,
        "description": "the Host header does not name this server (add it to BACKPROP_VIZ_ALLOWED_HOSTS), or a "
        "header is malformed",
    },
    401: {**ErrorResponse, "description": "BACKPROP_VIZ_TOKEN is set and the request did not present it"},
    403: {
        **ErrorResponse,
        "description": "a POST without 'Content-Type: application/json' or the header 'X-Backprop-Viz-Request' "
        "(what a foreign page could send: refused)",
    },
    404: {**ErrorResponse, "description": "no such session, job or data set (sessions expire when idle)"},
    408: {
        **ErrorResponse,
        "description": "the body stopped arriving (BACKPROP_VIZ_BODY_IDLE_SECONDS) or took longer than "
        "BACKPROP_VIZ_BODY_SECONDS",
    },
    413: {
        **ErrorResponse,
        "description": "the body is larger than its limit: BACKPROP_VIZ_MAX_JSON_BYTES (JSON bodies), "
        "BACKPROP_VIZ_MAX_IMPORT_BYTES (imports), BACKPROP_VIZ_MAX_UPLOAD_BYTES (CSV uploads)",
    },
    422: {**ErrorResponse, "description": "the request is invalid: `detail` says what and `field` where"},
}
BUSY: dict[int | str, dict[str, Any]] = {
    409: {**ErrorResponse, "description": "a training job is running on the session: wait or cancel it"}
}
FULL: dict[int | str, dict[str, Any]] = {
    429: {
        **ErrorResponse,
        "description": "the server is full: every session is busy (BACKPROP_VIZ_MAX_SESSIONS), or the sessions "
        "would cost more memory than BACKPROP_VIZ_MEMORY_BUDGET_BYTES; `detail` names the setting",
    }
}
