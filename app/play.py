"""Play mode: the server trains a session at the requested speed and streams one frame per chunk of passes.

A chunk is sized to about one frame of work (1 / frame_rate seconds), measured as it goes, so at speed `max`
the session trains on the engine's fast path with a frame (new metrics points, the state, the decision
boundary) about `frame_rate` times a second. At a finite speed of v passes per second, frames come every
max(1 / frame_rate, 1 / v) seconds and carry the passes due by then (monotonic time; a machine too slow for
the speed runs flat out without piling up a debt). Play stops on pause, divergence, reset, step and back
(they pause first), when the last client leaves, and when the session is deleted (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import anyio.to_thread

from app.jobs import next_chunk

if TYPE_CHECKING:
    from app.hub import Hub

log = logging.getLogger(__name__)


class Player:
    """The play loop of one session (a task of its hub); `speed` None means as fast as possible."""

    def __init__(self, hub: Hub, speed: float | None) -> None:
        self.hub = hub
        self.speed = speed
        self.frames = 0
        self.passes = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = self.hub.spawn(self._run())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop after the chunk in progress (at most about one frame of work) and wait until it has."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    # -- the loop ---------------------------------------------------------------------------------------
    async def _run(self) -> None:
        hub = self.hub
        frame = 1.0 / hub.settings.frame_rate
        chunk = 1  # passes that take about one frame of work; adapted after every chunk
        speed = self.speed
        anchor, due_base = time.monotonic(), 0.0  # finite speed: passes due = speed × (now − anchor) + due_base
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                if self.speed != speed:  # changed while playing: pace from now
                    speed, anchor, due_base = self.speed, started, 0.0
                if speed is None:
                    n = chunk
                else:
                    due = speed * (started - anchor) + due_base + 1.0  # the first pass right away
                    n = min(int(due), chunk)
                    if due - n > chunk:  # too slow for this speed: run flat out, forget the debt
                        anchor, due_base = started, 0.0
                    else:
                        due_base -= n
                if n > 0:
                    ran, elapsed, diverged = await anyio.to_thread.run_sync(self._frame, n)
                    self.frames += 1
                    self.passes += ran
                    if diverged or hub.session.playing is False:
                        return
                    chunk = next_chunk(n, elapsed, target=frame) if ran else chunk
                if speed is not None:
                    interval = max(frame, 1.0 / speed)
                    delay = started + interval - time.monotonic()
                    if delay > 0:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._stop.wait(), timeout=delay)
        except Exception:
            log.exception("play mode failed on session %s", hub.session.id)
        finally:
            await anyio.to_thread.run_sync(self._stopped)
            if hub.player is self:
                hub.player = None

    def _frame(self, n: int) -> tuple[int, float, bool]:
        """Train `n` passes and publish the frame (worker thread; the session lock covers both, so the frame
        shows exactly the state after the chunk). Returns (passes run, seconds spent training, diverged)."""
        hub = self.hub
        session = hub.session
        with session.lock:
            if not session.playing:  # stopped from elsewhere (REST job refused, session reset by hand…)
                return 0, 0.0, False
            started = time.perf_counter()
            result = session.train_chunk(n)
            elapsed = time.perf_counter() - started
            if result.diverged is None:
                hub.publish_threadsafe(hub.collect(boundary=True))
                return result.passes, elapsed, False
            session.playing = False
            session.speed = None
            hub.publish_threadsafe(hub.collect_diverged(result.diverged))
            return result.passes, elapsed, True

    def _stopped(self) -> None:
        session = self.hub.session
        with session.lock:
            session.playing = False
            session.speed = None
