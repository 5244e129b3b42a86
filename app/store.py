"""The SQLite file that keeps sessions and uploaded data sets across restarts (`<data_dir>/backprop-viz.db`).

It stores documents, not objects: a session is its export document (the trainer state, rewritten at every
checkpoint; its data set, written once; its loss history apart, in blocks appended as it grows: app/savedseries.py)
plus its jobs; a data set is the uploaded CSV's bytes with the options
it was parsed with. Write-ahead logging with `synchronous=NORMAL`: a checkpoint is one short transaction, and a
`kill -9` loses at most the transaction in flight, never the file.

A file that is not a database, is damaged, or belongs to another program is moved aside (renamed with a
timestamp, its -wal and -shm files with it) and reported in the log and in /api/health; a fresh database takes
its place. Nothing is deleted.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import chunkedjson

log = logging.getLogger(__name__)

APPLICATION = "backprop-viz"
SCHEMA_VERSION = 1
DB_NAME = "backprop-viz.db"
WAL_LIMIT_BYTES = 8 * 1024 * 1024  # the write-ahead log is cut back to this after a checkpoint folds it in
LARGE_WRITE_BYTES = 4 * 1024 * 1024  # after a write this large, fold the log in and give freed pages back

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,      -- the export document without its data set (JSON)
    dataset TEXT NOT NULL,    -- the session's own copy of its data (JSON), written once
    jobs TEXT NOT NULL,       -- the session's jobs, newest last (JSON list)
    created REAL NOT NULL,
    saved REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL,
    target TEXT,              -- as uploaded: a column name, or an index as JSON number; NULL for the default
    task TEXT NOT NULL,
    source BLOB NOT NULL,     -- the CSV bytes as uploaded
    created REAL NOT NULL,
    image_shape TEXT          -- "28,28" when uploaded as images; NULL otherwise
);
CREATE TABLE IF NOT EXISTS metrics_blocks (
    session_id TEXT NOT NULL,
    series TEXT NOT NULL,     -- a series of the session's loss history (batch_loss, epoch_index, train_loss, …)
    start INTEGER NOT NULL,   -- the index of the block's first point in the series
    points TEXT NOT NULL,     -- {"x": [...], "y": [...]} (JSON): the series' points from `start` on
    PRIMARY KEY (session_id, series, start)
);
CREATE TABLE IF NOT EXISTS watch_links (
    session_id TEXT PRIMARY KEY,  -- at most one link per session
    token TEXT NOT NULL UNIQUE
);
"""
# Columns added after a schema version was released, added in place to a database made before them (additive:
# a server that does not know them reads the rest as before).
_ADDED_COLUMNS = {"datasets": {"image_shape": "TEXT"}}


class StoreError(Exception):
    """The database cannot be opened or written (the message says which file and why)."""


@dataclass(frozen=True)
class SeriesWrite:
    """Points of one loss-history series for the store: the block `x`, `y` from index `start` on, appended to what
    it holds — or, with `replace`, replacing what it holds from `start` on (0: the whole series). app/savedseries.py
    decides which."""

    start: int
    x: list[int]
    y: list[float | None]
    replace: bool = False


@dataclass
class StoredSeries:
    """A series read back: its points, and where each block they were kept in begins."""

    x: list[int]
    y: list[float | None]
    starts: list[int]


@dataclass
class StoredSessionRow:
    id: str
    state: dict[str, Any]
    dataset: dict[str, Any]
    jobs: list[dict[str, Any]]
    created: float
    saved: float
    series: dict[str, StoredSeries] = field(default_factory=dict)  # the loss history kept apart (metrics_blocks)


@dataclass
class StoredDatasetRow:
    id: str
    filename: str
    target: str | int | None
    task: str
    source: bytes
    created: float
    image_shape: tuple[int, int] | None = None


class Store:
    """One SQLite database; every method is thread-safe (one connection behind a lock)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self.moved_aside: Path | None = None
        self.problem: str | None = None  # why the previous file was moved aside
        self._lock = threading.Lock()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {self.data_dir}: {exc.strerror or exc}") from exc
        problem = self._check_existing()
        if problem is not None:
            self.problem = problem
            self.moved_aside = self._move_aside()
            log.error(
                "the database %s %s; it was moved aside to %s and a new, empty one started",
                self.path,
                problem,
                self.moved_aside,
            )
        self._db = self._connect()

    # -- opening ----------------------------------------------------------------------------------------
    def _check_existing(self) -> str | None:
        """Why the existing file cannot be used (None if it is ours, intact, or absent)."""
        if not self.path.exists():
            return None
        if self.path.stat().st_size == 0:
            return None  # created but never written (e.g. killed at once): SQLite takes it as empty
        try:
            # Read-only: a read-write connection would fold (and on close delete) a -wal file left beside a damaged
            # database, losing what it holds before the file is moved aside.
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        except sqlite3.Error as exc:
            return f"cannot be opened ({exc})"
        try:
            check = db.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                return f"is damaged (SQLite's quick_check says: {check[0] if check else 'nothing'})"
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                return None
            if "meta" not in tables:
                return f"belongs to another program (its tables are {', '.join(sorted(tables))})"
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("application") != APPLICATION:
                return f"belongs to another program (application {meta.get('application')!r})"
            if meta.get("schema_version") != str(SCHEMA_VERSION):
                return f"has schema version {meta.get('schema_version')!r}; this server reads version {SCHEMA_VERSION}"
            return None
        except sqlite3.DatabaseError as exc:
            return f"is not a backprop-viz database ({exc})"
        finally:
            db.close()

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.broken-{stamp}-{n}")
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        return target

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # takes effect in a new file: freed pages can go back
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
            db.executescript(_SCHEMA)
            for table, columns in _ADDED_COLUMNS.items():
                present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for column, kind in columns.items():
                    if column not in present:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('application', ?)", (APPLICATION,))
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- sessions ---------------------------------------------------------------------------------------
    def save_session(
        self,
        session_id: str,
        state: dict[str, Any],
        jobs: list[dict[str, Any]],
        created: float,
        dataset: dict[str, Any] | None,
        series: Mapping[str, SeriesWrite] | None = None,
    ) -> int:
        """Insert or update a session, and write `series` (its loss history's new points, or a series whole) — in
        one transaction, so a kill -9 leaves the row and its history in step. `dataset` is needed only the first
        time (None keeps the stored one). Answers the bytes written. After a large write the log is folded into the
        file and the pages the old version held are given back, so rewriting a large session does not grow the
        files by its size each time (without this, a 10 MB state left 38 MB of files after five saves)."""
        state_json = chunkedjson.encode(state)  # piece by piece if large: it never holds the GIL for long
        jobs_json = json.dumps(jobs, separators=(",", ":"))
        dataset_json = None if dataset is None else chunkedjson.dumps(dataset)
        blocks = [
            (name, write, chunkedjson.encode({"x": write.x, "y": write.y}) if write.x else None)
            for name, write in (series or {}).items()
        ]
        written = len(state_json) + len(jobs_json) + len(dataset_json or "") + sum(len(b or "") for _, _, b in blocks)
        now = time.time()
        with self._lock:
            with self._transaction():
                if dataset_json is None:
                    cursor = self._db.execute(
                        "UPDATE sessions SET state = ?, jobs = ?, saved = ? WHERE id = ?",
                        (state_json, jobs_json, now, session_id),
                    )
                    if cursor.rowcount == 0:
                        raise StoreError(f"session {session_id} is not in the database yet: save it with its data set")
                else:
                    self._db.execute(
                        "INSERT INTO sessions (id, state, dataset, jobs, created, saved) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET state = excluded.state, dataset = excluded.dataset, "
                        "jobs = excluded.jobs, saved = excluded.saved",
                        (session_id, state_json, dataset_json, jobs_json, created, now),
                    )
                for name, write, points in blocks:
                    if write.replace:
                        self._db.execute(
                            "DELETE FROM metrics_blocks WHERE session_id = ? AND series = ? AND start >= ?",
                            (session_id, name, write.start),
                        )
                    if points is not None:
                        self._db.execute(
                            "INSERT OR REPLACE INTO metrics_blocks (session_id, series, start, points) "
                            "VALUES (?, ?, ?, ?)",
                            (session_id, name, write.start, points),
                        )
            if written >= LARGE_WRITE_BYTES:
                self._compact_locked()
        return written

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Everything written inside, or nothing (the connection autocommits otherwise); hold `_lock`."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _compact_locked(self) -> None:
        """Give the pages freed by a rewrite back and fold the log into the file (cut back to WAL_LIMIT_BYTES)."""
        self._db.executescript("PRAGMA incremental_vacuum;")  # runs it to the end (execute frees one page)
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def delete_session(self, session_id: str) -> None:
        """Forget a session, and its loss history and watch link with it."""
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            self._db.execute("DELETE FROM metrics_blocks WHERE session_id = ?", (session_id,))
            self._db.execute("DELETE FROM watch_links WHERE session_id = ?", (session_id,))

    # -- watch links (app/watch.py): kept so that a restart keeps the links a class was given -------------
    def save_watch_link(self, session_id: str, token: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO watch_links (session_id, token) VALUES (?, ?) "
                "ON CONFLICT (session_id) DO UPDATE SET token = excluded.token",
                (session_id, token),
            )

    def delete_watch_link(self, session_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM watch_links WHERE session_id = ?", (session_id,))

    def watch_links(self) -> list[tuple[str, str]]:
        """Every kept link as (session id, token)."""
        with self._lock:
            return [(row[0], row[1]) for row in self._db.execute("SELECT session_id, token FROM watch_links")]

    def session_ids(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT id FROM sessions ORDER BY created")]

    def load_session(self, session_id: str) -> StoredSessionRow:
        """One session's row, parsed; ValueError if its JSON is unreadable."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, state, dataset, jobs, created, saved FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            blocks = self._db.execute(
                "SELECT series, start, points FROM metrics_blocks WHERE session_id = ? ORDER BY series, start",
                (session_id,),
            ).fetchall()
        if row is None:
            raise KeyError(session_id)
        series: dict[str, StoredSeries] = {}
        for name, start, points in blocks:
            kept = series.setdefault(name, StoredSeries([], [], []))
            if start != len(kept.x):
                raise ValueError(f"its loss history ({name}) has a gap: points from {start:,} follow {len(kept.x):,}")
            block = json.loads(points)
            x, y = block["x"], block["y"]
            if not isinstance(x, list) or not isinstance(y, list) or len(x) != len(y):
                raise ValueError(f"its loss history ({name}) has a block with unequal x and y")
            kept.x.extend(x)
            kept.y.extend(y)
            kept.starts.append(start)
        return StoredSessionRow(
            row[0], json.loads(row[1]), json.loads(row[2]), json.loads(row[3]), row[4], row[5], series
        )

    # -- data sets --------------------------------------------------------------------------------------
    def save_dataset(self, row: StoredDatasetRow) -> None:
        target = None if row.target is None else json.dumps(row.target)
        shape = None if row.image_shape is None else ",".join(map(str, row.image_shape))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO datasets (id, filename, target, task, source, created, image_shape) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row.id, row.filename, target, row.task, row.source, row.created, shape),
            )

    def delete_dataset(self, dataset_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))

    def datasets(self) -> list[StoredDatasetRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, filename, target, task, source, created, image_shape FROM datasets ORDER BY created"
            ).fetchall()
        return [
            StoredDatasetRow(
                r[0],
                r[1],
                None if r[2] is None else json.loads(r[2]),
                r[3],
                bytes(r[4]),
                r[5],
                None if r[6] is None else tuple(int(v) for v in r[6].split(",")),
            )
            for r in rows
        ]

    # -- upkeep -----------------------------------------------------------------------------------------
    def counts(self) -> tuple[int, int]:
        with self._lock:
            sessions = self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
            datasets = self._db.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]
        return sessions, datasets

    def checkpoint_wal(self) -> None:
        """Fold the write-ahead log into the database file (at shutdown, so the file alone is complete)."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
