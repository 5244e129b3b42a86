"""Play mode: the server trains a session at the requested speed and streams one frame per chunk of passes.

The loop runs in a thread of its own (not the event loop's worker pool, which it would hold for minutes), so
training goes on while the event loop sends frames. A chunk is sized to about one frame of work (1 / frame_rate
seconds), measured as it goes, so at speed `max` the session trains on the engine's fast path with a frame (new
metrics points and the state) about `frame_rate` times a second; the decision boundary, the costliest part of a
frame to compute and send, rides along at most `BOUNDARY_RATE` times a second. At a finite speed of v
passes per second, frames come every max(1 / frame_rate, 1 / v) seconds and carry the passes due by then
(monotonic time; a machine too slow for the speed runs flat out without piling up a debt).
Play stops on pause, divergence, reset, step and back (they pause first), when the last client leaves, and when
the session is deleted (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING

from app.jobs import next_chunk

if TYPE_CHECKING:
    from app.hub import Hub

log = logging.getLogger(__name__)

BOUNDARY_RATE = 10.0  # play frames with a fresh decision boundary, at most per second


class Player:
    """The play loop of one session; `speed` None means as fast as possible. Made and stopped by its hub, in the
    event loop; `speed` may be changed while it runs."""

    def __init__(self, hub: Hub, speed: float | None) -> None:
        self.hub = hub
        self.speed = speed
        self.frames = 0
        self.passes = 0
        self.finished = False  # the loop has ended (stopped, diverged or failed)
        self._boundary_due = 0.0  # monotonic time when the next frame carries the boundary
        self._stop = threading.Event()
        self._done: asyncio.Future[None] = hub.loop.create_future()
        self._thread = threading.Thread(target=self._run, name=f"play-{hub.session.id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def stop(self) -> None:
        """Stop after the chunk in progress (at most about one frame of work) and wait until it has."""
        self._stop.set()
        await asyncio.shield(self._done)

    # -- the loop (its own thread) ----------------------------------------------------------------------
    def _run(self) -> None:
        hub = self.hub
        frame = 1.0 / hub.settings.frame_rate
        chunk = hub.play_chunk  # passes that take about one frame of work: adapted after every chunk, kept
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
                    ran, elapsed, go_on = self._frame(n)
                    if not go_on:
                        return
                    if ran and n == chunk:  # a full chunk ran: a fair measure of what fits in a frame
                        chunk = hub.play_chunk = next_chunk(n, elapsed, target=frame)
                if speed is not None:
                    delay = started + max(frame, 1.0 / speed) - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
        except Exception:
            log.exception("play mode failed on session %s", hub.session.id)
        finally:
            with hub.session.lock:
                self.finished = True
                was_playing = hub.session.playing
                hub.session.playing = False
                hub.session.speed = None
                if was_playing and not self._stop.is_set():  # ended by itself: say so
                    hub.publish_threadsafe(hub.collect(ordered=True, boundary=True))
            hub.call_soon(self._finish)

    def _frame(self, n: int) -> tuple[int, float, bool]:
        """Train `n` passes and publish the frame; the session lock covers both, so the frame shows exactly the
        state after the chunk. Returns (passes run, seconds spent training, whether to go on)."""
        hub = self.hub
        session = hub.session
        with session.lock:
            if not session.playing:  # stopped from elsewhere
                return 0, 0.0, False
            started = time.perf_counter()
            result = session.train_chunk(n)
            elapsed = time.perf_counter() - started
            self.frames += 1
            self.passes += result.passes
            if result.diverged is None:
                now = time.monotonic()
                boundary = now >= self._boundary_due
                if boundary:
                    self._boundary_due = now + 1.0 / BOUNDARY_RATE
                hub.publish_threadsafe(hub.collect(visible=True, boundary=boundary))
                return result.passes, elapsed, True
            self.finished = True
            session.playing = False
            session.speed = None
            hub.publish_threadsafe(hub.collect_diverged(result.diverged))
            return result.passes, elapsed, False

    def _finish(self) -> None:
        if self.hub.player is self:
            self.hub.player = None
        if not self._done.done():
            self._done.set_result(None)
