"""The app factory: `create_app(settings)` builds an isolated app (tests build as many as they like)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app import __version__
from app.config import Settings
from app.errors import AppError
from app.registry import SessionRegistry

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
TEMPLATES_DIR = ROOT / "templates"


def _location(loc: tuple) -> str:
    """('body', 'layers', 0) → 'layers[0]'."""
    parts = [p for p in loc if p not in ("body", "query", "path")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """One readable sentence for pydantic's errors: 'layers[0]: Input should be greater than 0' …"""
    messages = []
    first_field = None
    for error in exc.errors():
        where = _location(tuple(error.get("loc", ())))
        first_field = first_field or where
        messages.append(f"{where}: {error.get('msg', 'invalid value')}")
    return "; ".join(messages[:5]) + (" …" if len(messages) > 5 else ""), first_field


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: routes, WebSocket, static files, error handlers, and its own registry."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield

    app = FastAPI(
        title="backprop-viz",
        version=__version__,
        description="Watch backpropagation happen: sessions over REST and a WebSocket that streams every phase.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = SessionRegistry(settings)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "field": exc.field}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = validation_message(exc)
        return JSONResponse({"detail": message, "field": field, "errors": _jsonable(exc.errors())}, status_code=422)

    return app


def _jsonable(errors: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
