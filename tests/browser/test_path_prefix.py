"""The app under a path prefix, driven in Chromium: behind a prefix-stripping proxy (as jupyter-server-proxy
serves it at /proxy/<port>/) and mounted at a root_path, the page, its modules, Plotly.js, REST and the
WebSocket all go through the prefix, and stepping and downloading work as at the root."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from live_server import LiveServer, free_port
from pagekit import open_page, shot, wait_shown
from prefix_proxy import PrefixProxy, paths
from starlette.applications import Starlette
from starlette.routing import Mount

from app.config import Settings
from app.main import create_app

pytestmark = pytest.mark.browser

PREFIX = "/user/ada/proxy/8000"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefixProxy]:
    """The real app in a subprocess, reached only through the proxy (which forwards the page's Origin, so the
    app is told to accept the proxy's origin, as a deployment behind a proxy would be)."""
    proxy_port = free_port()
    live = LiveServer(
        tmp_path_factory.mktemp("prefixed") / "data",
        persist=False,
        BACKPROP_VIZ_ALLOWED_ORIGINS=json.dumps([f"http://127.0.0.1:{proxy_port}"]),
    )
    live.start()
    proxy = PrefixProxy(live.base, PREFIX, port=proxy_port)
    try:
        with proxy.running():
            yield proxy
    finally:
        live.stop()


def test_behind_a_prefix_stripping_proxy_everything_goes_through_the_prefix(
    proxied: PrefixProxy, page: Any, request: pytest.FixtureRequest
) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    session_id = open_page(page, proxied.base.rstrip("/"))
    page.get_by_role("button", name="Next phase").click()
    wait_shown(page, "F1")
    page.get_by_label("Epochs to train").fill("5")
    page.get_by_role("button", name="Train in the background", exact=True).click()
    page.wait_for_function("() => document.getElementById('job-text').dataset.status === 'done'", timeout=60_000)
    shot(page, request, "stepped")

    assert all(url.startswith(proxied.base) for url in requested), [
        u for u in requested if not u.startswith(proxied.base)
    ]
    assert proxied.refused == []
    gets, posts = paths(proxied.forwarded, "GET"), paths(proxied.forwarded, "POST")
    assert "/" in gets[:1] or "/?" in gets[0]
    assert {"/static/js/main.js", "/static/css/app.css", "/api/catalog", "/api/datasets"} <= {
        p.split("?")[0] for p in gets
    }
    assert any(p.startswith("/vendor/plotly.min.js") for p in gets)  # Plotly.js through the prefix too
    assert "/api/sessions" in posts and f"/api/sessions/{session_id}/train" in posts
    assert f"/ws/sessions/{session_id}" in paths(proxied.forwarded, "WS")
    assert page.evaluate("document.body.dataset.conn") == "open"
    assert page.problems.errors == []


def test_download_data_and_export_work_under_the_prefix(proxied: PrefixProxy, page: Any, tmp_path: Path) -> None:
    session_id = open_page(page, proxied.base.rstrip("/"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the data as CSV").click()
    saved = tmp_path / "data.csv"
    download.value.save_as(saved)
    assert saved.read_text().splitlines()[0].endswith(",split")
    assert f"/api/sessions/{session_id}/dataset.csv" in paths(proxied.forwarded, "GET")


@pytest.fixture(scope="module")
def mounted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app mounted at /tools/bpv of a bigger Starlette app (its root_path), served by uvicorn."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("mounted"), persist=False))
    outer = Starlette(routes=[Mount("/tools/bpv", app=app)], lifespan=lambda _: app.router.lifespan_context(app))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(outer, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the mounted app did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/tools/bpv"
    finally:
        server.should_exit = True
        thread.join(15)


def test_mounted_at_a_root_path_the_page_steps_over_its_websocket(mounted: str, page: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    open_page(page, mounted)
    page.get_by_role("button", name="Next phase").click()
    wait_shown(page, "F1")
    assert all(url.startswith(mounted + "/") for url in requested), requested
    assert page.evaluate("window.__bpv.socket.ws.url").startswith(mounted.replace("http", "ws") + "/ws/sessions/")
    assert page.problems.errors == []
