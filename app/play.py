"""Play mode: the server trains a session at the requested speed and streams its frames.

A `Player` has no thread of its own: it is a task of the app's training scheduler (app/scheduler.py), which runs
its slices in turn with every other playing session and training job on a small fixed pool of threads. A slice is
a chunk of the fast path sized to about `slice_seconds` of work (measured as it goes; the scheduler's 10 ms, or
one frame, 1 / frame_rate, when no slice is given); a frame (new metrics points and the state) goes out after a
slice when one is due, at most `frame_rate` times a second, and carries every point trained since the last one
(none is lost: the hub's metrics cursor only moves when a frame is collected). The decision boundary, the costliest
part of a frame, rides along at most `BOUNDARY_RATE` times a second, and only once the session has trained
TRAINING_PER_BOUNDARY times as long as the last boundary took to make and serialize: a boundary costs a session at
most about 1/100 of its own training, so thirty sessions sharing the training threads each refresh theirs about a
thirtieth as often as one alone, and their total throughput stays close to one session's. At a finite speed of v
passes per second, slices come every max(1 / frame_rate, 1 / v) seconds and carry the passes due by then (monotonic
time; a machine too slow for the speed runs flat out without piling up a debt); between them the player waits off
the queue.
Play stops on pause, divergence, reset, step and back (they pause first), when the last client that may change the
session leaves, and when the session is deleted (docs/protocol.md); a stop takes effect after the slice in progress.

The player knows nothing of sessions or clients: its owner hands it three callbacks — train a chunk (and publish
its frame when asked), publish the end, and hear (in the event loop) that play is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.jobs import next_chunk
from app.scheduler import Scheduler
from app.training_share import TrainingShare

log = logging.getLogger(__name__)

BOUNDARY_RATE = 10.0  # play frames with a fresh decision boundary, at most per second
TRAINING_PER_BOUNDARY = 100.0  # seconds of training between two boundaries, per second a boundary took


@dataclass(frozen=True)
class Chunk:
    """What one chunk of play did: passes trained, seconds the training took, whether it diverged (which ends
    play: the owner has published the divergence and taken the session out of play), and the seconds its frame's
    decision boundary took to make and serialize (0 without one)."""

    passes: int
    seconds: float
    diverged: bool = False
    boundary_seconds: float = 0.0


# Train `passes` passes, under the session lock, and publish a frame if `frame` (a divergence is published
# always); `boundary` says whether the frame carries the decision boundary. None: the session is no longer playing
# (stopped from elsewhere), nothing was trained.
TrainChunk = Callable[[int, bool, bool], Chunk | None]
# Play is over (in a training thread): take the session out of play; `stopped` is True when it was asked to stop,
# False when it ended by itself (divergence, stopped from elsewhere, a failure).
EndPlay = Callable[[bool], None]


class Player:
    """The play task of one session; `speed` None means as fast as possible. Made and stopped in the event loop;
    `speed` may be changed while it runs; `chunk` is the passes per slice, as last measured (the next play starts
    from it)."""

    def __init__(
        self,
        speed: float | None,
        *,
        frame_rate: float,
        chunk: int,
        train: TrainChunk,
        end: EndPlay,
        finished: Callable[[Player], None],
        scheduler: Scheduler,
        slice_seconds: float | None = None,
        name: str = "play",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.speed = speed
        self.name = name
        self.frame = 1.0 / frame_rate  # the shortest time between frames
        self.slice = self.frame if slice_seconds is None else min(slice_seconds, self.frame)
        self.chunk = chunk
        self.frames = 0
        self.passes = 0
        self.finished = False  # play has ended (stopped, diverged or failed)
        self._train = train
        self._end = end
        self._on_finished = finished
        self._scheduler = scheduler
        self._clock = clock
        self._stop = threading.Event()
        self._every_slice = self.slice >= self.frame  # a frame after every slice (no frame pacing needed)
        self._frame_due = -float("inf")
        self._boundary_due = -float("inf")  # when the next frame carries the boundary (the first one does)
        self._boundary_share = TrainingShare(TRAINING_PER_BOUNDARY)  # a frame's boundary, paid by training
        self._pace: tuple[float | None, float, float] | None = None  # speed, anchor, due_base (finite speeds)
        self._loop = asyncio.get_running_loop()
        self._done: asyncio.Future[None] = self._loop.create_future()

    def start(self) -> None:
        self._scheduler.add(self)

    async def stop(self) -> None:
        """Stop after the slice in progress (at most about one slice of work) and wait until it has."""
        self._stop.set()
        self._scheduler.wake(self)
        await self.ended()

    async def ended(self) -> None:
        """Wait until play is over and its owner has heard so, without asking it to stop."""
        await asyncio.shield(self._done)

    # -- a slice (a training thread) ----------------------------------------------------------------------
    def run_slice(self) -> float | None:
        """Train one chunk (as fast as possible, or the passes due at `speed`) and say when to run again."""
        try:
            return self._slice()
        except Exception:
            log.exception("play mode failed (%s)", self.name)
            return self._over()

    def _slice(self) -> float | None:
        if self._stop.is_set():
            return self._over()
        started = self._clock()
        if self._pace is None or self._pace[0] != self.speed:  # the first slice, or the speed changed: pace from now
            self._pace = (self.speed, started, 0.0)
        speed, anchor, due_base = self._pace
        if speed is None:
            n = self.chunk
        else:
            due = speed * (started - anchor) + due_base + 1.0  # the first pass right away
            n = min(int(due), self.chunk)
            if due - n > self.chunk:  # too slow for this speed: run flat out, forget the debt
                self._pace = (speed, started, 0.0)
            else:
                self._pace = (speed, anchor, due_base - n)
        if n > 0:
            frame = self._every_slice or started >= self._frame_due
            boundary = frame and started >= self._boundary_due and self._boundary_share.paid
            if boundary:
                self._boundary_due = started + 1.0 / BOUNDARY_RATE
            result = self._train(n, boundary, frame)
            if result is None:
                return self._over()
            self._boundary_share.earn(result.seconds)
            if boundary:
                self._boundary_share.spent(result.boundary_seconds)
            if frame:
                self.frames += 1
                self._frame_due = started + self.frame
            self.passes += result.passes
            if result.diverged:
                return self._over()
            if result.passes and n == self.chunk:  # a full chunk ran: a fair measure of what fits in a slice
                self.chunk = next_chunk(n, result.seconds, target=self.slice)
        if speed is None:
            return started  # again at once, behind the others
        return started + max(self.frame, 1.0 / speed)

    def _over(self) -> None:
        """Play is over: the owner takes the session out of play, then hears so in the event loop."""
        self.finished = True
        try:
            self._end(self._stop.is_set())
        except Exception:
            log.exception("play mode could not end cleanly (%s)", self.name)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is left to tell
            self._loop.call_soon_threadsafe(self._finish)
        return None

    def _finish(self) -> None:
        """In the event loop: tell the owner, then let `stop` and `ended` return."""
        try:
            self._on_finished(self)
        finally:
            if not self._done.done():
                self._done.set_result(None)
