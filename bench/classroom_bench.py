"""A classroom on one server (issue 11): many students playing at full speed, one stepping phase by phase, a
teacher broadcasting to 200 watchers — figures printed, ratios measured in one run.

Run:  .venv/bin/python bench/classroom_bench.py [--seconds 10] [--workers 1] [--only A,B,...]

The server is started as a subprocess with `backprop-viz serve` (the installed console script), its settings in
the environment (a temporary data directory, persistence on as the app's default unless --persist off;
BACKPROP_VIZ_MAX_CONCURRENT_PLAYS raised for 30 players). Every client
is a WebSocket client that reads everything it is sent (the page's behaviour); a stepping student sends `step`
(unit phase) and times it to its `phase` event, --step-rate times a second (30: a held arrow key, one step per key
repeat — the fastest a student steps in the page).

Scenarios (targets from issue 11, for a 2-core machine):
  alone  one session playing at max: passes/s
  A      30 sessions at max + 1 stepping, --workers 1: round trip median ≤ 20 ms, p99 ≤ 100 ms; slowest playing
         session ≥ 75 % of the mean session's passes/s; total ≥ 90 % of one session playing alone — measured in
         --rounds alternations, in the same server, of a window with one session playing alone and a window with
         the class (2 × --seconds in all of each): a shared machine's speed drifts by tens of percent within
         seconds, and windows taken far apart compared the drift more than the server
  B      10 sessions at max + 1 stepping: median ≤ 10 ms, p99 ≤ 50 ms
  C      8 sessions at max, --workers 2 vs --workers 1: total passes/s ≥ 1.6× (needs `serve --workers`; without
         it a note is printed and C is skipped)
  D      one session, persistence on, two tabs (one steps, the other reads): median ≤ 1.5 ms, p99 ≤ 8 ms
  E      200 watchers (watch link) join one session that has played 200,000 passes at max (its history thinned by
         the engine) and watch it play: the owner's round trip (a `focus` command, which play goes on through)
         median ≤ 20 ms; server RSS growth ≤ 200 MB at its peak (sampled every 20 ms from the link's making on)
In every run: no socket dropped and no 5xx (counted and printed).
Needs psutil and websockets (the `bench` and `test` extras).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets
from ws_bench import SESSION, free_port  # the same 2-8-8-1 session as the other WebSocket benchmarks

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"X-Backprop-Viz-Request": "1"}


@dataclass
class Problems:
    """What must not happen: sockets closed by the server, 5xx answers."""

    dropped: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)


PROBLEMS = Problems()


def serve_supports_workers() -> bool:
    out = subprocess.run([*SERVE, "--help"], capture_output=True, text=True, check=False, cwd=ROOT)
    return "--workers" in out.stdout


def console_script() -> str:
    local = Path(sys.executable).parent / "backprop-viz"
    return str(local) if local.exists() else (shutil.which("backprop-viz") or "backprop-viz")


SERVE = [console_script(), "serve"]


@contextmanager
def server(workers: int | None, persist: bool = False, code: Path | None = None) -> Iterator[Server]:
    """`backprop-viz serve` on a free port; with `code`, the app in that directory (`python -m app.cli serve` run
    there: a copy of another version, for a before/after comparison)."""
    port = free_port()
    data = tempfile.mkdtemp(prefix="classroom-bench-")
    env = {
        **os.environ,
        "BACKPROP_VIZ_DATA_DIR": data,
        "BACKPROP_VIZ_PERSIST": "true" if persist else "false",
        "BACKPROP_VIZ_MAX_CONCURRENT_PLAYS": "64",
        "BACKPROP_VIZ_LOG_LEVEL": "warning",
    }
    command = [*(SERVE if code is None else [sys.executable, "-m", "app.cli", "serve"]), "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    log = open(Path(data) / "server.log", "wb")  # noqa: SIM115 — a file, not a pipe: a full pipe would block the server
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=code or ROOT)
    live = Server(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{live.base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {(Path(data) / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield live
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(data, ignore_errors=True)


@dataclass
class Server:
    base: str
    ws: str
    process: subprocess.Popen

    def rss(self) -> int:
        """Resident memory of the server and its child processes (workers), bytes."""
        root = psutil.Process(self.process.pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])

    async def post(self, client: httpx.AsyncClient, path: str, body: Any = None) -> Any:
        response = await client.post(f"{self.base}{path}", json=body if body is not None else {}, headers=HEADERS)
        if response.status_code >= 500:
            PROBLEMS.server_errors.append(f"POST {path}: {response.status_code}")
        response.raise_for_status()
        return response.json()


# ---------------------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------------------
class Reader:
    """A socket that reads everything; counts the passes its state frames show, and the frames that bring a new
    decision boundary or new layer statistics (what a student's page refreshes less often in a busy class)."""

    def __init__(self, ws: Any, label: str, parse: bool = True) -> None:
        self.ws = ws
        self.label = label
        self.parse = parse  # False (200 watchers in this one process): read everything, parse only state frames
        self.messages = 0
        self.passes: list[tuple[float, int]] = []
        self.boundaries = 0  # state frames with a decision boundary
        self.statistics = 0  # state frames with new layer statistics
        self.waiters: dict[str, asyncio.Future] = {}
        self.closing = False
        self.session_id = ""  # a player's session (to read its pass counter)
        self.task = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for text in self.ws:
                self.messages += 1
                if not self.parse:
                    if '"type":"state"' in text[:64]:
                        self.passes.append((time.monotonic(), -1))
                    continue
                event = json.loads(text)
                state = event.get("state")
                if isinstance(state, dict) and "counters" in state:
                    self.passes.append((time.monotonic(), state["counters"]["pass"]))
                    self.boundaries += event.get("boundary") is not None
                    self.statistics += event.get("diagnostics") is not None
                rid = event.get("request_id")
                if rid is not None and rid in self.waiters and event["type"] in ("phase", "state", "error"):
                    future = self.waiters.pop(rid)
                    if not future.done():
                        future.set_result(event)
        except websockets.ConnectionClosed:
            pass
        if not self.closing:
            PROBLEMS.dropped.append(f"{self.label}: closed {self.ws.close_code} {self.ws.close_reason}")

    async def request(self, command: dict[str, Any]) -> float:
        """Send a command; seconds to its first answering event."""
        rid = f"q{next(REQUEST_IDS)}"
        future = asyncio.get_running_loop().create_future()
        self.waiters[rid] = future
        started = time.perf_counter()
        await self.ws.send(json.dumps({**command, "request_id": rid}))
        event = await asyncio.wait_for(future, 30)
        elapsed = time.perf_counter() - started
        if event["type"] == "error":
            raise RuntimeError(f"{command['type']} refused: {event['message']}")
        return elapsed

    async def close(self) -> None:
        self.closing = True
        await self.ws.close()
        await self.task


REQUEST_IDS = itertools.count(1)
WARM_UP = 1.0  # seconds after play starts or stops elsewhere before a window is measured (chunk sizes settle)


async def connect(url: str, label: str, parse: bool = True) -> Reader:
    ws = await websockets.connect(url, max_size=None, open_timeout=60, ping_interval=None)
    reader = Reader(ws, label, parse)
    return reader


async def new_session(live: Server, http: httpx.AsyncClient) -> str:
    return (await live.post(http, "/api/sessions", SESSION))["id"]


async def players(live: Server, http: httpx.AsyncClient, count: int) -> list[Reader]:
    readers = []
    for k in range(count):
        sid = await new_session(live, http)
        reader = await connect(f"{live.ws}/ws/sessions/{sid}", f"player {k}")
        reader.session_id = sid
        await reader.ws.send(json.dumps({"type": "play", "speed": "max"}))
        readers.append(reader)
    return readers


async def pass_counts(live: Server, http: httpx.AsyncClient, readers: list[Reader]) -> list[tuple[float, int]]:
    """Each player's pass counter, read from the server (GET /api/sessions/{id}) with the time of the answer: exact
    counts at the ends of a measured window, which frames (a few a second per session with 30 playing) are not."""

    async def one(reader: Reader) -> tuple[float, int]:
        response = await http.get(f"{live.base}/api/sessions/{reader.session_id}", headers=HEADERS)
        if response.status_code >= 500:
            PROBLEMS.server_errors.append(f"GET /api/sessions/{{id}}: {response.status_code}")
        response.raise_for_status()
        return time.monotonic(), response.json()["counters"]["pass"]

    return list(await asyncio.gather(*(one(r) for r in readers)))


STEP_RATE = 30.0  # --step-rate: a held arrow key, the fastest the page steps (one step per key repeat, ~30 a second)


async def stepping(reader: Reader, seconds: float) -> list[float]:
    """Step phase after phase for `seconds`, STEP_RATE steps a second on a fixed beat (as key repeats come: a late
    answer is followed by the next step at once); round trips in ms."""
    times = []
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        times.append(1000 * await reader.request({"type": "step", "unit": "phase", "count": 1}))
        wait = start + len(times) / STEP_RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
    return times


def cpu_seconds(live: Server) -> tuple[float, float]:
    """CPU seconds used so far by the server (and its workers) and by this process."""
    root = psutil.Process(live.process.pid)
    server_cpu = sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])
    return server_cpu, sum(psutil.Process().cpu_times()[:2])


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


# ---------------------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------------------
async def play_load(live: Server, count: int, seconds: float, step: bool) -> dict[str, Any]:
    """`count` sessions at max (and one stepping student): passes/s per session, round trips."""
    async with httpx.AsyncClient(timeout=60) as http:
        readers = await players(live, http, count)
        student = None
        if step:
            sid = await new_session(live, http)
            student = await connect(f"{live.ws}/ws/sessions/{sid}", "stepping student")
        await asyncio.sleep(2.0)  # warm up: chunk sizes settle
        first = await pass_counts(live, http, readers)
        start = time.monotonic()
        cpu = cpu_seconds(live)
        times = await stepping(student, seconds) if student else await asyncio.sleep(seconds) or []
        end = time.monotonic()
        server_cpu, client_cpu = (a - b for a, b in zip(cpu_seconds(live), cpu, strict=True))
        last = await pass_counts(live, http, readers)
        print(
            f"  (CPU over {end - start:.1f} s: server {server_cpu:.1f} s, this bench's clients {client_cpu:.1f} s; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )
        rates = [(p1 - p0) / (t1 - t0) for (t0, p0), (t1, p1) in zip(first, last, strict=True)]
        for reader in [*readers, *([student] if student else [])]:
            await reader.close()
    return {"rates": rates, "times": times}


async def interleaved_class(live: Server, count: int, seconds: float, rounds: int) -> dict[str, Any]:
    """A's throughput ratio, robust to a shared machine whose speed drifts by tens of percent within seconds:
    `rounds` alternations, in one server, of a window with session 0 playing by itself and a window with all
    `count` sessions playing and a student stepping (the others paused in between; WARM_UP seconds before each
    window). Both kinds of window see the same drift, so the ratio of their totals compares like with like."""
    window = seconds / rounds
    async with httpx.AsyncClient(timeout=60) as http:
        readers = await players(live, http, count)
        for reader in readers[1:]:
            await reader.ws.send(json.dumps({"type": "pause"}))
        sid = await new_session(live, http)
        student = await connect(f"{live.ws}/ws/sessions/{sid}", "stepping student")
        alone_passes = alone_time = class_time = 0.0
        class_passes = [0.0] * count
        frames = boundaries = stats = 0  # over every playing page, in the class windows
        times: list[float] = []
        for _ in range(rounds):
            await asyncio.sleep(WARM_UP)
            t0, p0 = (await pass_counts(live, http, readers[:1]))[0]
            await asyncio.sleep(window)
            t1, p1 = (await pass_counts(live, http, readers[:1]))[0]
            alone_passes, alone_time = alone_passes + (p1 - p0), alone_time + (t1 - t0)
            for reader in readers[1:]:
                await reader.ws.send(json.dumps({"type": "play", "speed": "max"}))
            await asyncio.sleep(WARM_UP)
            first = await pass_counts(live, http, readers)
            seen = [(len(r.passes), r.boundaries, r.statistics) for r in readers]
            times += await stepping(student, window)
            last = await pass_counts(live, http, readers)
            for reader, (n, b, d) in zip(readers, seen, strict=True):
                frames += len(reader.passes) - n
                boundaries += reader.boundaries - b
                stats += reader.statistics - d
            class_time += statistics.fmean(t1 - t0 for (t0, _), (t1, _) in zip(first, last, strict=True))
            for k, ((_, p0), (_, p1)) in enumerate(zip(first, last, strict=True)):
                class_passes[k] += p1 - p0
            for reader in readers[1:]:
                await reader.ws.send(json.dumps({"type": "pause"}))
        for reader in [*readers, student]:
            await reader.close()
    per_page = count * class_time  # page-seconds in the class windows
    return {
        "alone": alone_passes / alone_time,
        "rates": [p / class_time for p in class_passes],
        "times": times,
        "page": (frames / per_page, boundaries / per_page, stats / per_page),
    }


async def two_tabs(live: Server, seconds: float) -> list[float]:
    async with httpx.AsyncClient(timeout=60) as http:
        sid = await new_session(live, http)
        tab = await connect(f"{live.ws}/ws/sessions/{sid}", "tab 1")
        other = await connect(f"{live.ws}/ws/sessions/{sid}", "tab 2")
        await asyncio.sleep(0.5)
        times = await stepping(tab, seconds)
        await tab.close()
        await other.close()
    return times


WATCHED_PASSES = 200_000  # the owner plays this long before the class joins: a history the engine has thinned


class PeakMemory:
    """The server's largest resident memory while it is watched (sampled every 20 ms in a thread)."""

    def __init__(self, live: Server) -> None:
        self.live = live
        self.peak = live.rss()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.stop.wait(0.02):
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self.live.rss())

    def done(self) -> int:
        self.stop.set()
        self.thread.join()
        return self.peak


async def watchers(live: Server, count: int, seconds: float) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as http:
        sid = await new_session(live, http)
        owner = await connect(f"{live.ws}/ws/sessions/{sid}", "owner")
        owner.session_id = sid
        await owner.ws.send(json.dumps({"type": "play", "speed": "max"}))
        deadline = time.monotonic() + 60
        while (await pass_counts(live, http, [owner]))[0][1] < WATCHED_PASSES and time.monotonic() < deadline:
            await asyncio.sleep(0.5)  # a teacher shares the link after playing a while: a long, thinned history
        before = live.rss()
        peak = PeakMemory(live)
        token = (await live.post(http, f"/api/sessions/{sid}/watch"))["token"]
        audience = []
        for k in range(count):
            audience.append(await connect(f"{live.ws}/ws/watch/{token}", f"watcher {k}", parse=False))
        await asyncio.sleep(2.0)
        times = []
        end = time.monotonic() + seconds
        index = itertools.cycle([1, 0])
        start = time.monotonic()
        while time.monotonic() < end:
            times.append(1000 * await owner.request({"type": "focus", "index": next(index)}))
            await asyncio.sleep(0.05)
        after = live.rss()
        highest = peak.done()
        print(f"  (load average {os.getloadavg()[0]:.1f}; {len(times)} owner commands)")
        frames = [len([t for t, _ in w.passes if t >= start]) / seconds for w in audience]
        for reader in [owner, *audience]:
            await reader.close()
    return {"times": times, "rss_growth": after - before, "rss_peak": highest - before, "frames": frames}


def report_times(name: str, times: list[float], median_target: float, p99_target: float) -> None:
    median, p99 = summary(times)
    ok = median <= median_target and p99 <= p99_target
    print(
        f"  {name}: round trip median {median:.2f} ms (target ≤ {median_target:g}), p99 {p99:.2f} ms "
        f"(target ≤ {p99_target:g}), {len(times)} steps  {'OK' if ok else 'MISSED'}"
    )


def main() -> None:
    global STEP_RATE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario")
    parser.add_argument("--workers", type=int, default=1, help="`serve --workers N` for A, B, D, E")
    parser.add_argument("--only", default="alone,A,B,C,D,E", help="scenarios to run, comma-separated")
    parser.add_argument("--rounds", type=int, default=4, help="A: alternations of the class and the lone session")
    parser.add_argument(
        "--step-rate",
        type=float,
        default=STEP_RATE,
        help="steps a second of the stepping student (A, B, D); the default is a held arrow key, the fastest the "
        "page steps (until 2026-12-04 the bench stepped 20 ms after each answer: about 45 a second)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="a directory holding another version of the app (e.g. `git archive main | tar -x -C DIR`): B is run "
        "against it too, in the same run, for a before/after comparison",
    )
    parser.add_argument(
        "--persist",
        choices=("on", "off"),
        default="on",
        help="persistence in the scenarios but D (which always has it): on, as `make run` and the Docker image "
        "serve (every playing session checkpointed each second), or off (until 2026-12-05 the bench ran them off)",
    )
    args = parser.parse_args()
    STEP_RATE = args.step_rate
    persist = args.persist == "on"
    only = set(args.only.split(","))
    has_workers = serve_supports_workers()
    workers = args.workers if has_workers else None
    if not has_workers:
        print("note: `backprop-viz serve` has no --workers option in this build: every scenario runs one process")
    seconds = args.seconds
    print(
        f"classroom bench: {os.cpu_count()} CPUs, {seconds:g} s per scenario, workers={workers or 1}, "
        f"persistence {args.persist}"
    )

    if "alone" in only:
        with server(workers, persist=persist) as live:
            result = asyncio.run(play_load(live, 1, seconds, step=False))
            print(f"alone: one session at max: {result['rates'][0]:,.0f} passes/s")
    if "A" in only:
        with server(workers, persist=persist) as live:
            result = asyncio.run(interleaved_class(live, 30, 2 * seconds, args.rounds))
            rates, alone = result["rates"], result["alone"]
            mean, total = statistics.fmean(rates), sum(rates)
            print(
                f"A: 30 sessions at max + 1 stepping (workers={workers or 1}), {args.rounds} rounds alternating with "
                f"session 0 playing alone ({2 * seconds / args.rounds:g} s windows of each)"
            )
            report_times("stepping student", result["times"], 20, 100)
            fair, share = min(rates) / mean, total / alone
            print(
                f"  passes/s per session: min {min(rates):,.0f}, mean {mean:,.0f}, max {max(rates):,.0f}: "
                f"slowest/mean {fair:.2f} (target ≥ 0.75) {'OK' if fair >= 0.75 else 'MISSED'}"
            )
            print(
                f"  total {total:,.0f} passes/s = {share:.2f} × alone ({alone:,.0f} passes/s in the windows between) "
                f"(target ≥ 0.90) {'OK' if share >= 0.9 else 'MISSED'}"
            )
            frames, boundaries, stats = result["page"]
            print(
                f"  each playing page: {frames:.1f} frames/s, a new decision boundary every "
                f"{1 / boundaries if boundaries else float('inf'):.1f} s, new layer statistics every "
                f"{1 / stats if stats else float('inf'):.1f} s"
            )
    if "B" in only:
        with server(workers, persist=persist) as live:
            result = asyncio.run(play_load(live, 10, seconds, step=True))
            print(f"B: 10 sessions at max + 1 stepping (workers={workers or 1})")
            report_times("stepping student", result["times"], 10, 50)
            print(f"  total {sum(result['rates']):,.0f} passes/s")
    if args.baseline is not None:
        with server(None, persist=persist, code=args.baseline.resolve()) as live:
            result = asyncio.run(play_load(live, 10, seconds, step=True))
            print(f"B, baseline ({args.baseline}): 10 sessions at max + 1 stepping")
            report_times("stepping student", result["times"], 10, 50)
            print(f"  total {sum(result['rates']):,.0f} passes/s")
    if "C" in only:
        if not has_workers:
            print("C: skipped — `backprop-viz serve --workers` is not in this build (issue 11's other half)")
        else:
            totals = {}
            for n in (1, 2):
                with server(n, persist=persist) as live:
                    totals[n] = sum(asyncio.run(play_load(live, 8, seconds, step=False))["rates"])
            ratio = totals[2] / totals[1]
            print(
                f"C: 8 sessions at max: workers=1 {totals[1]:,.0f} passes/s, workers=2 {totals[2]:,.0f}: "
                f"{ratio:.2f}× (target ≥ 1.6) {'OK' if ratio >= 1.6 else 'MISSED'}"
            )
    if "D" in only:
        with server(workers, persist=True) as live:
            times = asyncio.run(two_tabs(live, seconds))
            print("D: one session, persistence on, two tabs")
            report_times("stepping tab", times, 1.5, 8)
    if "E" in only:
        with server(workers, persist=persist) as live:
            result = asyncio.run(watchers(live, 200, seconds))
            growth, peak = result["rss_growth"] / 2**20, result["rss_peak"] / 2**20
            print(f"E: 200 watchers join a session that has played {WATCHED_PASSES:,} passes at max, and watch it play")
            report_times("owner (focus while playing)", result["times"], 20, 1e9)
            print(
                f"  server RSS growth at its peak {peak:.0f} MiB, at the end {growth:.0f} MiB (target ≤ 200 MB) "
                f"{'OK' if peak <= 190 else 'MISSED'}; frames per watcher per second: "
                f"min {min(result['frames']):.1f}, mean {statistics.fmean(result['frames']):.1f}"
            )
    print(f"sockets dropped: {len(PROBLEMS.dropped)}; 5xx answers: {len(PROBLEMS.server_errors)}")
    for problem in [*PROBLEMS.dropped[:5], *PROBLEMS.server_errors[:5]]:
        print(f"  {problem}")


if __name__ == "__main__":
    main()
