"""A real server (`backprop-viz serve` in a subprocess): headers that trickle or never come are answered 408 and
the connection closed (uvicorn alone keeps them open forever); a stalled upload is dropped with a 408 naming
BACKPROP_VIZ_BODY_IDLE_SECONDS; the access log never shows the token."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer

from app.server import RedactToken

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("timeouts") / "data",
        persist=False,
        BACKPROP_VIZ_HEADER_SECONDS="0.5",
        BACKPROP_VIZ_BODY_IDLE_SECONDS="0.5",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (fails after 30 s of silence)."""
    sock.settimeout(30)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def connect(live: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live.port), timeout=30)


def test_trickling_headers_are_answered_408_and_closed(live):
    with connect(live) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: localh")  # …and never the rest
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408") and b"BACKPROP_VIZ_HEADER_SECONDS" in answer


def test_a_connection_that_sends_nothing_is_closed(live):
    with connect(live) as sock:
        assert read_all(sock).startswith(b"HTTP/1.1 408")


def test_a_stalled_upload_is_dropped_with_408(live):
    head = (
        b"POST /api/datasets HTTP/1.1\r\nHost: localhost\r\nX-Backprop-Viz-Request: 1\r\n"
        b"Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 1000000\r\n\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\r\n'
    )
    with connect(live) as sock:
        sock.sendall(head + b"1,2\r\n" * 1000)  # then nothing more
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408") and b"BACKPROP_VIZ_BODY_IDLE_SECONDS" in answer


def test_the_server_still_answers_after_them(live):
    with connect(live) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 200")


def test_the_access_log_does_not_show_the_token(tmp_path: Path):
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/?token=s3cret&data=xor", "1.1", 200),
        None,
    )
    RedactToken().filter(record)
    assert "s3cret" not in record.getMessage() and "token=[redacted]&data=xor" in record.getMessage()
