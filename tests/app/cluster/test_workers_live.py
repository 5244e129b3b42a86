"""`backprop-viz serve --workers 2` for real: a router process and two worker processes on one data directory.

A session's REST calls and WebSocket reach the one worker that owns it; new sessions spread over both workers; an
upload on one worker serves sessions on the other; a worker killed with `kill -9` is started again with its
sessions back from their last checkpoint while the other worker's sessions (and their sockets) go on untouched.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from app.shards import shard_of

pytestmark = pytest.mark.slow

SESSION = {"layers": [2, 4, 1], "dataset": {"builtin": "xor", "samples": 40, "seed": 1}, "batch_size": 4}
CSV = b"x1,x2,label\n" + b"".join(f"{i % 7},{(i * 3) % 11},{'yes' if i % 2 else 'no'}\n".encode() for i in range(60))
WORKER = "x-backprop-viz-worker"
CHECKPOINT_WAIT = 1.5  # seconds: a stepped session is written within BACKPROP_VIZ_CHECKPOINT_SECONDS (1 s)
RESTART_SECONDS = 60.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("workers") / "data", args=("--workers", "2"))
    live.start()
    _wait_all_up(live)
    yield live
    live.stop()


def _api(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.base, timeout=30, headers={"X-Backprop-Viz-Request": "1"})


def _health(server: LiveServer) -> dict[str, Any]:
    answer = httpx.get(f"{server.base}/api/health", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _wait_all_up(server: LiveServer, restarts: dict[int, int] | None = None) -> dict[str, Any]:
    """Health once every worker is up (and worker k has been started again `restarts[k]` times)."""
    deadline = time.monotonic() + RESTART_SECONDS
    while True:
        health = _health(server)
        workers = health["workers"]
        if all(w["up"] for w in workers) and all(workers[k]["restarts"] >= n for k, n in (restarts or {}).items()):
            return health
        assert time.monotonic() < deadline, f"workers not up: {workers}\n{server.log()[-3000:]}"
        time.sleep(0.1)


def _create(api: httpx.Client, body: dict[str, Any] | None = None) -> tuple[str, int]:
    answer = api.post("/api/sessions", json=body or SESSION)
    assert answer.status_code == 201, answer.text
    session_id = answer.json()["id"]
    assert int(answer.headers[WORKER]) == shard_of(session_id), "a session's id names the worker that made it"
    return session_id, int(answer.headers[WORKER])


def _snapshot(ws: ClientConnection) -> dict[str, Any]:
    event = json.loads(ws.recv(timeout=30))
    assert event["type"] == "snapshot", event
    return event


def _until(ws: ClientConnection, kind: str, request_id: str) -> dict[str, Any]:
    while True:
        event = json.loads(ws.recv(timeout=30))
        if event["type"] == kind and event.get("request_id") == request_id:
            return event
        assert event["type"] != "error", event


def test_new_sessions_spread_over_the_workers_and_each_is_served_by_its_own(cluster: LiveServer):
    with _api(cluster) as api:
        created = [_create(api) for _ in range(4)]
        assert sorted(worker for _, worker in created) == [0, 0, 1, 1], "new sessions go to the workers in turn"
        for session_id, worker in created:
            step = api.post(f"/api/sessions/{session_id}/step", json={"unit": "pass", "count": 1})
            assert step.status_code == 200, step.text
            assert int(step.headers[WORKER]) == worker
            got = api.get(f"/api/sessions/{session_id}")
            assert int(got.headers[WORKER]) == worker and got.json()["counters"]["pass"] == 1
        health = _health(cluster)
        assert health["sessions"] >= 4 and [w["shard"] for w in health["workers"]] == [0, 1]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: nothing to choose")
def test_each_worker_keeps_its_threads_on_a_cpu_of_its_own(cluster: LiveServer):
    cpus = sorted(os.sched_getaffinity(0))
    for worker in _health(cluster)["workers"]:
        assert os.sched_getaffinity(worker["pid"]) == {cpus[worker["shard"] % len(cpus)]}  # app/affinity.py
    assert os.sched_getaffinity(cluster.process.pid) == set(cpus), "the router is left to the kernel"


def test_a_sessions_rest_and_websocket_reach_the_same_worker(cluster: LiveServer):
    with _api(cluster) as api:
        session_id, _ = _create(api)
        api.post(f"/api/sessions/{session_id}/step", json={"unit": "pass", "count": 2})
        with connect(f"{cluster.ws_base}/ws/sessions/{session_id}", open_timeout=30, max_size=None) as ws:
            snapshot = _snapshot(ws)
            assert snapshot["state"]["counters"]["pass"] == 2, "the socket sees what REST did: the same process"
            ws.send(json.dumps({"type": "step", "unit": "pass", "count": 3, "request_id": "s"}))
            assert _until(ws, "state", "s")["state"]["counters"]["pass"] == 5
            assert api.get(f"/api/sessions/{session_id}").json()["counters"]["pass"] == 5
            api.post(f"/api/sessions/{session_id}/reset")  # a REST change reaches the socket in order
            while True:
                event = json.loads(ws.recv(timeout=30))
                if event["type"] in ("state", "snapshot") and event["state"]["counters"]["pass"] == 0:
                    break


def test_an_unknown_session_is_refused_as_by_one_server(cluster: LiveServer):
    with _api(cluster) as api:
        for ghost in ("0.nothing-here", "1.nothing-here", "no-prefix-at-all"):
            assert api.get(f"/api/sessions/{ghost}").status_code == 404
        with connect(f"{cluster.ws_base}/ws/sessions/1.nothing-here", open_timeout=30) as ws:
            with pytest.raises(Exception):  # noqa: B017 - closed with 4404 at once
                ws.recv(timeout=30)
            assert ws.close_code == 4404
        assert api.get("/internal/datasets/0.x").status_code == 404, "the workers' own routes are not public"


def test_an_upload_on_one_worker_serves_sessions_on_both(cluster: LiveServer):
    with _api(cluster) as api:
        upload = api.post("/api/datasets", files={"file": ("pairs.csv", CSV, "text/csv")})
        assert upload.status_code == 201, upload.text
        dataset_id = upload.json()["id"]
        body = {"layers": [2, 3, 1], "dataset": {"id": dataset_id}}
        workers = {_create(api, body)[1] for _ in range(2)}
        assert workers == {0, 1}
        listed = api.get("/api/datasets").json()
        assert [d["id"] for d in listed["uploaded"]].count(dataset_id) == 1 and listed["builtin"]
        assert api.delete(f"/api/datasets/{dataset_id}").status_code == 204
        for _ in range(2):  # neither worker uses a deleted upload, though one read it before
            refused = api.post("/api/sessions", json=body)
            assert refused.status_code == 404, refused.text
            assert "no data set" in refused.json()["detail"]


def test_a_killed_worker_comes_back_with_its_sessions_and_the_other_is_untouched(cluster: LiveServer):
    with _api(cluster) as api:
        sessions = {}
        while len(sessions) < 2:  # one session on each worker
            session_id, worker = _create(api)
            sessions.setdefault(worker, session_id)
        victim, survivor = sessions[0], sessions[1]
        api.post(f"/api/sessions/{victim}/step", json={"unit": "pass", "count": 3})
        api.post(f"/api/sessions/{victim}/step", json={"unit": "phase", "count": 2})
        kept = api.get(f"/api/sessions/{victim}").json()
        time.sleep(CHECKPOINT_WAIT)
        before = _health(cluster)["workers"]
        with (
            connect(f"{cluster.ws_base}/ws/sessions/{victim}", open_timeout=30, max_size=None) as victim_ws,
            connect(f"{cluster.ws_base}/ws/sessions/{survivor}", open_timeout=30, max_size=None) as ws,
        ):
            _snapshot(victim_ws)
            _snapshot(ws)
            os.kill(before[0]["pid"], signal.SIGKILL)
            with pytest.raises(ConnectionClosed):
                victim_ws.recv(timeout=30)
            assert victim_ws.close_code == 1012, "its socket is told: service restart, reconnect"
            assert "starting again" in (victim_ws.close_reason or "")
            down = api.get(f"/api/sessions/{victim}")  # while it is down: 503 with Retry-After, or already back
            assert down.status_code in (200, 503), down.text
            if down.status_code == 503:
                assert down.headers["retry-after"] and "starting again" in down.json()["detail"]
            ws.send(json.dumps({"type": "step", "unit": "pass", "count": 1, "request_id": "alive"}))
            assert _until(ws, "state", "alive")["state"]["counters"]["pass"] == 1, "the other worker went on"
            after = _wait_all_up(cluster, restarts={0: before[0]["restarts"] + 1})["workers"]
            assert after[0]["pid"] != before[0]["pid"] and after[1]["pid"] == before[1]["pid"]
            ws.send(json.dumps({"type": "step", "unit": "pass", "count": 1, "request_id": "still"}))
            assert _until(ws, "state", "still")["state"]["counters"]["pass"] == 2, "its socket never dropped"
        back = api.get(f"/api/sessions/{victim}")
        assert back.status_code == 200, back.text
        assert back.json()["counters"] == kept["counters"] and back.json()["weights"] == kept["weights"]
        with connect(f"{cluster.ws_base}/ws/sessions/{victim}", open_timeout=30, max_size=None) as ws:
            assert _snapshot(ws)["state"]["counters"] == kept["counters"]


def test_one_worker_has_no_router(tmp_path: Path):
    live = LiveServer(tmp_path / "data", args=("--workers", "1"))
    live.start()
    try:
        health = _health(live)
        assert health["workers"] is None
        answer = httpx.post(f"{live.base}/api/sessions", json=SESSION, timeout=30)
        assert answer.status_code == 201 and WORKER not in answer.headers
        assert shard_of(answer.json()["id"]) is None, "one process makes ids as it always did"
    finally:
        live.stop()


def test_the_workers_check_the_callers_own_headers(tmp_path: Path):
    """Token, Host and Origin pass through the router unchanged and are checked by the worker as by one server."""
    token = "s3cret-token"
    live = LiveServer(tmp_path / "data", args=("--workers", "2"), BACKPROP_VIZ_TOKEN=token)
    live.start()
    try:
        _wait_all_up(live)
        with httpx.Client(base_url=live.base, timeout=30) as api:
            assert api.post("/api/sessions", json=SESSION).status_code == 401
            made = api.post("/api/sessions", json=SESSION, headers={"Authorization": f"Bearer {token}"})
            assert made.status_code == 201, made.text
            session_id = made.json()["id"]
            assert api.get("/api/datasets").status_code == 401, "the gathered list is refused the same way"
            assert api.get("/api/health").json()["storage"]["database"] is None, "no paths without the token"
            told = api.get("/api/health", headers={"X-Backprop-Viz-Token": token}).json()["storage"]["database"]
            assert told and told.endswith("backprop-viz.db")
            assert api.get("/api/catalog", headers={"Host": "evil.example"}).status_code == 400
        encoded = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
        url = f"{live.ws_base}/ws/sessions/{session_id}"
        with connect(url, subprotocols=["backprop-viz", f"backprop-viz-token.{encoded}"], open_timeout=30) as ws:
            assert ws.subprotocol == "backprop-viz"
            assert _snapshot(ws)["state"]["id"] == session_id
        for refused in ({}, {"origin": "http://evil.example"}):
            kwargs = {"subprotocols": ["backprop-viz", f"backprop-viz-token.{encoded}"]} if refused else {}
            with pytest.raises(InvalidStatus) as caught, connect(url, open_timeout=30, **kwargs, **refused):
                pass
            assert caught.value.response.status_code == 403
    finally:
        live.stop()


def test_a_watch_link_reaches_the_worker_of_its_session(cluster: LiveServer):
    with _api(cluster) as api:
        sessions: dict[int, str] = {}
        while len(sessions) < 2:
            session_id, worker = _create(api)
            sessions.setdefault(worker, session_id)
        for worker, session_id in sessions.items():
            made = api.post(f"/api/sessions/{session_id}/watch")
            assert made.status_code == 201, made.text
            token = made.json()["token"]
            assert shard_of(token) == worker and made.json()["url"] == f"/watch/{token}"
            seen = api.get(f"/api/watch/{token}")
            assert seen.status_code == 200 and int(seen.headers[WORKER]) == worker
            assert session_id not in seen.text, "a watcher never learns the session id"
            assert api.post(f"/api/watch/{token}/step", json={"unit": "pass"}).status_code == 403
            with connect(f"{cluster.ws_base}/ws/watch/{token}", open_timeout=30, max_size=None) as watcher:
                snapshot = _snapshot(watcher)
                assert session_id not in json.dumps(snapshot)
                api.post(f"/api/sessions/{session_id}/step", json={"unit": "pass", "count": 1})
                while json.loads(watcher.recv(timeout=30))["type"] != "state":
                    pass
                assert api.delete(f"/api/sessions/{session_id}/watch").status_code == 204
                with pytest.raises(ConnectionClosed):
                    while True:
                        watcher.recv(timeout=30)
                assert watcher.close_code == 4410, "revoked: the watcher is told, through the router"
            assert api.get(f"/api/watch/{token}").status_code == 404


def _stalled_client(port: int, path: str, message: dict[str, Any]) -> socket.socket:
    """A WebSocket client on a raw socket with a small receive buffer: handshake, one command, then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    payload = json.dumps(message).encode()
    mask = os.urandom(4)
    sock.sendall(
        struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )
    return sock


def test_a_browser_that_reads_nothing_slows_no_one_through_the_router(cluster: LiveServer):
    """Its relay stops reading from the worker, whose outbox drops it (4008) as it drops a direct client; the router
    then closes it too. Meanwhile a reading client of the same session gets its frames."""
    with _api(cluster) as api:
        session_id, _ = _create(api)
        port = int(cluster.base.rsplit(":", 1)[1])
        stalled = _stalled_client(port, f"/ws/sessions/{session_id}", {"type": "play", "speed": "max"})
        try:
            with connect(f"{cluster.ws_base}/ws/sessions/{session_id}", open_timeout=30, max_size=None) as reader:
                _snapshot(reader)
                deadline = time.monotonic() + 60
                frames = 0
                while frames % 20 or frames == 0 or _health(cluster)["websocket_clients"] > 1:
                    reader.recv(timeout=30)  # the reader keeps getting frames meanwhile
                    frames += 1
                    assert time.monotonic() < deadline, "the client that reads nothing was never dropped"
                assert frames >= 40, "the reader kept getting frames while the other read nothing"
            stalled.settimeout(30)
            with contextlib.suppress(ConnectionResetError):
                while stalled.recv(65536):  # what was queued, then the end: the router closed it
                    pass
        finally:
            stalled.close()


def _raw_request(port: int, head: str, body_parts: list[bytes], pause: float = 0.0) -> bytes:
    """Send a request by hand (headers, then the body's parts, optionally stopping before the end); the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        with contextlib.suppress(OSError):  # the server may answer and close before the body is all sent
            for part in body_parts:
                sock.sendall(part)
        time.sleep(pause)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and b'"detail"' in answer and answer.rstrip().endswith(b"}"):
                    break
        return answer


def test_bodies_are_refused_through_the_router_as_by_one_server(tmp_path: Path):
    """No token: 401 before a big body is read; a declared length over the limit: 413 unread; a body that stops
    arriving: 408 after BACKPROP_VIZ_BODY_IDLE_SECONDS — answered, not held open by the router."""
    token = "t0ken"
    live = LiveServer(
        tmp_path / "data", args=("--workers", "2"), BACKPROP_VIZ_TOKEN=token, BACKPROP_VIZ_BODY_IDLE_SECONDS="1"
    )
    live.start()
    try:
        _wait_all_up(live)
        port = int(live.base.rsplit(":", 1)[1])
        chunk = b"x" * 65536
        started = time.monotonic()
        head = (
            f"POST /api/datasets HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Backprop-Viz-Request: 1\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 52428800\r\n\r\n"
        )
        answer = _raw_request(port, head, [chunk] * 800)
        assert answer.startswith(b"HTTP/1.1 401"), answer[:300]
        assert time.monotonic() - started < 10
        head = (
            f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: 999999999\r\n\r\n"
        )
        assert _raw_request(port, head, []).startswith(b"HTTP/1.1 413")
        head = (
            f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n"
        )
        started = time.monotonic()
        answer = _raw_request(port, head, [b'{"layers": '])
        assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
        assert b"BACKPROP_VIZ_BODY_IDLE_SECONDS" in answer and time.monotonic() - started < 10
    finally:
        live.stop()


def test_workers_stop_when_their_router_is_killed(tmp_path: Path):
    live = LiveServer(tmp_path / "data", args=("--workers", "2"))
    live.start()
    pids = [w["pid"] for w in _wait_all_up(live)["workers"]]
    live.kill()  # kill -9 of the router: no shutdown code runs there
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "orphaned workers kept running"
        time.sleep(0.2)
    assert "Application shutdown complete" in live.log(), "they stopped gracefully (their checkpoints written)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"  # a zombie has ended
    return True
