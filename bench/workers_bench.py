"""`--workers 2` against `--workers 1`: total play throughput of 8 sessions at max, a real server (subprocess).

Run:  .venv/bin/python bench/workers_bench.py [--sessions 8] [--seconds 15] [--rounds 2] [--workers 1,2]

Each round starts `backprop-viz serve --workers N` (persistence on, in a temporary directory) for every N given,
creates --sessions sessions (2-8-8-1 on circles, as bench/ws_bench.py), opens one WebSocket per session with a
client that reads everything it is sent (the page's behaviour), sends `play` at max on each, lets them warm up,
then reads every session's pass counter over REST at the start and the end of --seconds: passes/s per session
and in total; meanwhile one more student steps phase by phase (round trip of `step` to its `phase`). Printed per
N: total passes/s, the slowest session against the mean, the round trip, the server's CPU seconds per wall
second (router and workers together), and any 5xx answer or dropped socket. Then the ratio of each N's total to
the first N's, per round (the rounds alternate the Ns, so a change in the machine's load hits both).
Target (issue 11): `--workers 2` ≥ 1.6× `--workers 1` on a 2-core machine. On a machine shared with other work
the server gets less than its cores: the passes per server CPU second, printed beside, tell the router's and the
processes' own cost apart from that.

(bench/classroom_bench.py, when present, runs the issue's other scenarios and this one with its own clients.)
Needs psutil and websockets (the `bench` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets
from classroom_bench import HEADERS, SESSION, free_port  # the same 2-8-8-1 session and helpers

ROOT = Path(__file__).resolve().parents[1]

WARMUP_SECONDS = 3.0


class Server:
    """`backprop-viz serve --workers N` in a subprocess over a fresh data directory."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.TemporaryDirectory(prefix="workers-bench-")
        env = {**os.environ, "BACKPROP_VIZ_DATA_DIR": self.dir.name, "BACKPROP_VIZ_TOKEN": ""}
        env.pop("BACKPROP_VIZ_WORKERS", None)
        self.log = open(Path(self.dir.name) / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while True:
            assert self.process.poll() is None, "the server exited"
            with contextlib.suppress(httpx.HTTPError):
                health = httpx.get(f"{self.base}/api/health", timeout=2).json()
                if all(w["up"] for w in health.get("workers") or []):
                    break
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def processes(self) -> list[psutil.Process]:
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def cpu_seconds(self) -> list[float]:
        """CPU seconds of the serving process (the router, with workers) and of each worker."""
        seconds = []
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                seconds.append(times.user + times.system)
        return seconds

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.dir.cleanup()


async def reader(url: str, stats: dict[str, int], stop: asyncio.Event) -> None:
    """A client that reads everything: snapshot, `play` at max, then frames until told to stop."""
    async with websockets.connect(url, max_size=None, open_timeout=30) as ws:
        json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "play", "speed": "max"}))
        while not stop.is_set():
            try:
                await asyncio.wait_for(ws.recv(), timeout=0.5)
                stats["frames"] += 1
            except TimeoutError:
                continue
            except websockets.ConnectionClosed as closed:
                stats["dropped"] += 1
                print(f"  a socket was closed: {closed}", flush=True)
                return
        await ws.send(json.dumps({"type": "pause"}))


async def stepper(url: str, stop: asyncio.Event, times: list[float]) -> None:
    """One more student stepping phase by phase meanwhile: the round trip of each `step` to its `phase` event."""
    async with websockets.connect(url, max_size=None, open_timeout=30) as ws:
        json.loads(await ws.recv())
        n = 0
        while not stop.is_set():
            n += 1
            sent = time.perf_counter()
            await ws.send(json.dumps({"type": "step", "unit": "phase", "count": 1, "request_id": n}))
            while True:
                event = json.loads(await ws.recv())
                if event.get("request_id") == n and event["type"] == "phase":
                    times.append(time.perf_counter() - sent)
                if event.get("request_id") == n and event["type"] in ("state", "error"):
                    break
            await asyncio.sleep(0.02)


async def measure(server: Server, sessions: int, seconds: float) -> dict[str, Any]:
    stats = {"frames": 0, "dropped": 0, "errors": 0}
    round_trips: list[float] = []
    async with httpx.AsyncClient(base_url=server.base, timeout=60, headers=HEADERS) as api:
        ids = []
        for _ in range(sessions):
            answer = await api.post("/api/sessions", json=SESSION)
            stats["errors"] += answer.status_code >= 500
            ids.append(answer.json()["id"])
        stop = asyncio.Event()
        ws_base = server.base.replace("http://", "ws://")
        readers = [asyncio.create_task(reader(f"{ws_base}/ws/sessions/{i}", stats, stop)) for i in ids]
        await asyncio.sleep(WARMUP_SECONDS)
        stepping = (await api.post("/api/sessions", json=SESSION)).json()["id"]
        readers.append(asyncio.create_task(stepper(f"{ws_base}/ws/sessions/{stepping}", stop, round_trips)))

        async def passes() -> list[int]:
            answers = await asyncio.gather(*(api.get(f"/api/sessions/{i}") for i in ids))
            stats["errors"] += sum(a.status_code >= 500 for a in answers)
            return [a.json()["counters"]["pass"] for a in answers]

        start, cpu0, t0 = await passes(), server.cpu_seconds(), time.monotonic()
        bench_cpu0 = time.process_time()
        await asyncio.sleep(seconds)
        end, cpu1, t1 = await passes(), server.cpu_seconds(), time.monotonic()
        stop.set()
        await asyncio.gather(*readers)
    rates = [(b - a) / (t1 - t0) for a, b in zip(start, end, strict=True)]
    cpu = [(b - a) / (t1 - t0) for a, b in zip(cpu0, cpu1, strict=False)]
    return {
        "total": sum(rates),
        "slowest_share": min(rates) / statistics.mean(rates) if statistics.mean(rates) else 0.0,
        "cpu_per_second": sum(cpu),
        "cpu_split": " + ".join(f"{c:.2f}" for c in cpu),
        "bench_cpu": (time.process_time() - bench_cpu0) / (t1 - t0),
        "rt_median": statistics.median(round_trips) * 1000,
        "rt_p99": statistics.quantiles(round_trips, n=100)[98] * 1000 if len(round_trips) > 1 else float("nan"),
        **stats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare, the first is the baseline")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"CPUs usable: {len(os.sched_getaffinity(0))}; load average at start: {os.getloadavg()}", flush=True)
    ratios: dict[int, list[float]] = {n: [] for n in counts[1:]}
    for round_index in range(args.rounds):
        order = counts if round_index % 2 == 0 else list(reversed(counts))
        results: dict[int, dict[str, Any]] = {}
        for n in order:
            server = Server(n)
            try:
                results[n] = result = asyncio.run(measure(server, args.sessions, args.seconds))
            finally:
                server.stop()
            print(
                f"round {round_index + 1}, --workers {n}: {result['total']:,.0f} passes/s in total over "
                f"{args.sessions} sessions; slowest session {result['slowest_share']:.0%} of the mean; server CPU "
                f"{result['cpu_per_second']:.2f} s/s ({result['cpu_split']}), this client's {result['bench_cpu']:.2f}; "
                f"a stepping student's round trip median {result['rt_median']:.1f} ms, p99 {result['rt_p99']:.1f} ms; "
                f"frames read {result['frames']:,}; 5xx {result['errors']}, "
                f"sockets dropped {result['dropped']}",
                flush=True,
            )
        for n in counts[1:]:
            ratios[n].append(results[n]["total"] / results[counts[0]]["total"])
            per_cpu = [r["total"] / r["cpu_per_second"] for r in (results[counts[0]], results[n])]
            print(
                f"round {round_index + 1}: --workers {n} / --workers {counts[0]} = {ratios[n][-1]:.2f}×; passes per "
                f"server CPU second {per_cpu[1]:,.0f} against {per_cpu[0]:,.0f} ({per_cpu[1] / per_cpu[0]:.2f}×: "
                "below 1 is what the router and the extra processes cost); the rest is the CPU the machine gave",
                flush=True,
            )
    for n, values in ratios.items():
        print(
            f"--workers {n} / --workers {counts[0]}: median {statistics.median(values):.2f}× over {len(values)} "
            f"rounds (target for 2 workers on 2 cores: ≥ 1.6×); load average at the end: {os.getloadavg()}"
        )


if __name__ == "__main__":
    main()
