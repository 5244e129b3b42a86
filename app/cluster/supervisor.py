"""Starts the N worker processes of `backprop-viz serve --workers N` and starts a worker again when it dies.

Each worker is `python -m app.cluster.worker` with BACKPROP_VIZ_SHARD=k and the router's private socket directory;
it is *up* once its socket answers `/api/health` (it has restored its sessions by then). A worker that exits
while the server runs (a crash, the OOM killer, `kill -9`) is marked down at once — the router answers 503 /
closes WebSockets with 1012 for its sessions meanwhile, the other workers go on — and started again after a
back-off (0.5 s, doubling to 10 s while it keeps failing within a minute of starting); the new process restores
its sessions from their last checkpoint. At shutdown every worker gets SIGTERM (it writes its checkpoints) and,
after STOP_SECONDS, SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.cluster.paths import socket_path
from app.config import Settings

log = logging.getLogger("app.cluster")

START_SECONDS = 120.0  # restoring many sessions takes a while; a worker not up by then is started again
STOP_SECONDS = 15.0
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
STABLE_SECONDS = 60.0  # a worker that ran this long before dying is restarted after the first back-off again
POLL_SECONDS = 0.05


@dataclass
class Worker:
    """One worker process as the router sees it."""

    shard: int
    socket: Path
    process: asyncio.subprocess.Process | None = None
    up: bool = False
    restarts: int = 0
    started: float = 0.0
    client: httpx.AsyncClient | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


SPLIT_LIMITS = ("memory_budget_bytes", "max_sessions", "max_ws_clients")  # server-wide: shared out among workers
SPLIT_MINIMUM = {"memory_budget_bytes": 64 * 1024 * 1024}  # the least a worker's settings accept


class Supervisor:
    """The workers of one router; `start()` returns once every worker is up (or START_SECONDS passed)."""

    def __init__(self, settings: Settings, cluster_dir: Path) -> None:
        self.settings = settings
        self.cluster_dir = cluster_dir
        self.workers = [Worker(k, socket_path(cluster_dir, k)) for k in range(settings.workers)]
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def environment(self, shard: int) -> dict[str, str]:
        """The router's environment, with what makes the process worker `shard` of this router."""
        env = dict(os.environ)
        env.update(
            {
                "BACKPROP_VIZ_SHARD": str(shard),
                "BACKPROP_VIZ_CLUSTER_DIR": str(self.cluster_dir),
                "BACKPROP_VIZ_WORKERS": str(self.settings.workers),
                "BACKPROP_VIZ_HOST": self.settings.host,  # as given on the command line: the Host check needs it
                "BACKPROP_VIZ_PORT": str(self.settings.port),
                "PYTHONUNBUFFERED": "1",
                **self.shares(),
            }
        )
        return env

    def shares(self) -> dict[str, str]:
        """The server-wide limits, each worker's share (rounded up, at least 1): without this every worker would
        take the whole memory budget, session cap and WebSocket cap, and the server N times each. Sessions go to
        the workers in turn, so the shares fill evenly."""
        n = self.settings.workers
        return {
            f"BACKPROP_VIZ_{name.upper()}": str(max(SPLIT_MINIMUM.get(name, 1), -(-getattr(self.settings, name) // n)))
            for name in SPLIT_LIMITS
        }

    async def start(self) -> None:
        for worker in self.workers:
            self._tasks.append(asyncio.create_task(self._keep(worker), name=f"worker-{worker.shard}"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(w.ready.wait() for w in self.workers)), START_SECONDS)

    async def _spawn(self, worker: Worker) -> None:
        worker.socket.unlink(missing_ok=True)
        # Its own session: Ctrl-C in a terminal reaches the router alone, which stops the workers in order (a worker
        # ending by itself first would look like a failure and be started again).
        worker.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cluster.worker", env=self.environment(worker.shard), start_new_session=True
        )
        worker.started = time.monotonic()
        if worker.client is not None:
            await worker.client.aclose()
        worker.client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=str(worker.socket)),
            base_url="http://localhost",
            timeout=httpx.Timeout(None, connect=5.0),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
        )

    async def _wait_up(self, worker: Worker) -> bool:
        """Poll the worker's socket until /api/health answers (True), or its process ends or the time is up."""
        deadline = time.monotonic() + START_SECONDS
        assert worker.process is not None and worker.client is not None
        while time.monotonic() < deadline and worker.process.returncode is None:
            if worker.socket.exists():
                with contextlib.suppress(httpx.HTTPError):
                    answer = await worker.client.get("/api/health", headers={"host": "localhost"}, timeout=5.0)
                    if answer.status_code == 200:
                        return True
            await asyncio.sleep(POLL_SECONDS)
        return False

    async def _keep(self, worker: Worker) -> None:
        """Run `worker` until shutdown, starting it again whenever it ends."""
        backoff = FIRST_BACKOFF
        while not self._stopping:
            await self._spawn(worker)
            assert worker.process is not None
            if await self._wait_up(worker):
                worker.up = True
                worker.ready.set()
                log.info("worker %d is up (pid %d)", worker.shard, worker.process.pid)
            elif worker.process.returncode is None:
                log.error("worker %d did not answer within %.0f s; stopping it", worker.shard, START_SECONDS)
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
            code = await worker.process.wait()
            worker.up = False
            if self._stopping:
                return
            ran = time.monotonic() - worker.started
            if ran >= STABLE_SECONDS:
                backoff = FIRST_BACKOFF
            log.error(
                "worker %d (pid %d) ended with %s after %.1f s; its sessions come back from their last checkpoint "
                "when it starts again in %.1f s",
                worker.shard,
                worker.process.pid,
                f"signal {-code}" if code < 0 else f"status {code}",
                ran,
                backoff,
            )
            worker.restarts += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def stop(self) -> None:
        """SIGTERM to every worker, SIGKILL to those still running STOP_SECONDS later."""
        self._stopping = True
        running = [w.process for w in self.workers if w.process is not None and w.process.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        if running:
            _, pending = await asyncio.wait([asyncio.create_task(p.wait()) for p in running], timeout=STOP_SECONDS)
            for process in running:
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
            if pending:
                await asyncio.wait(pending, timeout=5.0)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for worker in self.workers:
            worker.up = False
            if worker.client is not None:
                await worker.client.aclose()
                worker.client = None
            worker.socket.unlink(missing_ok=True)
