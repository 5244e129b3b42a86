"""bv.serve(): the app in a daemon thread of this process, on a free port, reused by a second call."""

from __future__ import annotations

import threading

import httpx
import pytest
from live_server import free_port

import backprop_viz as bv
from backprop_viz import server as server_module


def test_serve_answers_the_page_and_the_api_on_a_free_port(server: bv.Server) -> None:
    assert server.running
    assert server.url == f"http://127.0.0.1:{server.port}/"
    page = httpx.get(server.url)
    assert page.status_code == 200 and "<title>backprop-viz" in page.text
    assert httpx.get(server.url + "api/health").json()["status"] == "ok"
    thread = next(t for t in threading.enumerate() if t.name == f"backprop-viz:{server.port}")
    assert thread.daemon  # the kernel may exit without stopping it


def test_a_second_call_reuses_the_running_server(server: bv.Server) -> None:
    assert bv.serve() is server
    assert bv.serve(port=server.port) is server
    assert bv.running_server() is server
    with pytest.warns(UserWarning, match="already serving"):
        assert bv.serve(max_sessions=3) is server


def test_sessions_live_in_memory_unless_asked(server: bv.Server) -> None:
    assert server.settings.persist is False
    assert "'self'" in server.settings.frame_ancestors


def test_another_port_starts_another_server_and_stop_ends_it(server: bv.Server) -> None:
    port = free_port()
    other = bv.serve(port=port)
    try:
        assert other is not server and other.port == port
        assert httpx.get(other.url + "api/health").status_code == 200
    finally:
        other.stop()
    assert not other.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(other.url + "api/health", timeout=2)
    server_module._running = server  # the fixture's server is the process's one again


def test_a_taken_port_is_refused_with_the_way_out(server: bv.Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "_running", None)  # as if this process had not served yet
    with pytest.raises(RuntimeError, match="pick another port"):
        bv.serve(port=server.port)
