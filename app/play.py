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

The player knows nothing of sessions or clients: its owner hands it three callbacks — train a chunk and publish
its frame, publish the end, and hear (in the event loop) that the loop is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.jobs import lower_priority, next_chunk

log = logging.getLogger(__name__)

BOUNDARY_RATE = 10.0  # play frames with a fresh decision boundary, at most per second


@dataclass(frozen=True)
class Chunk:
    """What one chunk of play did: passes trained, seconds the training took, and whether it diverged (which
    ends play: the owner has published the divergence and taken the session out of play)."""

    passes: int
    seconds: float
    diverged: bool = False


# Train `passes` passes and publish the frame, under the session lock; `boundary` says whether the frame carries
# the decision boundary. None: the session is no longer playing (stopped from elsewhere), nothing was trained.
TrainChunk = Callable[[int, bool], Chunk | None]
# The loop is over (in its thread): take the session out of play; `stopped` is True when it was asked to stop,
# False when it ended by itself (divergence, stopped from elsewhere, a failure).
EndPlay = Callable[[bool], None]


class Player:
    """The play loop of one session; `speed` None means as fast as possible. Made and stopped in the event loop;
    `speed` may be changed while it runs; `chunk` is the passes per frame, as last measured (the next play
    starts from it)."""

    def __init__(
        self,
        speed: float | None,
        *,
        frame_rate: float,
        chunk: int,
        train: TrainChunk,
        end: EndPlay,
        finished: Callable[[Player], None],
        name: str = "play",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.speed = speed
        self.frame = 1.0 / frame_rate  # seconds of work one frame aims for, and the shortest time between frames
        self.chunk = chunk
        self.frames = 0
        self.passes = 0
        self.finished = False  # the loop has ended (stopped, diverged or failed)
        self._train = train
        self._end = end
        self._on_finished = finished
        self._clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait  # a pause between frames that a stop cuts short
        self._boundary_due = -float("inf")  # when the next frame carries the boundary (the first one does)
        self._loop = asyncio.get_running_loop()
        self._done: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def stop(self) -> None:
        """Stop after the chunk in progress (at most about one frame of work) and wait until it has."""
        self._stop.set()
        await self.ended()

    async def ended(self) -> None:
        """Wait until the loop is over and its owner has heard so, without asking it to stop."""
        await asyncio.shield(self._done)

    # -- the loop (its own thread) ----------------------------------------------------------------------
    def _run(self) -> None:
        lower_priority()
        try:
            self._play()
        except Exception:
            log.exception("play mode failed (%s)", self._thread.name)
        finally:
            self.finished = True
            try:
                self._end(self._stop.is_set())
            except Exception:
                log.exception("play mode could not end cleanly (%s)", self._thread.name)
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is left to tell
                self._loop.call_soon_threadsafe(self._finish)

    def _play(self) -> None:
        """Train chunk after chunk until stopped: as fast as possible, or paced to `speed` passes per second."""
        frame = self.frame
        speed = self.speed
        anchor, due_base = self._clock(), 0.0  # finite speed: passes due = speed × (now − anchor) + due_base
        while not self._stop.is_set():
            started = self._clock()
            if self.speed != speed:  # changed while playing: pace from now
                speed, anchor, due_base = self.speed, started, 0.0
            if speed is None:
                n = self.chunk
            else:
                due = speed * (started - anchor) + due_base + 1.0  # the first pass right away
                n = min(int(due), self.chunk)
                if due - n > self.chunk:  # too slow for this speed: run flat out, forget the debt
                    anchor, due_base = started, 0.0
                else:
                    due_base -= n
            if n > 0:
                boundary = started >= self._boundary_due
                if boundary:
                    self._boundary_due = started + 1.0 / BOUNDARY_RATE
                result = self._train(n, boundary)
                if result is None:
                    return
                self.frames += 1
                self.passes += result.passes
                if result.diverged:
                    return
                if result.passes and n == self.chunk:  # a full chunk ran: a fair measure of what fits in a frame
                    self.chunk = next_chunk(n, result.seconds, target=frame)
            if speed is not None:
                delay = started + max(frame, 1.0 / speed) - self._clock()
                if delay > 0:
                    self._sleep(delay)

    def _finish(self) -> None:
        """In the event loop: tell the owner, then let `stop` and `ended` return."""
        try:
            self._on_finished(self)
        finally:
            if not self._done.done():
                self._done.set_result(None)
