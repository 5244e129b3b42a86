"""Fair scheduling of training in one process: play mode and training jobs have no thread each; a small fixed pool
of training threads (BACKPROP_VIZ_TRAINING_THREADS, default 1) takes their slices in turn.

Why: with a thread per playing session, N CPU-bound threads take turns at the GIL with the event loop and with the
thread that runs a student's "Next phase", which then waits for all of them (seconds with 30 sessions playing).
Here the training threads are few, so interactive work always has a large share of the interpreter, and:

- **Slices.** A task (a `Player`, a job) runs one slice at a time — a chunk of passes sized to about
  BACKPROP_VIZ_SLICE_SECONDS (10 ms) of work — under its session's lock, then goes to the back of the queue. Every
  runnable task gets one slice per round, so every session playing at max gets the same share of the threads'
  time (round-robin), whatever its size; a task paced to a finite speed waits for its time off the queue.
- **Interactive work first.** Commands (WebSocket), snapshots for new clients and REST calls mark themselves
  `interactive()` while they run; a training thread starts no slice while any is marked, so such work waits for
  at most the slice in progress. So that training can never starve, a thread that has held back for
  MAX_YIELD_SECONDS runs one slice anyway.
- **Waking.** `wake(task)` (pause, cancel) moves a task to the front of the queue, so a stop takes effect within
  the slice in progress plus one slice.

A task's `run_slice()` runs one slice in a training thread and returns when it wants to run again (a monotonic
time; at or before now: at once, behind the others), or None when it is over. Tests drive a scheduler without
threads (`threads=0`) through `run_next()`, with a fake clock.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Protocol

log = logging.getLogger(__name__)

SLICE_SECONDS = 0.01  # the work one slice aims for (BACKPROP_VIZ_SLICE_SECONDS)
MAX_YIELD_SECONDS = 0.05  # a training thread holds back for interactive work at most this long at a time


class Task(Protocol):
    name: str

    def run_slice(self) -> float | None:
        """Run one slice (in a training thread); when to run next (monotonic time), or None when over."""
        ...


class _Entry:
    """A task's place in the scheduler: where it is (ready, sleeping, running) and when it is due."""

    __slots__ = ("due", "stamp", "task", "where", "woken")

    def __init__(self, task: Task) -> None:
        self.task = task
        self.where = "ready"
        self.due = 0.0
        self.stamp = 0  # the heap entry that is live (older ones are skipped)
        self.woken = False  # woken while running: back at the front as soon as its slice ends


class Scheduler:
    """Round-robin over training tasks with a fixed pool of threads, interactive work served first."""

    def __init__(
        self,
        threads: int = 1,
        *,
        max_yield: float = MAX_YIELD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        on_thread_start: Callable[[], object] | None = None,
    ) -> None:
        self.threads = threads
        self.max_yield = max_yield
        self._clock = clock
        self._sleep = sleep  # a fake clock's sleep (tests); None: wait on the condition
        self._on_thread_start = on_thread_start
        self._cond = threading.Condition(threading.Lock())
        self._ready: deque[_Entry] = deque()
        self._timers: list[tuple[float, int, _Entry]] = []
        self._entries: dict[int, _Entry] = {}  # id(task) → entry, while the scheduler has it
        self._stamps = itertools.count(1)
        self._interactive = 0
        self._closed = False
        self._workers: list[threading.Thread] = []
        self._held_since: float | None = None  # run_next's holding back for interactive work (no threads)
        self.slices = 0  # slices run (for tests and health)

    # -- tasks --------------------------------------------------------------------------------------------
    def add(self, task: Task) -> None:
        """Schedule a new task: it runs its first slice after the tasks already waiting (round-robin)."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the scheduler is closed")
            entry = _Entry(task)
            self._entries[id(task)] = entry
            self._ready.append(entry)
            self._cond.notify()
        self._start_workers()

    def wake(self, task: Task) -> None:
        """Run the task's next slice as soon as a thread is free, ahead of the others (a stop or a cancel)."""
        with self._cond:
            entry = self._entries.get(id(task))
            if entry is None:
                return
            if entry.where == "running":
                entry.woken = True
            elif entry.where == "sleeping":
                entry.stamp = 0  # its heap entry is dead now
                entry.where = "ready"
                self._ready.appendleft(entry)
            else:
                with contextlib.suppress(ValueError):
                    self._ready.remove(entry)
                self._ready.appendleft(entry)
            self._cond.notify()

    def __len__(self) -> int:
        with self._cond:
            return len(self._entries)

    # -- interactive work ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def interactive(self) -> Iterator[None]:
        """Mark interactive work in progress (any thread, the event loop's included): no slice starts meanwhile
        (for at most MAX_YIELD_SECONDS at a time)."""
        with self._cond:
            self._interactive += 1
        try:
            yield
        finally:
            with self._cond:
                self._interactive -= 1
                if self._interactive == 0:
                    self._cond.notify_all()

    @property
    def interactive_pending(self) -> int:
        with self._cond:
            return self._interactive

    # -- picking and running ------------------------------------------------------------------------------
    def _pick(self, now: float, held_since: float | None) -> _Entry | float | None:
        """Under the lock: the entry to run now; else the time to look again (a sleeper's due time, or the end of
        holding back for interactive work); None: nothing to do until woken."""
        self._promote(now)
        if self._ready and self._interactive and held_since is not None and now - held_since < self.max_yield:
            return held_since + self.max_yield
        if self._ready:
            entry = self._ready.popleft()
            entry.where = "running"
            entry.woken = False
            return entry
        return self._timers[0][0] if self._timers else None

    def _promote(self, now: float) -> None:
        """Under the lock: sleepers whose time has come join the queue (dead heap entries are dropped)."""
        while self._timers and (self._timers[0][0] <= now or self._timers[0][1] != self._timers[0][2].stamp):
            _due, stamp, entry = heapq.heappop(self._timers)
            if stamp == entry.stamp and entry.where == "sleeping":
                entry.where = "ready"
                self._ready.append(entry)

    def _put_back(self, entry: _Entry, due: float | None, now: float) -> None:
        """Under the lock: after a slice, the task goes to the back of the queue (behind the sleepers that came
        due during its slice), to sleep, or away."""
        self._promote(now)
        if due is None:
            self._entries.pop(id(entry.task), None)
            entry.where = "done"
            return
        if entry.woken or due <= now:
            entry.where = "ready"
            if entry.woken:
                self._ready.appendleft(entry)
            else:
                self._ready.append(entry)
        else:
            entry.where = "sleeping"
            entry.due = due
            entry.stamp = next(self._stamps)
            heapq.heappush(self._timers, (due, entry.stamp, entry))
        self._cond.notify()

    def _run(self, entry: _Entry) -> None:
        try:
            due = entry.task.run_slice()
        except Exception:  # a task's own failures are its business; this keeps the thread alive
            log.exception("training task %s failed", entry.task.name)
            due = None
        with self._cond:
            self.slices += 1
            self._put_back(entry, due, self._clock())

    def run_next(self) -> str | None:
        """Without threads (tests): run the next slice due now (holding back as a thread would), or sleep until one
        is due; the task's name, or None when there is nothing to run now."""
        with self._cond:
            now = self._clock()
            if not (self._interactive and self._ready):
                self._held_since = None
            elif self._held_since is None:
                self._held_since = now
            picked = self._pick(now, self._held_since)
            if isinstance(picked, _Entry):
                self._held_since = None
        if isinstance(picked, _Entry):
            self._run(picked)
            return picked.task.name
        if picked is not None and self._sleep is not None and not self._interactive:
            self._sleep(picked - now)
            return self.run_next()
        return None

    # -- threads ------------------------------------------------------------------------------------------
    def _start_workers(self) -> None:
        with self._cond:
            missing = self.threads - len(self._workers)
            for k in range(missing):
                worker = threading.Thread(target=self._work, name=f"training-{len(self._workers) + k}", daemon=True)
                self._workers.append(worker)
                worker.start()

    def _work(self) -> None:
        if self._on_thread_start is not None:
            self._on_thread_start()
        held_since: float | None = None
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    now = self._clock()
                    if self._interactive and held_since is None and self._ready:
                        held_since = now
                    picked = self._pick(now, held_since)
                    if isinstance(picked, _Entry):
                        break
                    if picked is not None and self._sleep is not None:
                        break  # a fake clock: sleep outside the lock
                    self._cond.wait(None if picked is None else max(0.0, picked - now))
            if not isinstance(picked, _Entry):
                assert self._sleep is not None and picked is not None
                self._sleep(max(0.0, picked - now))
                continue
            held_since = None
            self._run(picked)

    def close(self, wait: float = 5.0) -> None:
        """Stop the threads (after their slice in progress); tasks still scheduled are dropped."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            workers = list(self._workers)
        deadline = time.monotonic() + wait
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join(max(0.0, deadline - time.monotonic()))


class InteractiveRequests:
    """ASGI middleware: a REST call (`/api/…`) is interactive work while it runs, so no training slice starts
    meanwhile (for at most MAX_YIELD_SECONDS at a time). Reads and small bodies only (a command's JSON): an upload
    streaming megabytes for seconds is not a student waiting for an answer, and must not slow everyone's play."""

    def __init__(self, app: Callable, scheduler: Scheduler) -> None:
        self.app = app
        self.scheduler = scheduler

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/") or not _small(scope):
            await self.app(scope, receive, send)
            return
        with self.scheduler.interactive():
            await self.app(scope, receive, send)


SMALL_BODY_BYTES = 64 * 1024


def _small(scope: dict) -> bool:
    """A read, or a request whose declared body is small (no declared length: a stream, not small)."""
    if scope.get("method") in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return True
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return value.isdigit() and int(value) <= SMALL_BODY_BYTES
    return False
