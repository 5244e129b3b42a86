"""Sessions and uploaded data sets survive restarts: this keeps the registry and the SQLite store in step.

When a session is saved — always by the flusher task, never on a command's answer path (a command answers first;
its checkpoint follows within a fraction of a second, so kill -9 loses at most the last
BACKPROP_VIZ_CHECKPOINT_SECONDS of work, default 1 s, and never leaves a half-written row: each save is one SQLite
transaction):
- when it is created (before the creation is answered: its data set must be kept with it);
- in stepping mode (not playing, no job running), at the flusher's next look after a change (every FLUSH_INTERVAL,
  or the checkpoint interval if shorter): a burst of commands between two looks is written once;
- while it plays or trains, at most every BACKPROP_VIZ_CHECKPOINT_SECONDS, taking the session's lock between two
  chunks, so weights, counters and job progress agree;
- when play pauses or a job ends (the flusher sees a changed, idle session at its next look), and at shutdown
  (after the jobs have stopped and been marked interrupted).
A session's loss history is kept apart and written as it grows: a checkpoint appends the points since the last one
(app/savedseries.py), so its cost does not grow with how long the session has trained. A large session is
rate-limited: after writing B bytes it is not written again for B /
BACKPROP_VIZ_CHECKPOINT_BYTES_PER_SECOND seconds (a 500 MB checkpoint at most once a minute at 8 MiB/s);
meanwhile its changes wait for the flusher. Sessions whose checkpoint is under SMALL_CHECKPOINT_BYTES (every
network that can be stepped phase by phase) are never held back.

With several workers (`--workers N`) they share the one database: each restores only the sessions and data sets
whose ids it owns (app/shards.py), and writes only those.

At start-up every kept session is rebuilt from its export document (the same validation an import gets). A
session that was playing comes back paused at its last checkpoint; a job that was running comes back as
`interrupted`, with the passes it had done. A row that does not rebuild is left out and logged, never served.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from app import schemas
from app.config import Settings
from app.errors import AppError
from app.jobs import JobInfo
from app.lessons.models import Lesson
from app.registry import SessionRegistry, StoredDataset
from app.savedseries import SavedSeries
from app.sessions import Session
from app.shards import owner
from app.store import Store, StoredDatasetRow, StoredSeries
from engine.datasets import CsvLimits, DatasetError, parse_csv

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.2  # seconds between the flusher's looks at the sessions
SMALL_CHECKPOINT_BYTES = 1024 * 1024  # checkpoints smaller than this are written whenever they are due


def _job_to_dict(job: JobInfo) -> dict[str, Any]:
    return {
        "id": job.id,
        "total": job.total,
        "status": job.status,
        "done": job.done,
        "loss": job.loss,
        "message": job.message,
    }


def _job_from_dict(doc: dict[str, Any]) -> JobInfo:
    job = JobInfo(str(doc["id"]), total=int(doc["total"]))
    job.done = int(doc["done"])
    job.loss = None if doc.get("loss") is None else float(doc["loss"])
    job.message = doc.get("message")
    job.status = str(doc["status"])
    if job.status == "running":
        job.status = "interrupted"
        job.message = (
            f"the server stopped after {job.done:,} of {job.total:,} passes; the session kept them. "
            "Start a new job to train the rest"
        )
    return job


class Persistence:
    """Saves and restores the sessions and data sets of one app (`app.state.persistence`)."""

    def __init__(
        self, settings: Settings, registry: SessionRegistry, lessons: Mapping[str, Lesson] | None = None
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.lessons = lessons or {}  # to put a session back in its lesson
        self.store = Store(settings.data_dir)
        self.restored_sessions = 0
        self.restored_datasets = 0
        self.skipped: list[str] = []  # what could not be restored, and why
        self.last_error: str | None = None
        self.saves = 0
        # session id -> fingerprint of what was saved last, when, and its bytes; a session here has its data set in
        # the database
        self._saved: dict[str, tuple[Any, float, int]] = {}
        self._data_saved: dict[str, int] = {}  # each session's data_revision as last written (its data set)
        # session id -> the generation (rebuilds in place) whose data set the database holds
        self._saved_generation: dict[str, int] = {}
        self.series = SavedSeries()  # which points of each session's loss history the database holds
        self._lock = threading.Lock()
        registry.on_add.append(self._session_added)
        registry.on_remove.append(self._session_removed)
        registry.on_dataset.append(self._dataset_changed)

    # -- start-up ---------------------------------------------------------------------------------------
    def owns(self, identifier: str) -> bool:
        """Whether this process keeps `identifier` (always, but for a worker among several)."""
        shard = self.settings.shard
        return shard is None or owner(identifier, self.settings.workers) == shard

    def restore(self) -> None:
        """Put every kept data set and session back in the registry."""
        limits = CsvLimits(max_rows=self.settings.max_upload_rows, max_columns=self.settings.max_upload_columns)
        for row in self.store.datasets():
            if not self.owns(row.id):
                continue
            try:
                table = parse_csv(
                    row.source,
                    target=row.target,
                    task=row.task,
                    name=row.filename,
                    limits=limits,
                    image_shape=row.image_shape,
                )
            except DatasetError as exc:
                self._skip(f"data set {row.id} ({row.filename}): {exc.message}")
                continue
            self.registry.add_dataset(
                table,
                row.filename,
                source=row.source,
                target=row.target,
                task=row.task,
                image_shape=row.image_shape,
                dataset_id=row.id,
                created=row.created,
                notify=False,
            )
            self.restored_datasets += 1
        for session_id in self.store.session_ids():
            if not self.owns(session_id):
                continue
            try:
                stored = self.store.load_session(session_id)
                doc = {**stored.state, "dataset": stored.dataset}
                from_blocks = put_history_back(doc, stored.series)
                session = Session.from_export(
                    doc, self.settings, session_id=session_id, lessons=self.lessons, unknown_lesson="drop"
                )
                jobs = [_job_from_dict(j) for j in stored.jobs]
            except (AppError, ValueError, KeyError, TypeError) as exc:
                reason = exc.message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
                self._skip(f"session {session_id}: {reason}")
                continue
            session.created = stored.created
            self.series.read(session_id, session.trainer.metrics, {n: stored.series[n].starts for n in from_blocks})
            session.jobs = {job.id: job for job in jobs}
            session.job = jobs[-1] if jobs else None
            self.registry.restore(session)
            self._remember(session)
            if any(j.get("status") == "running" for j in stored.jobs):
                self.save(session)  # the interruption is now the kept state too
            self.restored_sessions += 1
        if self.restored_sessions or self.restored_datasets:
            log.info(
                "restored %d sessions and %d data sets from %s",
                self.restored_sessions,
                self.restored_datasets,
                self.store.path,
            )

    def _skip(self, what: str) -> None:
        self.skipped.append(what)
        log.error("not restored from %s: %s", self.store.path, what)

    # -- saving -----------------------------------------------------------------------------------------
    @staticmethod
    def _fingerprint(session: Session) -> Any:
        return (session.revision, tuple((j.id, j.status, j.done) for j in session.jobs.values()))

    def _remember(self, session: Session) -> None:
        with self._lock:
            self._saved[session.id] = (self._fingerprint(session), time.monotonic(), 0)
            self._data_saved[session.id] = session.data_revision
            self._saved_generation[session.id] = session.generation

    def save(self, session: Session) -> bool:
        """Write the session as it is now (takes its lock); False (and logged) if the write failed."""
        with session.lock:
            if self.registry.get_quietly(session.id) is not session:
                return False  # deleted meanwhile: do not bring it back
            fingerprint = self._fingerprint(session)
            with self._lock:  # the data set is written once, and again when a rebuild or an added example changed it
                first = (
                    self._saved_generation.get(session.id) != session.generation
                    or self._data_saved.get(session.id) != session.data_revision
                )
            state = session.export(include_dataset=first, include_history=False)
            dataset = state.pop("dataset", None)
            jobs = [_job_to_dict(job) for job in session.jobs.values()]
            history = session.trainer.metrics
            series = self.series.writes(session.id, history)  # only the points the store does not hold yet
            try:
                written = self.store.save_session(session.id, state, jobs, session.created, dataset, series)
            except Exception as exc:  # StoreError, sqlite3.Error, OSError: the server goes on, the log says why
                self._failed(f"saving session {session.id}", exc)
                return False
            self.series.written(session.id, history, series)
            self.saves += 1
            self.last_error = None
            with self._lock:
                self._saved[session.id] = (fingerprint, time.monotonic(), written)
                self._data_saved[session.id] = session.data_revision
                self._saved_generation[session.id] = session.generation
        return True

    def _failed(self, what: str, exc: Exception) -> None:
        self.last_error = f"{what} failed: {type(exc).__name__}: {exc}"
        log.error("%s in %s", self.last_error, self.store.path)

    def _idle(self, session: Session) -> bool:
        return not session.playing and not (session.job is not None and session.job.status == "running")

    def due(self, session: Session, now: float) -> bool:
        """Whether `session` should be saved now: changed since its last save, and idle (play paused, job ended)
        or last saved a checkpoint interval ago — and, if its last checkpoint was large, not before its size
        over BACKPROP_VIZ_CHECKPOINT_BYTES_PER_SECOND has passed."""
        with self._lock:
            saved = self._saved.get(session.id)
        if saved is None:
            return True
        fingerprint, when, written = saved
        if fingerprint == self._fingerprint(session):
            return False
        spacing = self.spacing(written)
        if self._idle(session):
            return now - when >= spacing
        return now - when >= max(self.settings.checkpoint_seconds, spacing)

    def spacing(self, written: int) -> float:
        """Seconds a session must wait after a checkpoint of `written` bytes before the next one."""
        if written < SMALL_CHECKPOINT_BYTES:
            return 0.0
        return written / self.settings.checkpoint_bytes_per_second

    def flush(self, everything: bool = False) -> int:
        """Save the sessions that are due (all changed ones if `everything`); returns how many were saved."""
        now = time.monotonic()
        saved = 0
        for session in list(self.registry):
            if everything or self.due(session, now):
                with self._lock:
                    previous = self._saved.get(session.id)
                if everything and previous is not None and previous[0] == self._fingerprint(session):
                    continue
                saved += self.save(session)
        return saved

    async def flush_periodically(self) -> None:
        """The flusher: every FLUSH_INTERVAL (or the checkpoint interval if shorter), until cancelled."""
        interval = min(FLUSH_INTERVAL, self.settings.checkpoint_seconds)
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.flush)
            except Exception:
                log.exception("saving sessions failed")

    def close(self) -> None:
        """At shutdown, after the jobs stopped: save what changed, fold the log into the file, close it."""
        try:
            self.flush(everything=True)
            self.store.checkpoint_wal()
        finally:
            self.store.close()

    # -- registry listeners -----------------------------------------------------------------------------
    def _session_added(self, session: Session) -> None:
        self.save(session)

    def _session_removed(self, session: Session, reason: str) -> None:
        with self._lock:
            self._saved.pop(session.id, None)
            self._data_saved.pop(session.id, None)
            self._saved_generation.pop(session.id, None)
        self.series.forget(session.id)
        with session.lock:  # after a save in progress, never before it (that would bring the session back)
            try:
                self.store.delete_session(session.id)
            except Exception as exc:
                self._failed(f"deleting session {session.id}", exc)

    def _dataset_changed(self, stored: StoredDataset, added: bool) -> None:
        try:
            if added:
                self.store.save_dataset(
                    StoredDatasetRow(
                        stored.id,
                        stored.filename,
                        stored.target,
                        stored.task,
                        stored.source,
                        stored.created,
                        stored.image_shape,
                    )
                )
            else:
                self.store.delete_dataset(stored.id)
        except Exception as exc:
            self._failed(f"{'saving' if added else 'deleting'} data set {stored.id}", exc)

    # -- health -----------------------------------------------------------------------------------------
    def health(self, where: bool = False) -> schemas.StorageHealth:
        """What /api/health tells of the store: whether it works; where its files are only when `where` (the
        request presented the access token), so that an unauthenticated probe does not learn the server's paths."""
        moved = self.store.moved_aside
        return schemas.StorageHealth(
            enabled=True,
            ok=self.last_error is None,
            database=str(self.store.path) if where else None,
            restored_sessions=self.restored_sessions,
            restored_datasets=self.restored_datasets,
            not_restored=len(self.skipped),
            moved_aside=(str(moved) if where else "(moved aside; see the server log)") if moved is not None else None,
            problem=self.store.problem,
            last_error=self.last_error if where or self.last_error is None else _without_paths(self.last_error),
        )


def put_history_back(doc: dict[str, Any], series: Mapping[str, StoredSeries]) -> list[str]:
    """The loss history the store keeps apart, back in the document's metrics (whose series were written without
    their points; a row written before the history was kept apart has them inline, and no blocks: then, and for
    blocks beside inline points — left by a downgrade — the inline points count). Answers the series filled."""
    trainer = doc.get("trainer")
    metrics = trainer.get("metrics") if isinstance(trainer, dict) else None
    if not isinstance(metrics, dict):
        return []
    filled = []
    for name, kept in series.items():
        target = metrics.get(name)
        if isinstance(target, dict) and not target.get("x"):
            target["x"], target["y"] = kept.x, kept.y
            filled.append(name)
    return filled


def _without_paths(message: str) -> str:
    """A failure as its kind only (an OSError's text names the file): 'saving session … failed: OSError'."""
    head, _, rest = message.partition(": ")
    kind = rest.split(":", 1)[0]
    return f"{head}: {kind} (the server log has the details)"
