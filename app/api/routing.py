"""JSON bodies parsed so that a large one never holds the event loop: `OffLoopRoute` reads the body (bounded by
app/middleware.py), and when it is larger than OFF_LOOP_BYTES it parses it and validates it against the route's
model in a worker thread; FastAPI is then handed the validated model, which it takes as it is. Every JSON body
goes through `parse_json`, which refuses NaN and Infinity (not JSON, though Python's parser takes them)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from app import chunkedjson
from app.security import is_json_media_type

OFF_LOOP_BYTES = 64 * 1024  # smaller bodies parse in well under a millisecond: not worth a thread


def parse_json(body: bytes) -> Any:
    """A JSON document, or RequestValidationError (422, the app's usual shape) saying what is wrong with it. Read
    piece by piece (app/chunkedjson.py): in a worker thread, a large body never holds the GIL for long."""
    try:
        return chunkedjson.loads(body)
    except RecursionError:
        message = "the JSON nests arrays or objects too deeply"
    except UnicodeDecodeError as exc:
        message = f"the body is not UTF-8 text ({exc.reason})"
    except ValueError as exc:  # JSONDecodeError is one; so is a refused NaN
        message = f"the body is not valid JSON ({exc})"
    raise RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": message, "input": None}])


class OffLoopRoute(APIRoute):
    """An APIRoute whose JSON body is parsed (and, when large, validated) off the event loop."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field

        async def parse_then_handle(request: Request) -> Response:
            if body_field is not None and is_json_media_type(request.headers.get("content-type")):
                body = await request.body()
                if body:
                    if len(body) <= OFF_LOOP_BYTES:
                        request._json = parse_json(body)
                    else:
                        request._json = await run_in_threadpool(_parse_and_validate, body, body_field)
            return await handler(request)

        return parse_then_handle


def _parse_and_validate(body: bytes, body_field: Any) -> Any:
    """In a worker thread: the parsed body, validated against the route's model when FastAPI's field can do it
    (then FastAPI, validating again on the loop, takes the model instance as it is — pydantic does not revalidate
    instances); a validation error is raised here, in FastAPI's own shape."""
    value = parse_json(body)
    validate = getattr(body_field, "validate", None)
    if validate is None:
        return value
    validated, errors = validate(value, {}, loc=("body",))
    if errors:
        raise RequestValidationError(errors if isinstance(errors, list) else [errors])
    return validated
