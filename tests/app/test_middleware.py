"""The gate before every route (app/middleware.py): the Host check, the token before any body is read, no
cross-site writes, bodies bounded while they stream and timed out when they stall, security headers everywhere.

Several tests drive the app straight through ASGI with a `receive` that counts what the app asked for, so "the
body was never read" is a fact the test observes, not a timing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

WRITE = {"X-Backprop-Viz-Request": "1"}


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", persist=False, **overrides)


class Body:
    """An ASGI `receive` that hands out `chunks` chunks of `size` bytes (or stalls after `stall_after`) and
    counts how many the app asked for."""

    def __init__(
        self, chunks: int, size: int = 1024, stall_after: int | None = None, gap: float = 0.0, head: bytes = b"{"
    ) -> None:
        self.head = head
        self.chunks = chunks
        self.size = size
        self.stall_after = stall_after
        self.gap = gap
        self.read = 0

    async def __call__(self) -> dict:
        if self.stall_after is not None and self.read >= self.stall_after:
            await asyncio.Event().wait()  # never sends another byte
        if self.gap:
            await asyncio.sleep(self.gap)
        self.read += 1
        data = self.head if self.read == 1 else b"1" * self.size
        return {"type": "http.request", "body": data, "more_body": self.read < self.chunks}


def call(app: Any, method: str, path: str, receive: Any, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """One request straight through ASGI; the status and the JSON body of the answer."""
    messages: list[dict] = []

    async def send(message: dict) -> None:
        messages.append(message)

    raw = [(b"host", b"localhost:8000")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


# -- 1. credentials before bodies -------------------------------------------------------------------------
def test_without_the_token_a_huge_body_is_refused_unread(tmp_path):
    app = create_app(settings_for(tmp_path, token="s3cret"))
    body = Body(chunks=200 * 1024)  # 200 MB, chunked: no Content-Length to refuse it by
    status, answer = call(app, "POST", "/api/sessions", body, {"content-type": "application/json"})
    assert status == 401 and answer["field"] == "token"
    assert body.read == 0, f"the app read {body.read} chunks of the body before asking for the token"


def test_malformed_json_without_the_token_is_401_not_422(api_with):
    with api_with(token="s3cret") as api:
        response = api.client.post("/api/sessions", content=b"{not json", headers={"content-type": "application/json"})
        api.error(response, 401, "token")


def test_a_declared_length_over_the_json_limit_is_refused_unread(tmp_path):
    app = create_app(settings_for(tmp_path, max_json_bytes=10_000))
    body = Body(chunks=100)
    headers = {"content-type": "application/json", "content-length": "102400"}
    status, answer = call(app, "POST", "/api/sessions", body, headers)
    assert status == 413 and "BACKPROP_VIZ_MAX_JSON_BYTES" in answer["detail"]
    assert body.read == 0


def test_an_undeclared_json_body_is_cut_off_at_the_limit_while_it_streams(tmp_path):
    app = create_app(settings_for(tmp_path, max_json_bytes=10_000))
    body = Body(chunks=2000)  # 2 MB, chunked
    status, answer = call(app, "POST", "/api/sessions", body, {"content-type": "application/json"})
    assert status == 413 and "BACKPROP_VIZ_MAX_JSON_BYTES" in answer["detail"] and "10,000 bytes" in answer["detail"]
    assert answer["field"] == "body"
    assert body.read <= 11, f"the app read {body.read} KiB of a 10 kB limit"


def test_an_import_has_its_own_limit_named_in_the_refusal(tmp_path):
    app = create_app(settings_for(tmp_path, max_import_bytes=50_000))
    body = Body(chunks=2000)
    status, answer = call(app, "POST", "/api/sessions/import", body, {"content-type": "application/json"})
    assert status == 413 and "BACKPROP_VIZ_MAX_IMPORT_BYTES" in answer["detail"]
    assert body.read <= 50


# -- 4. timeouts ------------------------------------------------------------------------------------------
def test_a_body_that_stops_arriving_is_dropped_with_408(tmp_path):
    app = create_app(settings_for(tmp_path, body_idle_seconds=0.05))
    body = Body(chunks=100, stall_after=3)
    status, answer = call(app, "POST", "/api/sessions", body, {"content-type": "application/json"})
    assert status == 408 and "BACKPROP_VIZ_BODY_IDLE_SECONDS" in answer["detail"]


def test_a_trickling_body_is_dropped_at_the_whole_body_deadline(tmp_path):
    app = create_app(settings_for(tmp_path, body_idle_seconds=5, body_seconds=0.2, max_json_bytes=10**9))
    body = Body(chunks=10**6, size=16, gap=0.01)  # always a little more, never the end
    status, answer = call(app, "POST", "/api/sessions", body, {"content-type": "application/json"})
    assert status == 408 and "BACKPROP_VIZ_BODY_SECONDS" in answer["detail"]


def test_a_stalled_upload_is_dropped(tmp_path):
    app = create_app(settings_for(tmp_path, body_idle_seconds=0.05))
    head = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\na,b\r\n'
    body = Body(chunks=100, stall_after=2, head=head)
    headers = {"content-type": "multipart/form-data; boundary=XyZ", **WRITE}
    status, answer = call(app, "POST", "/api/datasets", body, headers)
    assert status == 408 and "BACKPROP_VIZ_BODY_IDLE_SECONDS" in answer["detail"]


# -- 5. no cross-site writes ------------------------------------------------------------------------------
def test_simple_requests_a_foreign_page_could_send_are_refused(api, app):
    client = TestClient(app)  # without the header the tests' clients send by default
    sid = api.create()["id"]
    before = api.state(sid)
    foreign = {"Origin": "http://evil.example"}
    refused = [
        client.post("/api/sessions/import", content=b"{}", headers={**foreign, "content-type": "text/plain"}),
        client.post("/api/datasets", files={"file": ("a.csv", b"a,b\n1,2\n3,4\n")}, headers=foreign),
        client.post(f"/api/sessions/{sid}/step", headers=foreign),
        client.post(f"/api/sessions/{sid}/back", headers=foreign),
        client.post(f"/api/sessions/{sid}/reset", headers=foreign),
        client.post(
            "/api/sessions",
            content=b'{"layers": [2, 2, 1]}',
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
    ]
    for response in refused:
        body = api.error(response, 403, "Content-Type: application/json", "X-Backprop-Viz-Request")
        assert body["field"] == "X-Backprop-Viz-Request"
    assert api.state(sid)["counters"] == before["counters"]
    assert client.get("/api/datasets").json()["uploaded"] == []


def test_json_or_the_custom_header_is_enough(api, client):
    sid = api.create()["id"]
    assert client.post(f"/api/sessions/{sid}/step", headers=WRITE).status_code == 200
    assert client.post(f"/api/sessions/{sid}/step", json={"unit": "pass"}).status_code == 200
    uploaded = client.post("/api/datasets", files={"file": ("a.csv", b"a,b\n1,2\n3,4\n5,6\n")}, headers=WRITE)
    assert uploaded.status_code == 201, uploaded.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "localhost.evil.example", "127.0.0.1.nip.io"])
def test_dns_rebinding_hosts_are_refused_on_rest(tmp_path, host):
    with TestClient(create_app(settings_for(tmp_path, allowed_hosts=[]))) as client:
        for response in (
            client.get("/api/health", headers={"Host": host}),
            client.get("/api/datasets", headers={"Host": host}),
            client.post("/api/sessions", json={"layers": [2, 2, 1]}, headers={"Host": host}),
        ):
            assert response.status_code == 400, response.text
            assert "BACKPROP_VIZ_ALLOWED_HOSTS" in response.json()["detail"]
            assert response.json()["field"] == "Host"


@pytest.mark.parametrize("host", ["localhost:8000", "LOCALHOST", "app.localhost:8000", "127.0.0.1:8000", "[::1]:8000"])
def test_localhost_names_and_loopback_are_allowed(tmp_path, host):
    with TestClient(create_app(settings_for(tmp_path, allowed_hosts=[]))) as client:
        assert client.get("/api/health", headers={"Host": host}).status_code == 200


def test_allowed_hosts_add_names(tmp_path):
    settings = settings_for(tmp_path, allowed_hosts=["lab.example.org", "*.school.example"])
    with TestClient(create_app(settings)) as client:
        for host in ("lab.example.org", "Lab.Example.Org:8000", "room1.school.example"):
            assert client.get("/api/health", headers={"Host": host}).status_code == 200, host
        assert client.get("/api/health", headers={"Host": "school.example.evil"}).status_code == 400


def test_dns_rebinding_is_refused_on_the_websocket_too(tmp_path):
    from starlette.websockets import WebSocketDisconnect

    with TestClient(create_app(settings_for(tmp_path, allowed_hosts=[]))) as client:
        sid = client.post("/api/sessions", json={"layers": [2, 2, 1]}, headers={"Host": "localhost"}).json()["id"]
        # The rebinding page is same-origin with itself: Origin and Host both name the attacker's domain.
        headers = {"Host": "evil.example:8000", "Origin": "http://evil.example:8000"}
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(f"/ws/sessions/{sid}", headers=headers) as ws,
        ):
            ws.receive_json()
        assert refused.value.code == 1008
        good = {"Host": "localhost:8000", "Origin": "http://localhost:8000"}
        with client.websocket_connect(f"/ws/sessions/{sid}", headers=good) as ws:
            assert ws.receive_json()["type"] == "snapshot"


# -- 6. security headers on every page --------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/static/js/main.js", "/api/health", "/api/catalog", "/docs", "/nowhere"])
def test_every_answer_has_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert directives["frame-ancestors"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "ws://testserver" in directives["connect-src"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_frame_ancestors_can_add_an_origin_for_jupyter(api_with):
    with api_with(frame_ancestors=["'self'", "http://localhost:8888"]) as api:
        csp = api.client.get("/").headers["content-security-policy"]
        assert "frame-ancestors 'self' http://localhost:8888" in csp


def test_uploads_and_imports_streaming_at_once_are_capped(tmp_path):
    """Forty stalled uploads held 760 MB: at most BACKPROP_VIZ_MAX_CONCURRENT_UPLOADS stream in at once."""
    app = create_app(settings_for(tmp_path, max_concurrent_uploads=2, body_idle_seconds=0.2))
    head = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\r\n'
    headers = {"content-type": "multipart/form-data; boundary=XyZ", **WRITE}

    async def three_at_once() -> list[tuple[int, dict]]:
        async def one(delay: float) -> tuple[int, dict]:
            await asyncio.sleep(delay)
            return await asyncio.to_thread(
                call, app, "POST", "/api/datasets", Body(10, stall_after=2, head=head), headers
            )

        return await asyncio.gather(one(0), one(0), one(0.05))

    results = asyncio.run(three_at_once())
    statuses = sorted(status for status, _ in results)
    assert statuses == [408, 408, 429]
    refused = next(body for status, body in results if status == 429)
    assert "BACKPROP_VIZ_MAX_CONCURRENT_UPLOADS" in refused["detail"]
