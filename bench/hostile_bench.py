"""Hostile and oversized traffic against a real server: for each heavy case of issue 15, the server's peak memory
above idle (psutil, the server process) and /api/health's latency while it happens.

    .venv/bin/python bench/hostile_bench.py            (needs the bench extra: pip install -e '.[bench]')

It starts `backprop-viz serve` in a subprocess on a free loopback port with an access token and persistence on
(a temporary data directory), measures its idle RSS, then runs each case while a thread polls /api/health every
25 ms (a failed or timed-out poll counts as its 5 s timeout) and another samples the server's RSS every 50 ms:

  1. unauthenticated 200 MB bodies: POST /api/sessions without the token, chunked and with a declared length
  2. the maximal import: a session document just under BACKPROP_VIZ_MAX_IMPORT_BYTES, imported three times
  3. 150 WebSocket readers of one session playing at max speed
  4. 100 WebSocket clients that never read, beside one that plays and reads
  5. 40 uploads of 19 MiB that stall before their last kilobyte

Targets: health p99 ≤ 200 ms and peak memory ≤ 1 GB above idle in every case. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-" + "".join(random.choice("abcdef0123456789") for _ in range(24))
AUTH = {"X-Backprop-Viz-Token": TOKEN}
HEALTH_TIMEOUT = 5.0
MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------------------
# The server and the two watchers
# ---------------------------------------------------------------------------------------------------------
def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("backprop-viz")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    env = {
        **os.environ,
        "BACKPROP_VIZ_TOKEN": TOKEN,
        "BACKPROP_VIZ_DATA_DIR": str(data_dir),
        "BACKPROP_VIZ_PERSIST": "true",
        "PYTHONUNBUFFERED": "1",
    }
    log = (data_dir.parent / "server.log").open("wb")
    process = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start; see server.log")


class Watch:
    """Polls /api/health and samples the server's RSS until stopped."""

    def __init__(self, base: str, pid: int) -> None:
        self.base = base
        self.process = psutil.Process(pid)
        self.latencies: list[float] = []
        self.rss: list[int] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._poll, daemon=True), threading.Thread(target=self._sample)]

    def __enter__(self) -> Watch:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _poll(self) -> None:
        with httpx.Client(base_url=self.base, timeout=HEALTH_TIMEOUT) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    client.get("/api/health").raise_for_status()
                    self.latencies.append(time.perf_counter() - started)
                except httpx.HTTPError:
                    self.latencies.append(HEALTH_TIMEOUT)
                self._stop.wait(0.025)

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.rss.append(self.process.memory_info().rss)
            self._stop.wait(0.05)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# ---------------------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------------------
def raw_request(port: int, head: bytes, body_bytes: int, chunk: bytes, chunked: bool) -> tuple[float, int, bytes]:
    """Send a request head and up to `body_bytes` of body; stop when the server answers or closes. Answers the
    seconds until the answer, the bytes sent, and the answer's first line."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(0.001)
    started = time.perf_counter()
    sent = 0
    answer = b""
    try:
        sock.sendall(head)
        while sent < body_bytes:
            data = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
            with contextlib.suppress(TimeoutError):
                sock.sendall(data)
            sent += len(chunk)
            with contextlib.suppress(TimeoutError, BlockingIOError):
                answer += sock.recv(65536)
                if answer:
                    break
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(10)
    with contextlib.suppress(OSError):
        while b"\r\n" not in answer and (more := sock.recv(65536)):
            answer += more
    sock.close()
    return time.perf_counter() - started, sent, answer.split(b"\r\n", 1)[0]


def unauthenticated_bodies(base: str, port: int) -> str:
    chunk = b"[" + b"1," * (MB // 2 - 1) + b"1"  # about 1 MB of a JSON array, never closed
    results = []
    for chunked in (True, False):
        length = b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {200 * MB}".encode()
        head = (
            b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + length
            + b"\r\n\r\n"
        )
        results.append(raw_request(port, head, 200 * MB, chunk, chunked))
    malformed = httpx.post(f"{base}/api/sessions", content=b"{not json", headers={"content-type": "application/json"})
    parts = [
        f"{'chunked' if i == 0 else 'declared'}: {line.decode()} after {s * 1e3:.0f} ms, {sent / MB:.0f} MB sent"
        for i, (s, sent, line) in enumerate(results)
    ]
    return "; ".join(parts) + f"; malformed JSON without the token: {malformed.status_code}"


def make_document(client: httpx.Client, limit: int) -> bytes:
    """A session document just under `limit` bytes: a CSV upload's rows dominate its size."""

    features = 16

    def document(rows: int) -> bytes:
        rng = random.Random(rows)
        lines = [",".join(f"f{j}" for j in range(features)) + ",label"] + [
            ",".join(f"{rng.uniform(-10, 10):.6f}" for _ in range(features)) + ("," + rng.choice("xy"))
            for _ in range(rows)
        ]
        up = client.post("/api/datasets", files={"file": ("big.csv", "\n".join(lines).encode())}, headers=AUTH)
        up.raise_for_status()
        body = {
            "layers": [features, 32, 32, 1],
            "optimizer": {"name": "adam", "learning_rate": 0.01},
            "dataset": {"id": up.json()["id"]},
        }
        sid = client.post("/api/sessions", json=body, headers=AUTH).json()["id"]
        client.post(f"/api/sessions/{sid}/train", json={"passes": 2000}, headers=AUTH).raise_for_status()
        while client.get(f"/api/sessions/{sid}", headers=AUTH).json()["job"]["status"] == "running":
            time.sleep(0.1)
        doc = client.get(f"/api/sessions/{sid}/export", headers=AUTH).content
        client.delete(f"/api/sessions/{sid}", headers=AUTH)
        client.delete(f"/api/datasets/{up.json()['id']}", headers=AUTH)
        return doc

    small = document(2000)
    per_row = len(small) / 2000
    rows = min(100_000, int(limit * 0.97 / per_row))
    return document(rows)


def maximal_import(base: str, doc: bytes) -> str:
    seconds = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(3):
            started = time.perf_counter()
            response = client.post(
                "/api/sessions/import", content=doc, headers={**AUTH, "content-type": "application/json"}
            )
            seconds.append(time.perf_counter() - started)
            response.raise_for_status()
            client.delete(f"/api/sessions/{response.json()['id']}", headers=AUTH)
    return f"document {len(doc) / MB:.1f} MiB; import {', '.join(f'{s:.2f}' for s in seconds)} s"


def token_protocols() -> list[str]:
    encoded = base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("=")
    return ["backprop-viz", f"backprop-viz-token.{encoded}"]


def playing_session(base: str) -> str:
    body = {"layers": [2, 8, 8, 1], "dataset": {"builtin": "circles", "samples": 500}}
    return httpx.post(f"{base}/api/sessions", json=body, headers=AUTH).json()["id"]


async def readers(ws_base: str, sid: str, count: int, seconds: float) -> str:
    frames = [0] * count
    sockets = []
    for _ in range(count):
        ws = await websockets.connect(f"{ws_base}/ws/sessions/{sid}", subprotocols=token_protocols(), max_size=None)
        sockets.append(ws)

    async def read(i: int, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in ws:
                frames[i] += 1

    tasks = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
    await sockets[0].send(json.dumps({"type": "play", "speed": "max"}))
    await asyncio.sleep(seconds)
    await sockets[0].send(json.dumps({"type": "pause"}))
    await asyncio.sleep(0.5)
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    passes = httpx.get(f"{ws_base.replace('ws:', 'http:')}/api/sessions/{sid}", headers=AUTH).json()["counters"]["pass"]
    per_client = [f / seconds for f in frames]
    return (
        f"{count} readers: {statistics.median(per_client):.1f} events/s each (min {min(per_client):.1f}), "
        f"{passes:,} passes trained"
    )


def non_reader(port: int, sid: str) -> socket.socket:
    """A WebSocket handshake, then never a read (a small receive buffer, so the server finds out sooner)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/sessions/{sid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {', '.join(token_protocols())}\r\n\r\n"
        ).encode()
    )
    return sock


async def one_reader_beside(ws_base: str, sid: str, seconds: float) -> tuple[int, int]:
    async with websockets.connect(f"{ws_base}/ws/sessions/{sid}", subprotocols=token_protocols(), max_size=None) as ws:
        frames = 0
        await ws.send(json.dumps({"type": "play", "speed": "max"}))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ws.recv(), 1)
                frames += 1
        await ws.send(json.dumps({"type": "pause"}))
        return frames, 0


def non_readers(base: str, ws_base: str, port: int, seconds: float) -> str:
    sid = playing_session(base)
    socks = [non_reader(port, sid) for _ in range(100)]
    frames, _ = asyncio.run(one_reader_beside(ws_base, sid, seconds))
    clients = httpx.get(f"{base}/api/health").json()["websocket_clients"]
    for sock in socks:
        sock.close()
    return (
        f"the reader got {frames / seconds:.1f} events/s; WebSocket clients left after {seconds:.0f} s: "
        f"{clients} of 101 (the rest dropped for not reading)"
    )


def stalled_uploads(port: int, count: int = 40, size: int = 19 * MB) -> str:
    boundary = "XyZbench"
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    total = len(part) + size + len(f"\r\n--{boundary}--\r\n")
    head = (
        f"POST /api/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Backprop-Viz-Token: {TOKEN}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n"
    ).encode()
    row = b"1.5,2.5,3.5,x\n"
    body = part + row * ((size - 1024) // len(row))
    outcomes: list[tuple[float, bytes]] = []
    lock = threading.Lock()

    def upload() -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        started = time.perf_counter()
        answer = b""
        with contextlib.suppress(OSError):
            sock.sendall(head + body)  # …and never the last kilobyte
        sock.settimeout(120)
        with contextlib.suppress(OSError):  # refused at once (429), or dropped when it stalls (408)
            while chunk := sock.recv(65536):
                answer += chunk
        sock.close()
        with lock:
            outcomes.append((time.perf_counter() - started, answer.split(b"\r\n", 1)[0]))

    threads = [threading.Thread(target=upload) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_answer: dict[str, list[float]] = {}
    for seconds, line in outcomes:
        by_answer.setdefault(line.decode().removeprefix("HTTP/1.1 ") or "closed", []).append(seconds)
    answers = "; ".join(f"{len(t)} × {a} after {min(t):.1f}–{max(t):.1f} s" for a, t in sorted(by_answer.items()))
    return f"{count} × {size / MB:.0f} MiB that stall: {answers}"


# ---------------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="how long the WebSocket cases run")
    parser.add_argument("--compression", action="store_true", help="serve with BACKPROP_VIZ_WS_COMPRESSION=true")
    parser.add_argument("--cases", default="12345", help="which cases to run, e.g. 34")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    port = free_port()
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    if args.compression:
        os.environ["BACKPROP_VIZ_WS_COMPRESSION"] = "true"
    server = start_server(work / "data", port)
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/")
            client.get("/api/catalog", headers=AUTH)
            limit = int(os.environ.get("BACKPROP_VIZ_MAX_IMPORT_BYTES", 32 * MB))
            doc = make_document(client, limit) if "2" in args.cases else b""
        time.sleep(2)
        idle = psutil.Process(server.pid).memory_info().rss
        print(
            f"backprop-viz hostile traffic · {os.cpu_count()} CPUs · load {os.getloadavg()[0]:.1f} · "
            f"server idle RSS {idle / MB:.0f} MiB"
        )
        print(f"{'case':<34} {'health p50':>10} {'p99':>8} {'max':>8} {'peak RSS − idle':>16}  notes")
        cases: list[tuple[str, Callable[[], str]]] = [
            ("1. 200 MB bodies without the token", lambda: unauthenticated_bodies(base, port)),
            ("2. the maximal import (×3)", lambda: maximal_import(base, doc)),
            (
                "3. 150 WebSocket readers, playing",
                lambda: asyncio.run(readers(ws_base, playing_session(base), 150, args.seconds)),
            ),
            ("4. 100 non-readers beside a reader", lambda: non_readers(base, ws_base, port, 2 * args.seconds)),
            ("5. 40 stalled 19 MiB uploads", lambda: stalled_uploads(port)),
        ]
        verdicts = []
        for name, case in cases:
            if name[0] not in args.cases:
                continue
            with Watch(base, server.pid) as watch:
                notes = case()
                time.sleep(1.0)  # what the case leaves behind settles
            p50, p99 = percentile(watch.latencies, 0.5) * 1e3, percentile(watch.latencies, 0.99) * 1e3
            peak = (max(watch.rss) - idle) / MB
            verdicts.append(p99 <= 200 and peak <= 1024)
            print(
                f"{name:<34} {p50:>8.1f}ms {p99:>6.0f}ms {max(watch.latencies) * 1e3:>6.0f}ms {peak:>12.0f} MiB  "
                f"{notes}"
            )
        print(f"targets (p99 ≤ 200 ms, peak ≤ 1 GiB above idle) met in {sum(verdicts)} of {len(verdicts)} cases")
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(30)
        if server.poll() is None:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
