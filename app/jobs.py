"""Background jobs: training and loss landscapes. A training job is a task of the app's training scheduler
(app/scheduler.py), which runs its slices — chunks of about BACKPROP_VIZ_SLICE_SECONDS of work — in turn with play
mode and the other jobs; a landscape job (one long computation on a copy of the network, no session lock) still
runs in a thread of its own.

A job holds the session lock only for one chunk at a time (`Session.train_job_chunk`), so GETs, WebSocket
commands and other sessions interleave with it. At most `max_concurrent_jobs` run at once (a semaphore; a
job over the cap is refused with 429). Progress listeners (`JobRunner.on_progress`) are called from the job's
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
from app.errors import InvalidInput, TooMany
from app.ids import new_id
from app.listeners import notify
from app.scheduler import Scheduler
from app.sessions import diagnosing
from engine.diagnostics import landscape as landscapes
from engine.diagnostics.stopping import StopRule, StopWatch
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
    """A background job's progress, as the job resource shows it. A session keeps its jobs' records; they change
    under the session's lock (`Session.start_job`, `train_job_chunk`, `end_job`, `finish_landscape`)."""

    id: str
    total: int
    kind: str = "training"  # or "landscape"
    unit: str = "passes"  # what a training job was asked for: "epochs" or "passes" (its stop_reason when done)
    status: str = "running"
    done: int = 0
    loss: float | None = None
    started: float = field(default_factory=time.monotonic)
    message: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    # Set by the runner when the server shuts down: a job stopped then is `interrupted`, not `cancelled`.
    closing: threading.Event = field(default_factory=threading.Event)
    stop: StopWatch | None = None  # a training job's stop conditions (Session.start_job makes it)
    stop_reason: str | None = None
    landscape: schemas.Landscape | None = None  # a finished landscape job's result

    def ending(self) -> str | None:
        """The status the job ends with before its next chunk (done, cancelled, interrupted), or None to go on."""
        if self.done >= self.total:
            return "done"
        if self.cancel.is_set():
            return "interrupted" if self.closing.is_set() else "cancelled"
        return None

    def count(self, result: RunResult, loss: float | None) -> None:
        """Add a chunk's passes and its last batch loss; a diverged pass fails the job, naming the pass; a met
        stop condition ends it."""
        self.done += result.passes
        if loss is not None:
            self.loss = loss
        if result.diverged is not None:
            self.status = "failed"
            self.stop_reason = "diverged"
            self.message = result.diverged.message
        elif self.stop is not None and self.stop.reason is not None:
            self.status = "done"
            self.stop_reason = self.stop.reason

    def finish(self, status: str) -> None:
        """End the job with `status`; a training job says why it stopped."""
        self.status = status
        if self.kind == "training" and self.stop_reason is None:
            self.stop_reason = {"done": self.unit, "cancelled": "cancelled", "interrupted": "cancelled"}.get(status)

    def to_model(self, with_result: bool = False) -> schemas.Job:
        eta = None
        if self.status == "running" and self.done > 0:
            elapsed = time.monotonic() - self.started
            eta = elapsed / self.done * (self.total - self.done)
        watch = self.stop
        patience = watch is not None and watch.rule.patience is not None and watch.best_pass is not None
        return schemas.Job(
            id=self.id,
            kind=self.kind,
            status=self.status,
            done=self.done,
            total=self.total,
            loss=convert.number(self.loss),
            eta_seconds=eta,
            message=self.message,
            stop_reason=self.stop_reason,
            best_pass=watch.best_pass if patience else None,
            best_loss=convert.number(watch.best_loss) if patience else None,
            landscape=self.landscape if with_result else None,
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
    """A job the runner tracks: its `done` event is set once it has ended and its slot is free. A training job is
    a scheduler task (`run_slice`: one chunk per slice); a landscape job runs in a thread of its own."""

    def __init__(self, runner: JobRunner, session: Session, job: JobInfo) -> None:
        self.runner = runner
        self.session = session
        self.job = job
        self.name = f"job-{job.id[:8]}"
        self.chunk = 1
        self.last_report = time.monotonic()
        self.done = threading.Event()
        self.thread: int | None = None  # the thread running it now (a training slice, or the landscape's)

    def run_slice(self) -> float | None:
        session, job = self.session, self.job
        self.thread = threading.get_ident()
        try:
            # The session's lock is fair, so a command waiting for the session gets it between two chunks.
            n = min(self.chunk, job.total - job.done)
            elapsed = session.train_job_chunk(job, n)
            if elapsed is None or job.status != "running":  # done, cancelled, stopped, or failed (diverged)
                return self.end()
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
            return self.end()
        finally:
            self.thread = None

    def end(self) -> None:
        try:
            self.session.touch()
            self.runner._finished(self)
        finally:
            self.done.set()
        return None


class JobRunner:
    """Starts, tracks and cancels jobs; one per app (`app.state.jobs`). Its scheduler (made here unless given) is
    the app's, shared with play mode."""

    def __init__(self, settings: Settings, scheduler: Scheduler | None = None) -> None:
        self.settings = settings
        self.scheduler = (
            scheduler if scheduler is not None else Scheduler(settings.training_threads, on_thread_start=lower_priority)
        )  # not `or`: a Scheduler with no tasks is falsy (len 0)
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
    def start(self, session: Session, passes: int, unit: str = "passes", stop: StopRule | None = None) -> JobInfo:
        """Start training `passes` passes on `session` in the background (asked for as `unit`: epochs or passes;
        `stop` may end it early); 409 if it is busy, 429 at the cap."""
        job = JobInfo(new_id(), total=passes, unit=unit, closing=self._closing)
        return self._launch(session, job, None, stop)

    def start_landscape(self, session: Session, request: schemas.LandscapeRequest) -> JobInfo:
        """Compute the loss landscape around `session`'s weights in the background (a job of kind "landscape");
        422 naming BACKPROP_VIZ_LANDSCAPE_MAX_WORK when it would cost more, 409 if busy, 429 at the cap."""
        cost = session.landscape_work(request)
        limit = self.settings.landscape_max_work
        if cost > limit:
            raise InvalidInput(
                f"a landscape of {request.resolution} × {request.resolution} points on this network costs about "
                f"{cost:.2e} multiply-adds; at most {limit:.2e} are allowed (BACKPROP_VIZ_LANDSCAPE_MAX_WORK). "
                "Ask for a lower resolution, or raise that limit",
                field="resolution",
            )
        total = request.resolution * request.resolution + request.resolution
        job = JobInfo(new_id(), total=total, kind="landscape", closing=self._closing)
        return self._launch(session, job, lambda s, j: self._run_landscape(s, j, request))

    def _launch(
        self,
        session: Session,
        job: JobInfo,
        run: Callable[[Session, JobInfo], None] | None,
        stop: StopRule | None = None,
    ) -> JobInfo:
        """Take a slot and start the job: on the scheduler (`run` None: training), or `run` in a thread."""
        if not self._slots.acquire(blocking=False):
            raise TooMany(
                f"{self.settings.max_concurrent_jobs} jobs are already running (the limit, "
                "BACKPROP_VIZ_MAX_CONCURRENT_JOBS); wait for one to finish or cancel one",
            )
        try:
            session.start_job(job, keep_finished=KEEP_FINISHED_JOBS, stop=stop)
            task = _JobTask(self, session, job)
            with self._lock:
                self._tasks[job.id] = task
            if run is None:
                self.scheduler.add(task)
            else:
                threading.Thread(target=self._in_thread, args=(task, run), name=task.name, daemon=True).start()
        except BaseException:
            with self._lock:
                self._tasks.pop(job.id, None)
            self._slots.release()
            raise
        return job

    @staticmethod
    def _in_thread(task: _JobTask, run: Callable[[Session, JobInfo], None]) -> None:
        task.thread = threading.get_ident()
        try:
            run(task.session, task.job)
        finally:
            task.done.set()

    def _finished(self, task: _JobTask) -> None:
        """A training job's task ended (a training thread): free its slot, tell the listeners."""
        with self._lock:
            self._tasks.pop(task.job.id, None)
        self._slots.release()
        self._notify(task.session, task.job)

    def _run_landscape(self, session: Session, job: JobInfo, request: schemas.LandscapeRequest) -> None:
        """The landscape, computed without the session's lock (on a copy of the network); progress after each row
        of the grid, a cancel honoured at the next grid point."""
        lower_priority()
        last_report = [time.monotonic()]

        def progress(done: int, total: int) -> None:
            session.landscape_progress(job, min(done, total - 1))  # the last point is counted when it is kept
            now = time.monotonic()
            if now - last_report[0] >= PROGRESS_SECONDS:
                last_report[0] = now
                self._notify(session, job)

        try:
            inputs = session.landscape_inputs()
            result = landscapes.compute(
                **inputs,
                resolution=request.resolution,
                span=request.span,
                seed=request.seed,
                progress=progress,
                should_stop=job.cancel.is_set,
            )
            session.finish_landscape(job, None if result is None else diagnosing.landscape(result, request))
        except Exception as exc:
            log.exception("landscape job %s on session %s failed", job.id, session.id)
            message = f"the landscape stopped by an unexpected error ({type(exc).__name__}); see the server log"
            session.end_job(job, "failed", message)
        finally:
            session.touch()
            with self._lock:
                self._tasks.pop(job.id, None)
            self._slots.release()
            self._notify(session, job)

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
