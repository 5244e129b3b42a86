"""The app factory: `create_app(settings)` builds an isolated app (tests build as many as they like)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__
from app.api import openapi
from app.api.routes import (
    catalog,
    datasets,
    diagnostics,
    docs,
    health,
    images,
    internal,
    lessons,
    page,
    rebuild,
    session_data,
    session_lessons,
    sessions,
    watch,
    watch_ws,
    ws,
)
from app.config import Settings
from app.errors import AppError
from app.hubs import Hubs
from app.jobs import JobRunner
from app.lessons import catalog as lesson_catalog
from app.middleware import Guard
from app.persistence import Persistence
from app.registry import SessionRegistry
from app.scheduler import InteractiveRequests
from app.validation import describe_errors
from app.watch import WatchLinks

log = logging.getLogger("app")

INTERNAL_ERROR = (
    "internal error: the server could not handle this request (the details are in the server log); "
    "try again, and report it if it keeps happening"
)

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
TEMPLATES_DIR = ROOT / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: routes, WebSocket, static files, error handlers, its own registry and job runner."""
    settings = settings or Settings()
    registry = SessionRegistry(settings)
    jobs = JobRunner(settings)
    lesson_set = lesson_catalog.load(settings)  # a broken lesson file is logged and left out; the app starts
    if settings.shard is not None:  # a worker among several (app/cluster): it reads other workers' uploads
        from app.cluster.peers import Peers

        registry.remote_table = Peers(settings).lookup
    persistence: Persistence | None = None
    if settings.persist:
        persistence = Persistence(settings, registry, lesson_set.by_id)
        persistence.restore()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.hubs = hubs = Hubs(registry, settings, jobs)  # in the loop that serves the WebSockets
        tasks = [asyncio.create_task(registry.expire_periodically(), name="expire-idle-sessions")]
        if persistence is not None:
            tasks.append(asyncio.create_task(persistence.flush_periodically(), name="checkpoint-sessions"))
        try:
            yield
        finally:
            hubs.detach()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await run_in_threadpool(jobs.shutdown)
            if persistence is not None:
                await run_in_threadpool(persistence.close)

    app = FastAPI(
        title="backprop-viz",
        version=__version__,
        description="Watch backpropagation happen: sessions over REST and a WebSocket that streams every phase. "
        "When BACKPROP_VIZ_TOKEN is set, every call needs it but GET /api/health, GET /api/catalog, GET /api/lessons "
        "and a watch link's /api/watch/{token}… (the watch token is its own capability): the header "
        "`Authorization: Bearer <token>`, the header `X-Backprop-Viz-Token`, or `?token=`. A POST needs "
        "`Content-Type: application/json` or the header `X-Backprop-Viz-Request: 1` (what a page from another site "
        "cannot send: 403 otherwise); the Host header must name this server (BACKPROP_VIZ_ALLOWED_HOSTS).",
        lifespan=lifespan,
        docs_url=None,  # served by app/api/routes/docs.py from packaged assets, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.jobs = jobs
    app.state.persistence = persistence
    app.state.lessons = lesson_set
    app.state.watch = links = WatchLinks(registry, persistence.store if persistence is not None else None)
    links.restore()  # the links kept beside the sessions just restored
    app.add_middleware(InteractiveRequests, scheduler=jobs.scheduler)  # REST calls go ahead of training slices
    app.add_middleware(Guard, settings=settings)  # Host, token, cross-site writes, bounded bodies, headers
    openapi.install(app, settings)  # the document states this server's limits

    app.include_router(health.router)
    app.include_router(catalog.router)
    app.include_router(sessions.router)
    app.include_router(images.router)
    app.include_router(session_data.router)
    app.include_router(diagnostics.router)
    app.include_router(rebuild.router)
    app.include_router(lessons.router)
    app.include_router(session_lessons.router)
    app.include_router(datasets.router)
    app.include_router(page.router)
    app.include_router(ws.router)
    app.include_router(watch.owner)
    app.include_router(watch.router)
    app.include_router(watch_ws.router)
    app.include_router(docs.router)
    if settings.shard is not None:
        app.include_router(internal.router)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.message, "field": exc.field}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = describe_errors(exc.errors())
        return JSONResponse({"detail": message, "field": field, "errors": _jsonable(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"there is no {request.url.path}; the API is listed at /docs"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}; see /docs for what is"
        field = getattr(exc, "field", None)
        return JSONResponse({"detail": detail, "field": field}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": INTERNAL_ERROR, "field": None}, status_code=500)

    return app


def _jsonable(errors: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
