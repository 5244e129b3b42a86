"""What one WebSocket client has yet to be sent: events serialized once for every client, and the bounded
`Outbox` that orders and coalesces them.

Each client has an `Outbox`: a bounded queue of ordered events plus four coalescing slots — the latest
`flags`, the latest `state` (a newer one replaces it), the latest `job`, and one merged `metrics` batch (points
are concatenated, never dropped). A client that cannot keep up gets fewer, fresher frames; one whose queue overflows is
collapsed to a fresh snapshot; one whose queue overflows again before it has even taken that snapshot does not
read at all and is dropped (`dropped`, close code 4008). So a slow client never slows training, other clients,
or grows memory. See docs/protocol.md, "Slow clients".
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from pydantic import TypeAdapter

from app import schemas

# Per-client bounds (docs/protocol.md, "Slow clients").
OUTBOX_MIN_ITEMS = 1_024  # ordered events a client may have pending (at least 2 × max_step_records)
OUTBOX_MAX_BYTES = 16 * 1024 * 1024  # …and their size (BACKPROP_VIZ_WS_BACKLOG_BYTES)
CLOSE_SLOW = 4008  # close code: the client did not read its events (its backlog overflowed twice)
METRICS_RESYNC_POINTS = 50_000  # pending metrics points beyond which the client gets the full history instead

Kind = Literal["ordered", "state", "job", "metrics", "flags"]


# ---------------------------------------------------------------------------------------------------------
# Events as they travel: serialized once, shared by every outbox
# ---------------------------------------------------------------------------------------------------------
def dump(event: schemas.Event) -> str:
    """An event as wire JSON (aliases such as `pass`, non-finite numbers already null)."""
    return event.model_dump_json(by_alias=True)


@dataclass
class MetricsBatch:
    """New loss points (or the whole history when `replace`); mergeable, so none is lost when coalescing."""

    per_pass: dict[str, list[float | None]]
    per_epoch: dict[str, list[float | None]]
    replace: bool = False
    request_id: str | int | None = None

    @property
    def points(self) -> int:
        return len(self.per_pass.get("pass", ())) + len(self.per_epoch.get("epoch", ()))

    def copy(self) -> MetricsBatch:
        return MetricsBatch(
            {k: list(v) for k, v in self.per_pass.items()},
            {k: list(v) for k, v in self.per_epoch.items()},
            self.replace,
            self.request_id,
        )

    def extend(self, newer: MetricsBatch) -> None:
        """Append a newer batch's points (a newer `replace` batch is the whole history: it wins)."""
        if newer.replace:
            self.per_pass = {k: list(v) for k, v in newer.per_pass.items()}
            self.per_epoch = {k: list(v) for k, v in newer.per_epoch.items()}
            self.replace = True
        else:
            for mine, theirs in ((self.per_pass, newer.per_pass), (self.per_epoch, newer.per_epoch)):
                for key, values in theirs.items():
                    mine.setdefault(key, []).extend(values)
        self.request_id = newer.request_id

    def to_json(self) -> str:
        return self.json

    @cached_property
    def json(self) -> str:
        """The event's text, made once however many clients are sent this same batch (a batch is never changed
        once published: merging makes a new one)."""
        return dump(
            schemas.MetricsEvent.model_construct(
                type="metrics",
                request_id=self.request_id,
                per_pass=self.per_pass,
                per_epoch=self.per_epoch,
                replace=self.replace,
            )
        )


@dataclass(frozen=True)
class StateFrame:
    """A `state` event in serialized parts, so that coalescing keeps the newest of each: a play frame without a
    boundary replaces the state but not the boundary an earlier frame brought (schemas.StateEvent's fields)."""

    state: str
    request_id: str | int | None = None
    visible: str | None = None
    focus: str | None = None
    boundary: str | None = None
    diagnostics: str | None = None

    @classmethod
    def of(cls, event: schemas.StateEvent) -> StateFrame:
        """The event's parts serialized."""
        return cls.made(
            dump(event.state),
            event.request_id,
            visible=event.visible,
            focus=event.focus,
            boundary=None if event.boundary is None else event.boundary.model_dump_json(by_alias=True),
            diagnostics=event.diagnostics,
        )

    @classmethod
    def made(
        cls,
        state: str,
        request_id: str | int | None = None,
        *,
        visible: list[schemas.PhaseRecordOut] | None = None,
        focus: schemas.FocusSample | None = None,
        boundary: str | None = None,
        diagnostics: schemas.FrameDiagnostics | None = None,
    ) -> StateFrame:
        """A `state` event from its state and boundary already serialized (the hub makes them without models:
        Session.state_json, Hub._boundary_json) and its other parts as models."""

        def model(value: schemas.Model | None) -> str | None:
            return None if value is None else value.model_dump_json(by_alias=True)

        records = None if visible is None else _records_json(visible)
        return cls(state, request_id, records, model(focus), boundary, model(diagnostics))

    def merged(self, newer: StateFrame) -> StateFrame:
        """The newer frame, with the parts it leaves out taken from this one."""
        return StateFrame(
            newer.state,
            newer.request_id,
            newer.visible if newer.visible is not None else self.visible,
            newer.focus if newer.focus is not None else self.focus,
            newer.boundary if newer.boundary is not None else self.boundary,
            newer.diagnostics if newer.diagnostics is not None else self.diagnostics,
        )

    def to_json(self) -> str:
        return self.json

    @cached_property
    def json(self) -> str:
        """The event's text, made once however many clients are sent this same frame."""
        return (
            f'{{"request_id":{json.dumps(self.request_id)},"type":"state","state":{self.state},'
            f'"visible":{self.visible or "null"},"focus":{self.focus or "null"},"boundary":{self.boundary or "null"},'
            f'"diagnostics":{self.diagnostics or "null"}}}'
        )

    def __len__(self) -> int:
        parts = (self.visible, self.focus, self.boundary, self.diagnostics)
        return len(self.state) + sum(len(p) for p in parts if p is not None)


_RECORDS: TypeAdapter[list[schemas.PhaseRecordOut]] = TypeAdapter(list[schemas.PhaseRecordOut])


def _records_json(records: list[schemas.PhaseRecordOut]) -> str:
    """Records as wire JSON; a play frame's (none shown of the open pass) without the serializer's round trip."""
    return _RECORDS.dump_json(records, by_alias=True).decode() if records else "[]"


@dataclass(frozen=True)
class Item:
    """One published event: `ordered` events keep their place; `flags`, `state`, `job` and `metrics` coalesce."""

    kind: Kind
    payload: str | StateFrame | MetricsBatch

    @property
    def size(self) -> int:
        if isinstance(self.payload, MetricsBatch):
            return 24 * self.payload.points + 128
        return len(self.payload)

    @property
    def text(self) -> str:
        return self.payload if isinstance(self.payload, str) else self.payload.to_json()


# ---------------------------------------------------------------------------------------------------------
# One client's outbox
# ---------------------------------------------------------------------------------------------------------
class Outbox:
    """Pending events of one client, bounded whatever the client does.

    Send order is the publication order, except that `flags`, `state`, `job` and `metrics` events published one
    after another (with no ordered event between them) are coalesced into one slot each and sent as flags,
    metrics, state, job. An ordered event first freezes the slots into the queue, so nothing jumps ahead of it.
    Overflow of the queue clears everything and asks for a fresh snapshot (`needs_snapshot`); a metrics slot
    with more than `max_metrics_points` new points asks for the full history instead (`needs_metrics`).
    """

    def __init__(
        self,
        max_items: int = OUTBOX_MIN_ITEMS,
        max_bytes: int = OUTBOX_MAX_BYTES,
        max_metrics_points: int = METRICS_RESYNC_POINTS,
    ) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.max_metrics_points = max_metrics_points
        self.queue: deque[Item] = deque()
        self.queue_bytes = 0
        self.state: StateFrame | None = None
        self.job: str | None = None
        self.flags: str | None = None  # the latest `flags` event (the whole set of health flags: the latest wins)
        self.metrics: MetricsBatch | None = None
        self.metrics_new_points = 0  # points merged since the slot's base (a replace batch counts as its base)
        self.needs_snapshot = False
        self.needs_metrics = False
        self.close_request: tuple[int, str] | None = None
        self.wakeup = asyncio.Event()
        self.dropped_events = 0  # discarded by snapshot collapses (for tests and logs)
        self.snapshot_waiting: Item | None = None  # a snapshot queued after a collapse, until it is sent
        self.history_unsent = False  # the full metrics history a metrics overflow brought is not sent yet
        self._metrics_own = False  # the metrics slot holds a merge of its own (else a shared, published batch)
        self.dropped: tuple[int, str] | None = None  # the client reads nothing: close it (code, reason)
        self.gone = asyncio.Event()  # set when dropped, for the receive loop to stop waiting

    # -- pushing ----------------------------------------------------------------------------------------
    def push(self, item: Item) -> None:
        if self.close_request is not None or self.needs_snapshot:
            return  # closing, or everything until the snapshot is covered by it
        if item.kind == "ordered":
            self._freeze()
            self._enqueue(item)
        elif item.kind == "state":
            assert isinstance(item.payload, StateFrame)
            self.state = item.payload if self.state is None else self.state.merged(item.payload)
        elif item.kind == "job":
            assert isinstance(item.payload, str)
            self.job = item.payload
        elif item.kind == "flags":
            assert isinstance(item.payload, str)
            self.flags = item.payload
        else:
            self._merge_metrics(item.payload)
        self.wakeup.set()

    def _merge_metrics(self, batch: str | MetricsBatch) -> None:
        assert isinstance(batch, MetricsBatch)
        if self.needs_metrics:
            return  # covered by the full history on its way
        if self.metrics is None:
            self.metrics = batch  # shared with every client that takes it as it is: serialized once
            self._metrics_own = False
            self.metrics_new_points = 0 if batch.replace else batch.points
        else:
            if not self._metrics_own:  # published batches are shared: copied once, then merged into in place
                self.metrics = self.metrics.copy()
                self._metrics_own = True
            self.metrics.extend(batch)
            self.metrics_new_points = 0 if batch.replace else self.metrics_new_points + batch.points
        if self.metrics_new_points > self.max_metrics_points:
            if self.history_unsent:  # it has not even taken the full history it was given: it reads nothing
                self.drop(
                    f"this client did not read its events: more than {self.max_metrics_points:,} loss points "
                    "waited, twice; reconnect"
                )
                return
            self.metrics = None
            self.metrics_new_points = 0
            self.needs_metrics = True

    def _freeze(self) -> None:
        """Move the coalescing slots into the queue (in send order) so later events stay behind them."""
        slots = (("flags", self.flags), ("metrics", self.metrics), ("state", self.state), ("job", self.job))
        for kind, payload in slots:
            if payload is not None:
                self._enqueue(Item(kind, payload))
        self.flags, self.metrics, self.state, self.job = None, None, None, None
        self.metrics_new_points = 0

    def _enqueue(self, item: Item) -> None:
        self.queue.append(item)
        self.queue_bytes += item.size
        if len(self.queue) > self.max_items or self.queue_bytes > self.max_bytes:
            self.collapse()

    def collapse(self) -> None:
        """Give up on the pending events: the client will get a fresh snapshot instead — unless the snapshot
        of the last collapse is still waiting to be sent, which means the client reads nothing: drop it."""
        if self.snapshot_waiting is not None:
            self.drop(
                f"this client did not read its events: more than {self.max_items:,} events or "
                f"{self.max_bytes / 2**20:.0f} MiB waited, twice (BACKPROP_VIZ_WS_BACKLOG_BYTES); reconnect"
            )
            return
        self.dropped_events += self.pending
        self.queue.clear()
        self.queue_bytes = 0
        self.flags = self.state = self.job = self.metrics = None
        self.metrics_new_points = 0
        self.needs_metrics = False
        self.needs_snapshot = True
        self.wakeup.set()

    # -- resynchronising --------------------------------------------------------------------------------
    def install_snapshot(self, text: str) -> None:
        """The snapshot a collapse asked for (or the first one): it comes first, everything later follows."""
        self.queue.clear()
        self.queue_bytes = 0
        self.flags = self.state = self.job = self.metrics = None
        self.metrics_new_points = 0
        self.needs_snapshot = self.needs_metrics = False
        snapshot = Item("ordered", text)
        self._enqueue(snapshot)
        self.snapshot_waiting = snapshot
        self.wakeup.set()

    def install_metrics(self, history: MetricsBatch) -> None:
        """The full history a metrics overflow asked for, as the pending metrics slot (`replace: true`)."""
        if self.needs_snapshot:
            return
        self.needs_metrics = False
        self.metrics = history
        self._metrics_own = True
        self.history_unsent = True
        self.metrics_new_points = 0
        self.wakeup.set()

    def request_close(self, code: int, reason: str) -> None:
        self.close_request = (code, reason)
        self.wakeup.set()

    def drop(self, reason: str) -> None:
        """Stop queueing for a client that reads nothing, free what it had pending, and have it closed."""
        self.dropped_events += len(self.queue)
        self.queue.clear()
        self.queue_bytes = 0
        self.flags = self.state = self.job = self.metrics = None
        self.snapshot_waiting = None
        self.dropped = (CLOSE_SLOW, reason)
        self.close_request = self.dropped
        self.gone.set()
        self.wakeup.set()

    # -- sending ----------------------------------------------------------------------------------------
    def pop(self) -> Item | None:
        """The next event to send, in send order, or None when nothing is pending."""
        if self.queue:
            item = self.queue.popleft()
            self.queue_bytes -= item.size
            if item is self.snapshot_waiting:
                self.snapshot_waiting = None
            if item.kind == "metrics":
                self.history_unsent = False
            return item
        for kind in ("flags", "metrics", "state", "job"):
            payload = getattr(self, kind)
            if payload is not None:
                setattr(self, kind, None)
                if kind == "metrics":
                    self.metrics_new_points = 0
                    self.history_unsent = False
                return Item(kind, payload)  # type: ignore[arg-type]
        return None

    @property
    def pending(self) -> int:
        """Events waiting (queue plus filled slots)."""
        return len(self.queue) + sum(x is not None for x in (self.flags, self.state, self.job, self.metrics))

    @property
    def pending_points(self) -> int:
        frozen = sum(i.payload.points for i in self.queue if isinstance(i.payload, MetricsBatch))
        return frozen + (self.metrics.points if self.metrics else 0)
