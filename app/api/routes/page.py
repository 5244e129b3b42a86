"""The browser page: `GET /` renders the Jinja2 shell, `/static/…` serves the ES modules and CSS, and
`/vendor/plotly.min.js` serves Plotly.js from the installed `plotly` package (gzip-compressed once, cached by
the browser for a day) — never from a CDN, because the machines this runs on may have no internet.

The page holds no secrets, so it is served without the access token; the page reads `?token=` from its own
address and presents it on every REST call and on the WebSocket.

Every address the page uses is relative to where it was served (the shell's `static/…`, `vendor/…` and
`api/…`; transport.js builds REST and WebSocket addresses from its own module's address), so the app works
under a path prefix — behind Jupyter's `/proxy/<port>/`, or mounted with uvicorn's `root_path`.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app import __version__
from app.deps import SettingsDep
from app.schemas import PROTOCOL_VERSION

ROOT = Path(__file__).resolve().parents[3]
STATIC_DIR = ROOT / "static"
TEMPLATES_DIR = ROOT / "templates"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
VENDOR_MAX_AGE = 86_400  # a day: the file changes only when the plotly package is upgraded

# The page's modules, preloaded in parallel by the template (first load on loopback ≤ 1.5 s): main.js wires the
# store, the renderer, the actions, the chrome and the Plotly loader; the parts draw; catalog.js reads the engine's
# catalog; state.js, transport.js and the rest are shared helpers; insight.js wires the diagnostics (issue 12).
MODULES = (
    "main.js",
    "store.js",
    "render.js",
    "actions.js",
    "chrome.js",
    "plotlyloader.js",
    "catalog.js",
    "state.js",
    "transport.js",
    "format.js",
    "watching.js",
    "palette.js",
    "diagram.js",
    "mathpanel.js",
    "controls.js",
    "losschart.js",
    "dataview.js",
    "config.js",
    "csv.js",
    "lessons.js",
    "lessonpanel.js",
    "controlgate.js",
    "perf.js",
    "view.js",
    "canvas.js",
    "pixels.js",
    "imageinput.js",
    "gallery.js",
    "imageview.js",
    "drawpad.js",
    "insight.js",
    "flags.js",
    "health.js",
    "diagnostics.js",
    "evaluation.js",
    "units.js",
    "landscape.js",
    "compare.js",
    "runs.js",
)
# What the page asks the server for before it can build a session: requested with the HTML (<link rel="preload">)
# instead of once the modules run, about 0.3 s later. Not when a token is needed: the page presents it in a header.
STARTUP_REQUESTS = ("api/catalog", "api/datasets")
WATCH_STARTUP_REQUESTS = ("api/catalog",)  # a watcher builds nothing: it asks for no data sets

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


class PageStatic(StaticFiles):
    """Static files that the browser revalidates on every load (ETag → 304), so an edit shows at once."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


router.mount("/static", PageStatic(directory=str(STATIC_DIR)), name="static")


@dataclass(frozen=True)
class Vendored:
    """A vendored script held in memory, plain and gzip-compressed, with an ETag naming its content."""

    plain: bytes
    compressed: bytes
    etag: str


_plotly_lock = threading.Lock()


@cache
def _load_plotly() -> Vendored:
    plain = PLOTLY_JS.read_bytes()
    etag = '"' + hashlib.sha256(plain).hexdigest()[:32] + '"'
    return Vendored(plain, gzip.compress(plain, compresslevel=6, mtime=0), etag)


def plotly_js() -> Vendored:
    """plotly.min.js read and compressed once per process (≈4.8 MB → ≈1.5 MB, ≈0.15 s of work)."""
    with _plotly_lock:
        return _load_plotly()


# Compress it in the background as soon as the app is built, so the first page load does not wait for it.
threading.Thread(target=plotly_js, name="plotly-gzip", daemon=True).start()


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00"):
            return True
    return False


def _etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


@router.get("/vendor/plotly.min.js")
def vendor_plotly(request: Request) -> Response:
    """Plotly.js from the installed plotly package; gzip when the browser accepts it; ETag and a day's cache."""
    vendored = plotly_js()
    headers = {
        "Cache-Control": f"public, max-age={VENDOR_MAX_AGE}",
        "ETag": vendored.etag,
        "Vary": "Accept-Encoding",
    }
    if _etag_matches(request, vendored.etag):
        return Response(status_code=304, headers=headers)
    media_type = "text/javascript; charset=utf-8"
    if _accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(vendored.compressed, media_type=media_type, headers=headers)
    return Response(vendored.plain, media_type=media_type, headers=headers)


@router.get("/", response_class=HTMLResponse)
def page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The page shell; everything else is drawn by static/js/main.js from the server's messages."""
    return _shell(request, settings)


@router.get("/watch/{token}", response_class=HTMLResponse)
def watch_page(request: Request, settings: SettingsDep, token: str) -> HTMLResponse:
    """The page in watch mode (app/watch.py): main.js reads the token from the address and shows the session
    read-only. The shell is the same, its relative addresses one level up (the app's root; the CSP allows no
    <base>). An unknown token still gets the page, which says the link no longer works (it holds no secrets)."""
    return _shell(request, settings, base="../", startup=WATCH_STARTUP_REQUESTS)


def _shell(
    request: Request, settings: SettingsDep, base: str = "", startup: tuple[str, ...] = STARTUP_REQUESTS
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "version": __version__,
            "protocol_version": PROTOCOL_VERSION,
            "plotly_etag": plotly_js().etag.strip('"')[:12],
            "modules": MODULES,
            "startup_requests": () if settings.token else startup,
            "base": base,
        },
        headers={"Cache-Control": "no-cache"},  # the CSP, with frame-ancestors, is app/middleware.py's
    )
