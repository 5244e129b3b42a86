"""Who may show the page in a frame, in Chromium: a notebook page on this machine (another loopback origin)
frames the page `bv.serve()` serves, and it works there; the same notebook page cannot frame a server left at
the default (its own origin only)."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from pagekit import shot

import backprop_viz as bv

pytestmark = pytest.mark.browser


class NotebookPage(BaseHTTPRequestHandler):
    """A stand-in for Jupyter's page: it frames the address given as ?src=, as a notebook cell's IFrame does."""

    def do_GET(self) -> None:
        src = parse_qs(urlsplit(self.path).query).get("src", ["about:blank"])[0]
        body = (
            "<!doctype html><title>notebook</title><h1>In [1]:</h1>"
            f'<iframe id="cell" src="{html.escape(src, quote=True)}" width="1200" height="820"></iframe>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def notebook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotebookPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def in_process() -> Iterator[bv.Server]:
    server = bv.serve()
    yield server
    server.stop()


def test_a_local_notebook_frames_the_page_serve_serves(
    in_process: bv.Server, notebook: str, page: Any, request: pytest.FixtureRequest
) -> None:
    session = in_process.client.create(layers=[2, 3, 1])
    page.goto(f"{notebook}?src={quote(session.url, safe='')}")
    frame = page.frame_locator("#cell")
    frame.locator("body[data-ready='1'][data-conn='open']").wait_for()
    frame.get_by_role("button", name="Next phase").click()
    frame.locator("body[data-shown='F1']").wait_for()
    assert session.state().counters.label == "F2"  # the framed page drives the same session as the code
    shot(page, request, "framed")


def test_a_server_at_the_default_refuses_to_be_framed_by_another_origin(server: str, notebook: str, page: Any) -> None:
    assert httpx.get(server + "/").headers["content-security-policy"].endswith("frame-ancestors 'self'")
    page.goto(f"{notebook}?src={quote(server + '/', safe='')}")  # "load" waits for the frame too
    child = next(f for f in page.frames if f is not page.main_frame)
    assert child.url == "chrome-error://chromewebdata/"  # Chromium shows its refusal, not the page
    assert child.locator("#counters").count() == 0
