"""Diagnostics benchmark: play throughput with the layer statistics on against off, in the same run.

Run:  .venv/bin/python bench/diagnostics_bench.py [--seconds 3] [--rounds 6]

Two uvicorn servers (subprocesses) serve the same 2-8-8-1 session (circles, 200 samples, batch 10, as
bench/ws_bench.py), one with BACKPROP_VIZ_DIAGNOSTICS=true (the default: play frames carry the statistics at most
BACKPROP_VIZ_DIAGNOSTICS_RATE = 5 times a second, `flags` events when the flags change), the other with it false.
A browser-like client plays each at speed max for --seconds, reading everything, alternately for --rounds rounds
(so that a change in the machine's load hits both alike); each round's passes/s with diagnostics is divided by the
mean of the off rounds beside it. Also: the servers' CPU per pass, and the bytes of a state frame that carries
statistics against one that does not. The cost of one measurement (forward and backward over the probe, the
histograms, the flags) is timed in-process too.
Target (issue 12): with diagnostics on, play reaches ≥ 90 % of its throughput without them.
Needs psutil (the `bench` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any

import psutil
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ws_bench import SESSION, cpu_seconds, create_session, free_port, start_play, wait_until_up  # noqa: E402

from app import schemas  # noqa: E402
from app.config import Settings  # noqa: E402
from app.sessions import Session  # noqa: E402

SERVER = """
import sys, uvicorn
from app.config import Settings
from app.main import create_app
port, data_dir = int(sys.argv[1]), sys.argv[2]
app = create_app(Settings(port=port, data_dir=data_dir, persist=False))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws_ping_interval=None)
"""


def start_server(data_dir: str, diagnostics: bool) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "BACKPROP_VIZ_DIAGNOSTICS": "true" if diagnostics else "false"}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), data_dir], cwd=ROOT, env=env)
    wait_until_up(proc, port)
    return proc, port


class Player:
    """One client playing one session of one server, round by round."""

    def __init__(self, port: int, session_id: str, server: psutil.Process) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/sessions/{session_id}"
        self.server = server
        self.rates: list[float] = []
        self.passes = 0
        self.cpu = 0.0
        self.with_stats: list[int] = []  # sizes of state frames carrying statistics
        self.without_stats: list[int] = []
        self.flags_events = 0

    async def round(self, ws: Any, seconds: float, tag: str) -> None:
        cpu = cpu_seconds(self.server)
        first, started = await start_play(ws, f"play{tag}")
        while time.perf_counter() < started + seconds:
            text = await ws.recv()
            if '"type":"state"' in text:
                (self.without_stats if '"diagnostics":null' in text else self.with_stats).append(len(text))
            elif '"type":"flags"' in text:
                self.flags_events += 1
        await ws.send(json.dumps({"type": "pause", "request_id": f"pause{tag}"}))
        while True:
            event = json.loads(await ws.recv())
            if event["type"] == "state" and event.get("request_id") == f"pause{tag}":
                ran, took = event["state"]["counters"]["pass"] - first, time.perf_counter() - started
                break
        self.cpu += cpu_seconds(self.server) - cpu
        self.passes += ran
        self.rates.append(ran / took)


async def compare(on: Player, off: Player, seconds: float, rounds: int) -> None:
    async with websockets.connect(on.url, max_size=None) as ws_on, websockets.connect(off.url, max_size=None) as ws_off:
        await ws_on.recv()
        await ws_off.recv()
        await off.round(ws_off, seconds, "w")  # warm-up of both, not counted
        await on.round(ws_on, seconds, "w")
        for player in (on, off):
            player.rates.clear()
            player.with_stats.clear()
            player.without_stats.clear()
            player.passes, player.cpu, player.flags_events = 0, 0.0, 0
        await off.round(ws_off, seconds, "0")
        for k in range(rounds):
            await on.round(ws_on, seconds, str(k))
            await off.round(ws_off, seconds, str(k + 1))


def measurement_cost() -> tuple[float, int]:
    """Milliseconds of one measurement of the benchmark's session, in-process, and its probe size."""
    session = Session.create(schemas.SessionCreate(**SESSION), Settings(persist=False), lambda _id: None)
    session.trainer.run_passes(100)
    watch = session.watch
    seconds = min(timeit.repeat(watch.measure, number=200, repeat=5)) / 200
    return seconds * 1e3, watch.tracker.probe.size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0, help="play time per round")
    ap.add_argument("--rounds", type=int, default=6, help="rounds with diagnostics on (off rounds surround them)")
    args = ap.parse_args()
    cost, probe = measurement_cost()
    with tempfile.TemporaryDirectory() as data_on, tempfile.TemporaryDirectory() as data_off:
        proc_on, port_on = start_server(data_on, diagnostics=True)
        proc_off, port_off = start_server(data_off, diagnostics=False)
        try:
            on = Player(port_on, create_session(f"http://127.0.0.1:{port_on}"), psutil.Process(proc_on.pid))
            off = Player(port_off, create_session(f"http://127.0.0.1:{port_off}"), psutil.Process(proc_off.pid))
            asyncio.run(compare(on, off, args.seconds, args.rounds))
        finally:
            for proc in (proc_on, proc_off):
                proc.terminate()
                proc.wait(10)
    ratios = [rate / ((off.rates[k] + off.rates[k + 1]) / 2) for k, rate in enumerate(on.rates)]
    print(f"2-8-8-1 on circles (200 samples, batch 10), play at speed max, {args.rounds} rounds of {args.seconds:g} s")
    print(f"  one measurement (probe of {probe} samples, histograms, flags): {cost:.3f} ms in-process")
    print(f"  diagnostics off: {statistics.median(off.rates):10,.0f} passes/s (median of {len(off.rates)} rounds)")
    print(f"  diagnostics on:  {statistics.median(on.rates):10,.0f} passes/s (median of {len(on.rates)} rounds)")
    print(f"  on / off, per round: {', '.join(f'{r:.3f}' for r in ratios)}")
    print(f"  on / off, median: {statistics.median(ratios):.3f}   (target ≥ 0.90)")
    print(f"  server CPU per pass, on / off: {(on.cpu / on.passes) / (off.cpu / off.passes):.3f}")
    if on.with_stats:
        frames = len(on.with_stats) + len(on.without_stats)
        print(
            f"  state frames with statistics: {len(on.with_stats)} of {frames} "
            f"({len(on.with_stats) / sum(on.passes / r for r in [statistics.mean(on.rates)]):.1f} a second); "
            f"{statistics.mean(on.with_stats):,.0f} bytes against {statistics.mean(on.without_stats):,.0f} without; "
            f"flags events: {on.flags_events}"
        )


if __name__ == "__main__":
    main()
