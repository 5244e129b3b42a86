"""Background training jobs: each runs in its own thread and trains in chunks of about 50 ms.

A job takes the session lock only for one chunk at a time (`Session.train_chunk`), so GETs, WebSocket
commands and other sessions interleave with it. At most `max_concurrent_jobs` run at once (a semaphore; a
job over the cap is refused with 429). Progress listeners (`JobRunner.on_progress`) are called from the job's
thread at most ~10 times a second and once at the end; a listener must be quick and thread-safe (to reach an
event loop use `loop.call_soon_threadsafe` or `anyio.from_thread`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.config import Settings
from app.errors import Conflict, TooMany
from app.listeners import notify
from app.sessions import JobInfo, Session, new_id

log = logging.getLogger(__name__)

ProgressListener = Callable[[Session, JobInfo], None]

CHUNK_SECONDS = 0.05  # wall time one chunk aims for: short enough that others get the session lock often
PROGRESS_SECONDS = 0.1  # at most ~10 progress calls a second
MAX_CHUNK_PASSES = 1_000_000
KEEP_FINISHED_JOBS = 20  # per session, for GET /jobs/{id} after the fact
CANCEL_WAIT_SECONDS = 10.0


def next_chunk(passes: int, elapsed: float, target: float = CHUNK_SECONDS) -> int:
    """Passes for the next chunk so that it takes about `target` seconds, growing at most 4× at a time."""
    if elapsed <= 0:
        return min(passes * 4, MAX_CHUNK_PASSES)
    ideal = int(passes * target / elapsed)
    return max(1, min(ideal, passes * 4, MAX_CHUNK_PASSES))


class JobRunner:
    """Starts, tracks and cancels training jobs; one per app (`app.state.jobs`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.on_progress: list[ProgressListener] = []
        self._slots = threading.BoundedSemaphore(settings.max_concurrent_jobs)
        self._threads: dict[str, tuple[JobInfo, threading.Thread]] = {}
        self._lock = threading.Lock()
        self._closing = False

    @property
    def running(self) -> int:
        """Jobs whose thread is still alive."""
        with self._lock:
            return len(self._threads)

    # -- starting ---------------------------------------------------------------------------------------
    def start(self, session: Session, passes: int) -> JobInfo:
        """Start training `passes` passes on `session` in the background; 409 if it is busy, 429 at the cap."""
        if not self._slots.acquire(blocking=False):
            raise TooMany(
                f"{self.settings.max_concurrent_jobs} training jobs are already running (the limit, "
                "BACKPROP_VIZ_MAX_CONCURRENT_JOBS); wait for one to finish or cancel one",
            )
        try:
            with session.lock:
                if session.job is not None and session.job.status == "running":
                    raise Conflict(
                        f"training job {session.job.id} is already running on this session; wait for it or "
                        f"cancel it with DELETE /api/sessions/{session.id}/jobs/{session.job.id}"
                    )
                if session.playing:
                    raise Conflict("the session is playing; pause it before you start a training job")
                job = JobInfo(new_id(), total=passes)
                session.job = job
                session.jobs[job.id] = job
                self._prune(session)
                session.touch()
            thread = threading.Thread(target=self._run, args=(session, job), name=f"job-{job.id[:8]}", daemon=True)
            with self._lock:
                self._threads[job.id] = (job, thread)
            thread.start()
        except BaseException:
            self._slots.release()
            raise
        return job

    @staticmethod
    def _prune(session: Session) -> None:
        finished = [j for j in session.jobs.values() if j.status != "running"]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED_JOBS)]:
            del session.jobs[job.id]

    # -- running ----------------------------------------------------------------------------------------
    def _run(self, session: Session, job: JobInfo) -> None:
        chunk = 1
        last_report = time.monotonic()
        try:
            while True:
                # One hold of the lock for the chunk and its count: a checkpoint never sees one without the other.
                # The lock is fair, so a command waiting for the session gets it between two chunks.
                with session.lock:
                    if job.done >= job.total:
                        job.status = "done"
                        break
                    if job.cancel.is_set():
                        job.status = "interrupted" if self._closing else "cancelled"
                        break
                    n = min(chunk, job.total - job.done)
                    started = time.perf_counter()
                    result = session.train_chunk(n)
                    elapsed = time.perf_counter() - started
                    job.done += result.passes
                    losses = session.trainer.metrics.batch_loss.y
                    if losses:
                        job.loss = losses[-1]
                    if result.diverged is not None:
                        job.status = "failed"
                        job.message = result.diverged.message
                        break
                chunk = next_chunk(n, elapsed)
                now = time.monotonic()
                if now - last_report >= PROGRESS_SECONDS:
                    last_report = now
                    self._notify(session, job)
        except Exception as exc:
            log.exception("training job %s on session %s failed", job.id, session.id)
            with session.lock:
                job.status = "failed"
                job.message = f"training stopped by an unexpected error ({type(exc).__name__}); see the server log"
        finally:
            session.touch()
            with self._lock:
                self._threads.pop(job.id, None)
            self._slots.release()
            self._notify(session, job)

    def _notify(self, session: Session, job: JobInfo) -> None:
        notify(self.on_progress, "job progress", session, job)

    # -- cancelling -------------------------------------------------------------------------------------
    def cancel(self, session: Session, job: JobInfo, wait: float = CANCEL_WAIT_SECONDS) -> JobInfo:
        """Ask a running job to stop after its current chunk and wait (up to `wait` s) until it has."""
        job.cancel.set()
        with self._lock:
            entry = self._threads.get(job.id)
        if entry is not None and entry[1] is not threading.current_thread():
            entry[1].join(wait)
        return job

    def cancel_session(self, session: Session) -> None:
        """Stop the session's running job, if any (before it is deleted)."""
        with session.lock:
            job = session.job
        if job is not None and job.status == "running":
            self.cancel(session, job)

    def shutdown(self, wait: float = CANCEL_WAIT_SECONDS) -> None:
        """Stop every job (their status becomes `interrupted`) and wait for their threads."""
        self._closing = True
        with self._lock:
            running = list(self._threads.values())
        for job, _thread in running:
            job.cancel.set()
        deadline = time.monotonic() + wait
        for _job, thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
