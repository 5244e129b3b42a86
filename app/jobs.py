"""Background training jobs: each is a task of the app's training scheduler (app/scheduler.py), which runs its
slices — chunks of about BACKPROP_VIZ_SLICE_SECONDS of work — in turn with play mode and the other jobs.

A job holds the session lock only for one chunk at a time (`Session.train_job_chunk`), so GETs, WebSocket
commands and other sessions interleave with it. At most `max_concurrent_jobs` run at once (a semaphore; a
job over the cap is refused with 429). Progress listeners (`JobRunner.on_progress`) are called from a training
thread at most ~10 times a second and once at the end; a listener must be quick and thread-safe (to reach an
event loop use `loop.call_soon_threadsafe` or `anyio.from_thread`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app import convert, schemas
from app.config import Settings
from app.errors import TooMany
from app.ids import new_id
from app.listeners import notify
from app.scheduler import Scheduler
from engine.training import RunResult

if TYPE_CHECKING:  # the runner only calls a session's methods; sessions hold JobInfo records at run time
    from app.sessions import Session

log = logging.getLogger(__name__)

ProgressListener = Callable[["Session", "JobInfo"], None]

CHUNK_SECONDS = 0.05  # wall time one chunk aims for: short enough that others get the session lock often
PROGRESS_SECONDS = 0.1  # at most ~10 progress calls a second
MAX_CHUNK_PASSES = 1_000_000
KEEP_FINISHED_JOBS = 20  # per session, for GET /jobs/{id} after the fact
CANCEL_WAIT_SECONDS = 10.0


@dataclass
class JobInfo:
    """A background training job's progress, as the job resource shows it. A session keeps its jobs' records;
    they change under the session's lock (`Session.start_job`, `train_job_chunk`, `end_job`)."""

    id: str
    total: int
    status: str = "running"
    done: int = 0
    loss: float | None = None
    started: float = field(default_factory=time.monotonic)
    message: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    # Set by the runner when the server shuts down: a job stopped then is `interrupted`, not `cancelled`.
    closing: threading.Event = field(default_factory=threading.Event)

    def ending(self) -> str | None:
        """The status the job ends with before its next chunk (done, cancelled, interrupted), or None to go on."""
        if self.done >= self.total:
            return "done"
        if self.cancel.is_set():
            return "interrupted" if self.closing.is_set() else "cancelled"
        return None

    def count(self, result: RunResult, loss: float | None) -> None:
        """Add a chunk's passes and its last batch loss; a diverged pass fails the job, naming the pass."""
        self.done += result.passes
        if loss is not None:
            self.loss = loss
        if result.diverged is not None:
            self.status = "failed"
            self.message = result.diverged.message

    def to_model(self) -> schemas.Job:
        eta = None
        if self.status == "running" and self.done > 0:
            elapsed = time.monotonic() - self.started
            eta = elapsed / self.done * (self.total - self.done)
        return schemas.Job(
            id=self.id,
            status=self.status,
            done=self.done,
            total=self.total,
            loss=convert.number(self.loss),
            eta_seconds=eta,
            message=self.message,
        )


TRAINING_NICENESS = 10  # training threads yield the CPU to the event loop when the machine is busy


def lower_priority() -> None:
    """Make the calling (training) thread nicer than the event loop's, where the OS allows it per thread (Linux):
    on a busy machine the loop — health checks, every WebSocket — gets the CPU first; on an idle one nothing
    changes."""
    with contextlib.suppress(AttributeError, OSError, PermissionError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICENESS)


def next_chunk(passes: int, elapsed: float, target: float = CHUNK_SECONDS) -> int:
    """Passes for the next chunk so that it takes about `target` seconds, growing at most 4× at a time."""
    if elapsed <= 0:
        return min(passes * 4, MAX_CHUNK_PASSES)
    ideal = int(passes * target / elapsed)
    return max(1, min(ideal, passes * 4, MAX_CHUNK_PASSES))


class _JobTask:
    """One job as a scheduler task: a chunk per slice until done, cancelled or failed."""

    def __init__(self, runner: JobRunner, session: Session, job: JobInfo) -> None:
        self.runner = runner
        self.session = session
        self.job = job
        self.name = f"job-{job.id[:8]}"
        self.chunk = 1
        self.last_report = time.monotonic()
        self.done = threading.Event()  # set once the job has ended and its slot is free
        self.thread: int | None = None  # the training thread running a slice now

    def run_slice(self) -> float | None:
        session, job = self.session, self.job
        self.thread = threading.get_ident()
        try:
            # The session's lock is fair, so a command waiting for the session gets it between two chunks.
            n = min(self.chunk, job.total - job.done)
            elapsed = session.train_job_chunk(job, n)
            if elapsed is None or job.status != "running":  # done, cancelled, or failed (diverged)
                return self._end()
            self.chunk = next_chunk(n, elapsed, target=self.runner.slice_seconds)
            now = time.monotonic()
            if now - self.last_report >= PROGRESS_SECONDS:
                self.last_report = now
                self.runner._notify(session, job)
            return now
        except Exception as exc:
            log.exception("training job %s on session %s failed", job.id, session.id)
            message = f"training stopped by an unexpected error ({type(exc).__name__}); see the server log"
            session.end_job(job, "failed", message)
            return self._end()
        finally:
            self.thread = None

    def _end(self) -> None:
        try:
            self.session.touch()
            self.runner._finished(self)
        finally:
            self.done.set()
        return None


class JobRunner:
    """Starts, tracks and cancels training jobs; one per app (`app.state.jobs`). Its scheduler (made here unless
    given) is the app's, shared with play mode."""

    def __init__(self, settings: Settings, scheduler: Scheduler | None = None) -> None:
        self.settings = settings
        self.scheduler = scheduler or Scheduler(settings.training_threads, on_thread_start=lower_priority)
        self.slice_seconds = settings.slice_seconds
        self.on_progress: list[ProgressListener] = []
        self._slots = threading.BoundedSemaphore(settings.max_concurrent_jobs)
        self._tasks: dict[str, _JobTask] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()  # shared with every job it starts (JobInfo.closing)

    @property
    def running(self) -> int:
        """Jobs that have not ended yet."""
        with self._lock:
            return len(self._tasks)

    # -- starting ---------------------------------------------------------------------------------------
    def start(self, session: Session, passes: int) -> JobInfo:
        """Start training `passes` passes on `session` in the background; 409 if it is busy, 429 at the cap."""
        if not self._slots.acquire(blocking=False):
            raise TooMany(
                f"{self.settings.max_concurrent_jobs} training jobs are already running (the limit, "
                "BACKPROP_VIZ_MAX_CONCURRENT_JOBS); wait for one to finish or cancel one",
            )
        job = JobInfo(new_id(), total=passes, closing=self._closing)
        try:
            session.start_job(job, keep_finished=KEEP_FINISHED_JOBS)
            task = _JobTask(self, session, job)
            with self._lock:
                self._tasks[job.id] = task
            self.scheduler.add(task)
        except BaseException:
            with self._lock:
                self._tasks.pop(job.id, None)
            self._slots.release()
            raise
        return job

    def _finished(self, task: _JobTask) -> None:
        """A job's task ended (a training thread): free its slot, tell the listeners."""
        with self._lock:
            self._tasks.pop(task.job.id, None)
        self._slots.release()
        self._notify(task.session, task.job)

    def _notify(self, session: Session, job: JobInfo) -> None:
        notify(self.on_progress, "job progress", session, job)

    # -- cancelling -------------------------------------------------------------------------------------
    def cancel(self, session: Session, job: JobInfo, wait: float = CANCEL_WAIT_SECONDS) -> JobInfo:
        """Ask a running job to stop after its current chunk and wait (up to `wait` s) until it has."""
        job.cancel.set()
        with self._lock:
            task = self._tasks.get(job.id)
        if task is not None:
            self.scheduler.wake(task)
            if task.thread != threading.get_ident():
                task.done.wait(wait)
        return job

    def cancel_session(self, session: Session) -> None:
        """Stop the session's running job, if any (before it is deleted)."""
        job = session.running_job()
        if job is not None:
            self.cancel(session, job)

    def shutdown(self, wait: float = CANCEL_WAIT_SECONDS) -> None:
        """Stop every job (their status becomes `interrupted`) and wait until they have, then the threads."""
        self._closing.set()
        with self._lock:
            running = list(self._tasks.values())
        for task in running:
            task.job.cancel.set()
            self.scheduler.wake(task)
        deadline = time.monotonic() + wait
        for task in running:
            task.done.wait(max(0.0, deadline - time.monotonic()))
        self.scheduler.close(max(0.0, deadline - time.monotonic()))
