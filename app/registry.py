"""The only mutable state outside a session: the registry of live sessions and of uploaded data sets.

Idle sessions expire after a TTL (checked when a session is added and by a periodic task the app's lifespan
runs); at the cap, the session idle the longest is evicted (never one that is playing or training). So is it
when the sessions would cost more memory than BACKPROP_VIZ_MEMORY_BUDGET_BYTES (app/budget.py); when no idle
session is left to evict, the new one is refused with 429. Listeners
in `on_remove` hear of every session that leaves, with the reason ("deleted", "expired" or "evicted").
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app import budget
from app.config import Settings
from app.errors import NotFound, TooMany
from app.ids import new_id
from app.listeners import notify
from app.sessions import Session
from engine.datasets import Table

log = logging.getLogger(__name__)

RemoveListener = Callable[[Session, str], None]
DatasetListener = Callable[["StoredDataset", bool], None]  # (data set, True if added / False if removed)


@dataclass
class StoredDataset:
    """An uploaded CSV, parsed; sessions split it into train and test when they use it."""

    id: str
    table: Table
    filename: str
    created: float = field(default_factory=time.time)
    # What it was parsed from, so it can be kept on disk and parsed again after a restart.
    source: bytes = b""
    target: str | int | None = None
    task: str = "auto"
    image_shape: tuple[int, int] | None = None


class SessionRegistry:
    """Sessions by id and uploaded data sets by id; thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._sessions: dict[str, Session] = {}
        self._datasets: dict[str, StoredDataset] = {}
        self._lock = threading.Lock()
        self.on_remove: list[RemoveListener] = []
        self.on_add: list[Callable[[Session], None]] = []
        self.on_dataset: list[DatasetListener] = []
        # With several workers: reads a data set another worker owns (app/cluster/peers.py); None otherwise.
        self.remote_table: Callable[[str], Table] | None = None

    # -- sessions ---------------------------------------------------------------------------------------
    def add(self, session: Session) -> Session:
        evicted: list[Session] = []
        needed = session.cost().total
        with self._lock:
            expired = self._expire_locked()
            if len(self._sessions) >= self.settings.max_sessions:
                evicted.append(self._evict_one_locked())
            evicted += self._make_room_locked(needed)
            self._sessions[session.id] = session
        session.make_room = self.make_room
        self._removed(expired, "expired")
        self._removed(evicted, "evicted")
        for listener in list(self.on_add):
            listener(session)
        return session

    def restore(self, session: Session) -> None:
        """Put back a session kept across a restart (no eviction, no listeners: it is not new)."""
        with self._lock:
            self._sessions[session.id] = session
        session.make_room = self.make_room

    def make_room(self, session: Session, cost: budget.SessionCost) -> None:
        """Let a kept session grow to `cost` (a rebuild, a costlier optimizer): idle others are evicted as at
        creation, or 422/429 naming BACKPROP_VIZ_MEMORY_BUDGET_BYTES with nothing changed."""
        budget.check_alone(cost, self.settings, "this network")
        with self._lock:
            extra = cost.total - session.cost().total
            evicted = self._make_room_locked(extra, keep=session) if extra > 0 else []
        self._removed(evicted, "evicted")

    def get(self, session_id: str) -> Session:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            raise NotFound(
                f"no session with id {session_id!r}; it may have expired. Create one with POST /api/sessions",
                field="session_id",
            )
        session.touch()
        return session

    def get_quietly(self, session_id: str) -> Session | None:
        """The session if it is here, without counting as a use."""
        with self._lock:
            return self._sessions.get(session_id)

    def remove(self, session_id: str) -> Session:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            raise NotFound(f"no session with id {session_id!r}")
        self._removed([session], "deleted")
        return session

    def __iter__(self) -> Iterator[Session]:
        with self._lock:
            return iter(list(self._sessions.values()))

    def __len__(self) -> int:
        return len(self._sessions)

    def expire(self) -> list[Session]:
        """Drop sessions idle longer than the TTL (not playing or training); returns them."""
        with self._lock:
            expired = self._expire_locked()
        self._removed(expired, "expired")
        return expired

    async def expire_periodically(self, interval: float | None = None) -> None:
        """Run `expire` every `interval` seconds (default: a quarter of the TTL, 50 ms to 60 s) until cancelled."""
        if interval is None:
            interval = min(60.0, max(0.05, self.settings.session_ttl_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                self.expire()
            except Exception:
                log.exception("expiring idle sessions failed")

    def _removed(self, sessions: list[Session], reason: str) -> None:
        for session in sessions:
            notify(self.on_remove, "session removal", session, reason)

    def _busy(self, session: Session) -> bool:
        return session.playing or (session.job is not None and session.job.status == "running")

    def _expire_locked(self) -> list[Session]:
        now = time.monotonic()
        ttl = self.settings.session_ttl_seconds
        expired = [s for s in self._sessions.values() if now - s.last_used > ttl and not self._busy(s)]
        for session in expired:
            del self._sessions[session.id]
        return expired

    def memory_in_use(self) -> int:
        """What the kept sessions cost together at their peak (app/budget.py)."""
        with self._lock:
            return sum(s.cost().total for s in self._sessions.values())

    def _make_room_locked(self, needed: int, keep: Session | None = None) -> list[Session]:
        """Evict idle sessions, the longest idle first, until `needed` more bytes fit the memory budget; 429 (and
        nothing evicted) when even evicting every idle one would not make room."""
        limit = self.settings.memory_budget_bytes
        costs = {s.id: s.cost().total for s in self._sessions.values()}
        in_use = sum(costs.values())
        if in_use + needed <= limit:
            return []
        idle = sorted(
            (s for s in self._sessions.values() if s is not keep and not self._busy(s)), key=lambda s: s.last_used
        )
        if in_use - sum(costs[s.id] for s in idle) + needed > limit:
            raise budget.over_budget(needed, in_use, self.settings)
        evicted = []
        for session in idle:
            if in_use + needed <= limit:
                break
            del self._sessions[session.id]
            in_use -= costs[session.id]
            evicted.append(session)
        return evicted

    def _evict_one_locked(self) -> Session:
        idle = [s for s in self._sessions.values() if not self._busy(s)]
        if not idle:
            raise TooMany(
                f"all {self.settings.max_sessions} sessions are busy training (BACKPROP_VIZ_MAX_SESSIONS); "
                "try again when one finishes"
            )
        oldest = min(idle, key=lambda s: s.last_used)
        del self._sessions[oldest.id]
        return oldest

    # -- uploaded data sets -----------------------------------------------------------------------------
    def add_dataset(
        self,
        table: Table,
        filename: str,
        *,
        source: bytes = b"",
        target: str | int | None = None,
        task: str = "auto",
        image_shape: tuple[int, int] | None = None,
        dataset_id: str | None = None,
        created: float | None = None,
        notify: bool = True,
    ) -> StoredDataset:
        """Keep a parsed upload (the oldest goes at BACKPROP_VIZ_MAX_DATASETS); `dataset_id`, `created` and
        `notify=False` put back one kept across a restart."""
        dropped: StoredDataset | None = None
        with self._lock:
            if len(self._datasets) >= self.settings.max_datasets:
                dropped = min(self._datasets.values(), key=lambda d: d.created)
                del self._datasets[dropped.id]
            stored = StoredDataset(
                dataset_id or new_id(self.settings.shard),
                table,
                filename,
                source=source,
                target=target,
                task=task,
                image_shape=image_shape,
            )
            if created is not None:
                stored.created = created
            self._datasets[stored.id] = stored
        if dropped is not None:
            self._dataset_changed(dropped, False)
        if notify:
            self._dataset_changed(stored, True)
        return stored

    def _dataset_changed(self, stored: StoredDataset, added: bool) -> None:
        notify(self.on_dataset, "data set", stored, added)

    def get_dataset(self, dataset_id: str) -> StoredDataset:
        with self._lock:
            stored = self._datasets.get(dataset_id)
        if stored is None:
            raise NotFound(
                f"no data set with id {dataset_id!r}; upload one with POST /api/datasets", field="dataset.id"
            )
        return stored

    def remove_dataset(self, dataset_id: str) -> StoredDataset:
        with self._lock:
            stored = self._datasets.pop(dataset_id, None)
        if stored is None:
            raise NotFound(f"no data set with id {dataset_id!r}")
        self._dataset_changed(stored, False)
        return stored

    def datasets(self) -> list[StoredDataset]:
        with self._lock:
            return list(self._datasets.values())

    def lookup_table(self, dataset_id: str) -> Table:
        """For Session.create: the parsed table behind an uploaded data set id (one another worker owns is read
        from it)."""
        with self._lock:
            stored = self._datasets.get(dataset_id)
        if stored is None and self.remote_table is not None:
            return self.remote_table(dataset_id)
        return self.get_dataset(dataset_id).table
