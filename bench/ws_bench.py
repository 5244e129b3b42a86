"""WebSocket benchmark on loopback with a real uvicorn server (a subprocess), figures printed.

Run:  .venv/bin/python bench/ws_bench.py [--roundtrips 2000] [--play-seconds 10] [--stall-seconds 120]

1. Round trip of one `step` (unit phase) command to its `phase` event, 2-8-8-1 network (median, p99).
2. Play mode at speed max for --play-seconds with one browser-like client that reads everything (the
   `websockets` client with permessage-deflate, as browsers negotiate it): passes/s as a ratio of the engine's
   fast path (Trainer.run_passes, track_metrics=True) on the same network and data, measured in this run;
   also per CPU second (the server process's CPU, sending included, against the fast path's thread), which a
   busy machine disturbs less; frames/s and bytes per frame (JSON payload, and zlib-compressed as an estimate
   of what deflate sends).
3. The server's RSS (psutil) every few seconds during --stall-seconds of play driven by a client that sends
   `play` and then never reads (a raw socket with a small receive buffer). The server runs with WebSocket
   pings off for this: with uvicorn's default pings (20 s) a client that never reads is dropped after ~40 s.
   The engine's own memory is bounded but takes a while to fill; so that it fills early in the run (and what
   is left to see is the server's), this session trains full batches (every pass ends an epoch, so the
   per-epoch metrics series reach their thinning cap as soon as the per-pass one) and the server's step-back
   history is capped at --history-mib (BACKPROP_VIZ_HISTORY_BYTES; the app's default is 64 MiB).
The machine may be shared: play and the fast path run in interleaved slices so that load changes hit both.
--no-deflate serves without permessage-deflate: compressing every frame costs the server ~7 % of play
throughput on this network; on loopback it buys nothing.
Targets (issue 3): round trip median ≤ 2 ms, p99 ≤ 10 ms; play ≥ 90 % of the fast path; memory flat.
Needs psutil (the `bench` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import schemas  # noqa: E402
from app.config import Settings  # noqa: E402
from app.sessions import Session  # noqa: E402

SESSION: dict[str, Any] = {
    "layers": [2, 8, 8, 1],
    "dataset": {"builtin": "circles", "samples": 200, "noise": 0.1, "seed": 0},
    "optimizer": {"name": "sgd", "learning_rate": 0.1},
    "batch_size": 10,
    "init": {"scheme": "xavier", "seed": 0},
}

SERVER = """
import sys, uvicorn
from app.config import Settings
from app.main import create_app
port, data_dir, history, deflate = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "on"
app = create_app(Settings(port=port, data_dir=data_dir, persist=False, history_bytes=history))
# As app/server.py runs it, but with pings off (see the module docstring).
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws_max_size=4 * 1024 * 1024,
            ws_ping_interval=None, ws_per_message_deflate=deflate)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, data_dir: str, history_bytes: int, deflate: bool = True) -> subprocess.Popen:
    argv = [sys.executable, "-c", SERVER, str(port), data_dir, str(history_bytes), "on" if deflate else "off"]
    proc = subprocess.Popen(argv, cwd=ROOT)
    wait_until_up(proc, port)
    return proc


def wait_until_up(proc: subprocess.Popen, port: int, seconds: float = 30) -> None:
    """Until the server on `port` answers /api/health; killed and SystemExit if it does not within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"a server did not start within {seconds:.0f} s")


def create_session(base: str, **changes: Any) -> str:
    response = httpx.post(f"{base}/api/sessions", json={**SESSION, **changes}, timeout=30)
    response.raise_for_status()
    return response.json()["id"]


# ---------------------------------------------------------------------------------------------------------
# 1. Round trip
# ---------------------------------------------------------------------------------------------------------
async def roundtrip(url: str, n: int) -> list[float]:
    times = []
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()  # snapshot
        for i in range(n + 50):
            rid = i
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "step", "unit": "phase", "count": 1, "request_id": rid}))
            while True:
                event = json.loads(await ws.recv())
                if event["type"] == "phase":
                    if i >= 50:  # warm-up
                        times.append(time.perf_counter() - started)
                    break
            while not (event["type"] == "state" and event.get("request_id") == rid):
                event = json.loads(await ws.recv())
    return times


# ---------------------------------------------------------------------------------------------------------
# 2. Play throughput against the fast path
# ---------------------------------------------------------------------------------------------------------
class FastPath:
    """Trainer.run_passes(track_metrics=True) on the same network and data as the served session, continuing
    from where it stopped (as play does), timed in slices."""

    def __init__(self, history_bytes: int) -> None:
        settings = Settings(persist=False, history_bytes=history_bytes)
        warm = Session.create(schemas.SessionCreate(**SESSION), settings, lambda _id: None)
        warm.trainer.run_passes(200, track_metrics=True)
        self.trainer = Session.create(schemas.SessionCreate(**SESSION), settings, lambda _id: None).trainer
        self.passes = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def run(self, seconds: float) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        while (elapsed := time.perf_counter() - started) < seconds:
            self.passes += self.trainer.run_passes(250, track_metrics=True).passes
        self.seconds += elapsed
        self.cpu_seconds += time.thread_time() - cpu


async def start_play(ws: Any, request_id: str) -> tuple[int, float]:
    """Send `play` at max and read up to its answer: the pass it started from, and when (perf_counter)."""
    await ws.send(json.dumps({"type": "play", "speed": "max", "request_id": request_id}))
    while True:
        event = json.loads(await ws.recv())
        if event["type"] == "state" and event.get("request_id") == request_id:
            return event["state"]["counters"]["pass"], time.perf_counter()


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def play(url: str, seconds: float, rounds: int, fast: FastPath, server: psutil.Process) -> dict[str, Any]:
    """`rounds` × (fast path for seconds/rounds, then play for seconds/rounds), interleaved so that a change in
    the machine's load hits both alike."""
    frames = metrics_events = passes = 0
    state_bytes = metrics_bytes = other_bytes = compressed = 0
    played = server_cpu = 0.0
    ratios: list[float] = []
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()
        for round_ in range(rounds):
            fast_before = (fast.passes, fast.seconds)
            fast.run(seconds / rounds)
            fast_rate = (fast.passes - fast_before[0]) / (fast.seconds - fast_before[1])
            cpu = cpu_seconds(server)
            first_pass, started = await start_play(ws, f"play{round_}")
            deadline = started + seconds / rounds
            while time.perf_counter() < deadline:
                text = await ws.recv()
                at = text.index('"type":"') + 8
                kind = text[at : text.index('"', at)]
                if kind == "state":
                    frames += 1
                    state_bytes += len(text)
                    if frames % 10 == 0:
                        compressed += 10 * len(zlib.compress(text.encode(), 6))
                elif kind == "metrics":
                    metrics_events += 1
                    metrics_bytes += len(text)
                else:
                    other_bytes += len(text)
            await ws.send(json.dumps({"type": "pause", "request_id": f"pause{round_}"}))
            while True:
                event = json.loads(await ws.recv())
                if event["type"] == "state" and event.get("request_id") == f"pause{round_}":
                    ran, took = event["state"]["counters"]["pass"] - first_pass, time.perf_counter() - started
                    server_cpu += cpu_seconds(server) - cpu
                    passes += ran
                    played += took
                    ratios.append(ran / took / fast_rate)
                    break
    return {
        "passes_per_s": passes / played,
        "fast_per_s": fast.passes / fast.seconds,
        "frames_per_s": frames / played,
        "bytes_per_frame": (state_bytes + metrics_bytes + other_bytes) / max(frames, 1),
        "state_bytes": state_bytes / max(frames, 1),
        "metrics_bytes": metrics_bytes / max(metrics_events, 1),
        "compressed_state_bytes": compressed / max(frames // 10 * 10, 1),
        "passes": passes,
        "seconds": played,
        "round_ratios": ratios,
        "cpu_ratio": (passes / server_cpu) / (fast.passes / fast.cpu_seconds),
    }


# ---------------------------------------------------------------------------------------------------------
# 3. Memory with a client that never reads
# ---------------------------------------------------------------------------------------------------------
def stalled_client(port: int, path: str, message: dict) -> socket.socket:
    """A WebSocket client on a raw socket: handshake, send one masked text frame, then never read again."""
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
        head += sock.recv(1)  # read the handshake answer byte by byte: nothing after it
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"the handshake failed: {head!r}")
    payload = json.dumps(message).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    sock.sendall(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)
    return sock


def stall(port: int, base: str, sid: str, seconds: float, every: float, server: psutil.Process) -> list[tuple]:
    samples = []
    sock = stalled_client(port, f"/ws/sessions/{sid}", {"type": "play", "speed": "max"})
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) <= seconds:
            state = httpx.get(f"{base}/api/sessions/{sid}", timeout=10).json()
            samples.append((elapsed, server.memory_info().rss, state["counters"]["pass"], state["playing"]))
            time.sleep(every)
    finally:
        sock.close()
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--roundtrips", type=int, default=2_000)
    ap.add_argument("--play-seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=5, help="play/fast-path slices, interleaved")
    ap.add_argument("--stall-seconds", type=float, default=120.0)
    ap.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS samples")
    ap.add_argument("--history-mib", type=float, default=4.0, help="the server's step-back history cap")
    ap.add_argument(
        "--no-deflate",
        action="store_true",
        help="serve without permessage-deflate (uvicorn's default is on; app/server.py follows "
        "BACKPROP_VIZ_WS_COMPRESSION, off by default)",
    )
    args = ap.parse_args()
    history = int(args.history_mib * 2**20)

    port = free_port()
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        proc = start_server(port, data_dir, history, deflate=not args.no_deflate)
        server = psutil.Process(proc.pid)
        try:
            print(
                f"uvicorn on 127.0.0.1:{port}, network {SESSION['layers']}, {os.cpu_count()} CPUs, "
                f"permessage-deflate {'off' if args.no_deflate else 'on'}"
            )

            sid = create_session(base)
            times = sorted(asyncio.run(roundtrip(f"{ws_base}/ws/sessions/{sid}", args.roundtrips)))
            median = statistics.median(times) * 1e3
            p99 = times[min(len(times) - 1, int(0.99 * len(times)))] * 1e3
            print(
                f"\n1. step phase → phase event round trip over {len(times)}: median {median:.3f} ms, "
                f"p99 {p99:.3f} ms, max {times[-1] * 1e3:.3f} ms  (targets ≤ 2 ms, ≤ 10 ms)"
            )

            sid = create_session(base)
            figures = asyncio.run(
                play(f"{ws_base}/ws/sessions/{sid}", args.play_seconds, args.rounds, FastPath(history), server)
            )
            ratio = figures["passes_per_s"] / figures["fast_per_s"]
            print(
                f"\n2. play at speed max, {figures['seconds']:.1f} s in {args.rounds} rounds interleaved with the "
                "fast path, one client reading everything:"
            )
            print(
                f"   play {figures['passes_per_s']:,.0f} passes/s vs fast path {figures['fast_per_s']:,.0f} "
                f"passes/s = {ratio:.1%}  (target ≥ 90%)"
            )
            rounds = ", ".join(f"{r:.0%}" for r in figures["round_ratios"])
            print(f"   per round: {rounds}; median {statistics.median(figures['round_ratios']):.1%}")
            print(
                f"   per CPU second (all the server's threads, streaming included, vs the fast path's thread): "
                f"{figures['cpu_ratio']:.1%}"
            )
            print(
                f"   {figures['frames_per_s']:.1f} frames/s; bytes per frame {figures['bytes_per_frame']:,.0f}: "
                f"state event {figures['state_bytes']:,.0f} (zlib ≈ {figures['compressed_state_bytes']:,.0f}), "
                f"metrics event {figures['metrics_bytes']:,.0f}"
            )

            if args.stall_seconds <= 0:
                return
            sid = create_session(base, batch_size=160)  # full batch: see the module docstring
            print(f"\n3. play for {args.stall_seconds:.0f} s driven by a client that never reads; server RSS:")
            samples = stall(port, base, sid, args.stall_seconds, args.sample_every, server)
            for elapsed, rss, passes, playing in samples:
                print(f"   t={elapsed:6.1f} s  RSS {rss / 2**20:7.1f} MiB  pass {passes:>9,}  playing {playing}")
            rss = [s[1] for s in samples]
            half = len(rss) // 2
            later = rss[half:]
            print(
                f"   RSS first {rss[0] / 2**20:.1f} MiB, max {max(rss) / 2**20:.1f} MiB, last {rss[-1] / 2**20:.1f} "
                f"MiB; second half spread {(max(later) - min(later)) / 2**20:.1f} MiB; "
                f"passes trained {samples[-1][2] - samples[0][2]:,}"
            )
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
