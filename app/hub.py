"""The per-session broadcast hub: one ordered stream of events that every WebSocket client of a session sees.

Everything that changes a session is turned into events in one place: a worker thread holds the session lock
while it changes the session (a command, a play chunk) and collects the events that change produced (phase
records, new metrics points, the state), then hands them to the event loop with `call_soon_threadsafe`.
Callbacks run in the order they were scheduled and the session lock orders the collections, so every client
receives the same events in the same order.

Each client has an `Outbox`: a bounded queue of ordered events plus three coalescing slots — the latest
`state` (a newer one replaces it), the latest `job`, and one merged `metrics` batch (points are concatenated,
never dropped). A client that cannot keep up gets fewer, fresher frames; one whose queue overflows is
collapsed to a fresh snapshot; so a slow client never slows training, other clients, or grows memory.
See docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread
from pydantic import TypeAdapter
from starlette.websockets import WebSocket, WebSocketState

from app import convert, schemas
from app.config import Settings
from app.errors import AppError, InvalidInput, NotFound
from app.play import Player
from app.registry import SessionRegistry
from app.sessions import JobInfo, Session
from engine.training import Diverged

log = logging.getLogger(__name__)

# Per-client bounds (docs/protocol.md, "Slow clients").
OUTBOX_MIN_ITEMS = 1_024  # ordered events a client may have pending (at least 2 × max_step_records)
OUTBOX_MAX_BYTES = 64 * 1024 * 1024  # …and their size
METRICS_RESYNC_POINTS = 50_000  # pending metrics points beyond which the client gets the full history instead
CLOSE_GONE = 4404  # close code: the session does not exist (any more)

Kind = Literal["ordered", "state", "job", "metrics"]


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

    @classmethod
    def of(cls, event: schemas.StateEvent) -> StateFrame:
        def model(value: schemas.Model | None) -> str | None:
            return None if value is None else value.model_dump_json(by_alias=True)

        visible = None if event.visible is None else _RECORDS.dump_json(event.visible, by_alias=True).decode()
        return cls(dump(event.state), event.request_id, visible, model(event.focus), model(event.boundary))

    def merged(self, newer: StateFrame) -> StateFrame:
        """The newer frame, with the parts it leaves out taken from this one."""
        return StateFrame(
            newer.state,
            newer.request_id,
            newer.visible if newer.visible is not None else self.visible,
            newer.focus if newer.focus is not None else self.focus,
            newer.boundary if newer.boundary is not None else self.boundary,
        )

    def to_json(self) -> str:
        return (
            f'{{"request_id":{json.dumps(self.request_id)},"type":"state","state":{self.state},'
            f'"visible":{self.visible or "null"},"focus":{self.focus or "null"},"boundary":{self.boundary or "null"}}}'
        )

    def __len__(self) -> int:
        return len(self.state) + sum(len(p) for p in (self.visible, self.focus, self.boundary) if p is not None)


_RECORDS: TypeAdapter[list[schemas.PhaseRecordOut]] = TypeAdapter(list[schemas.PhaseRecordOut])


@dataclass(frozen=True)
class Item:
    """One published event: `ordered` events keep their place; `state`, `job` and `metrics` coalesce."""

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

    Send order is the publication order, except that `state`, `job` and `metrics` events published one after
    another (with no ordered event between them) are coalesced into one slot each and sent as metrics, state,
    job. An ordered event first freezes the slots into the queue, so nothing jumps ahead of it.
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
        self.metrics: MetricsBatch | None = None
        self.metrics_new_points = 0  # points merged since the slot's base (a replace batch counts as its base)
        self.needs_snapshot = False
        self.needs_metrics = False
        self.close_request: tuple[int, str] | None = None
        self.wakeup = asyncio.Event()
        self.dropped_events = 0  # discarded by snapshot collapses (for tests and logs)

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
        else:
            self._merge_metrics(item.payload)
        self.wakeup.set()

    def _merge_metrics(self, batch: str | MetricsBatch) -> None:
        assert isinstance(batch, MetricsBatch)
        if self.needs_metrics:
            return  # covered by the full history on its way
        if self.metrics is None:
            self.metrics = batch.copy()
            self.metrics_new_points = 0 if batch.replace else batch.points
        else:
            self.metrics.extend(batch)
            self.metrics_new_points = 0 if batch.replace else self.metrics_new_points + batch.points
        if self.metrics_new_points > self.max_metrics_points:
            self.metrics = None
            self.metrics_new_points = 0
            self.needs_metrics = True

    def _freeze(self) -> None:
        """Move the coalescing slots into the queue (in send order) so later events stay behind them."""
        for kind, payload in (("metrics", self.metrics), ("state", self.state), ("job", self.job)):
            if payload is not None:
                self._enqueue(Item(kind, payload))
        self.metrics, self.state, self.job = None, None, None
        self.metrics_new_points = 0

    def _enqueue(self, item: Item) -> None:
        self.queue.append(item)
        self.queue_bytes += item.size
        if len(self.queue) > self.max_items or self.queue_bytes > self.max_bytes:
            self.collapse()

    def collapse(self) -> None:
        """Give up on the pending events: the client will get a fresh snapshot instead."""
        self.dropped_events += len(self.queue) + sum(x is not None for x in (self.state, self.job, self.metrics))
        self.queue.clear()
        self.queue_bytes = 0
        self.state = self.job = self.metrics = None
        self.metrics_new_points = 0
        self.needs_metrics = False
        self.needs_snapshot = True
        self.wakeup.set()

    # -- resynchronising --------------------------------------------------------------------------------
    def install_snapshot(self, text: str) -> None:
        """The snapshot a collapse asked for (or the first one): it comes first, everything later follows."""
        self.queue.clear()
        self.queue_bytes = 0
        self.state = self.job = self.metrics = None
        self.metrics_new_points = 0
        self.needs_snapshot = self.needs_metrics = False
        self._enqueue(Item("ordered", text))
        self.wakeup.set()

    def install_metrics(self, history: MetricsBatch) -> None:
        """The full history a metrics overflow asked for, as the pending metrics slot (`replace: true`)."""
        if self.needs_snapshot:
            return
        self.needs_metrics = False
        self.metrics = history
        self.metrics_new_points = 0
        self.wakeup.set()

    def request_close(self, code: int, reason: str) -> None:
        self.close_request = (code, reason)
        self.wakeup.set()

    # -- sending ----------------------------------------------------------------------------------------
    def pop(self) -> Item | None:
        """The next event to send, in send order, or None when nothing is pending."""
        if self.queue:
            item = self.queue.popleft()
            self.queue_bytes -= item.size
            return item
        for kind in ("metrics", "state", "job"):
            payload = getattr(self, kind)
            if payload is not None:
                setattr(self, kind, None)
                if kind == "metrics":
                    self.metrics_new_points = 0
                return Item(kind, payload)  # type: ignore[arg-type]
        return None

    @property
    def pending(self) -> int:
        """Events waiting (queue plus filled slots)."""
        return len(self.queue) + sum(x is not None for x in (self.state, self.job, self.metrics))

    @property
    def pending_points(self) -> int:
        frozen = sum(i.payload.points for i in self.queue if isinstance(i.payload, MetricsBatch))
        return frozen + (self.metrics.points if self.metrics else 0)


# ---------------------------------------------------------------------------------------------------------
# A client: a WebSocket, its outbox and its sender task
# ---------------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Client:
    websocket: WebSocket
    outbox: Outbox
    sender: asyncio.Task | None = None
    resyncing: bool = False

    async def send_loop(self) -> None:
        """Send the outbox's events as they come; a slow socket only delays this client."""
        outbox = self.outbox
        ws = self.websocket
        try:
            while True:
                item = outbox.pop()
                if item is None:
                    if outbox.close_request is not None:
                        code, reason = outbox.close_request
                        if ws.application_state == WebSocketState.CONNECTED:
                            await ws.close(code, close_reason(reason))
                        return
                    outbox.wakeup.clear()
                    await outbox.wakeup.wait()
                    continue
                await ws.send_text(item.text)
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection went away; the receive loop notices and cleans up
            log.debug("sender stopped", exc_info=True)

    def error(self, message: str, field: str | None = None, request_id: str | int | None = None) -> None:
        """An error event to this client only (errors are about its own commands)."""
        event = schemas.ErrorEvent(message=message, field=field, request_id=request_id)
        self.outbox.push(Item("ordered", dump(event)))


def close_reason(reason: str, limit: int = 123) -> str:
    """A close reason within the WebSocket limit of 123 bytes (UTF-8), cut at a character boundary."""
    data = reason.encode("utf-8")
    if len(data) <= limit:
        return reason
    return data[: limit - 3].decode("utf-8", errors="ignore") + "..."


# ---------------------------------------------------------------------------------------------------------
# The hub of one session
# ---------------------------------------------------------------------------------------------------------
class Hub:
    """Clients of one session, the commands they send (one at a time), play mode, and the event stream."""

    def __init__(self, session: Session, hubs: Hubs) -> None:
        self.session = session
        self.hubs = hubs
        self.settings: Settings = hubs.settings
        self.loop = hubs.loop
        self.clients: list[Client] = []
        self.commands = asyncio.Lock()  # one command at a time per session
        self.player: Player | None = None
        self.play_chunk = 1  # passes per play frame, as last measured (the next play starts from it)
        # Where the stream stands (touched only under the session lock, in worker threads):
        self.metrics_cursor: tuple[int, int] | None = None
        self.published_revision = -1
        # Changes made elsewhere (REST, jobs) are noticed through the session's listeners:
        self._dirty = asyncio.Event()
        self._force_sync = False
        self._poked = False
        self._watcher: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()  # resyncs and closes in flight (kept referenced)
        self._closed = False
        session.listeners.append(self._on_change)

    # -- clients ----------------------------------------------------------------------------------------
    def attach(self, websocket: WebSocket) -> Client:
        """Register a client and start its sender; it gets nothing until `resync` gives it its snapshot."""
        max_items = max(OUTBOX_MIN_ITEMS, 2 * self.settings.max_step_records + 64)
        client = Client(websocket, Outbox(max_items=max_items))
        client.outbox.needs_snapshot = True
        self.clients.append(client)
        client.sender = asyncio.create_task(client.send_loop())
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())
        return client

    async def join(self, websocket: WebSocket) -> Client:
        """Register a client; its first event is a snapshot taken in step with the stream."""
        client = self.attach(websocket)
        await self.resync(client)
        return client

    async def leave(self, client: Client) -> None:
        """Forget a client; the last one out stops play mode and closes the hub."""
        if client in self.clients:
            self.clients.remove(client)
        if client.sender is not None:
            client.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await client.sender
        if not self.clients:
            await self.stop_play()
            if not self.clients:
                self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(ValueError):
            self.session.listeners.remove(self._on_change)
        if self._watcher is not None:
            self._watcher.cancel()
        self.hubs.forget(self)

    async def close_all(self, code: int, reason: str) -> None:
        """Stop play and close every client (the session is gone)."""
        await self.stop_play()
        for client in list(self.clients):
            client.outbox.request_close(code, reason)

    def spawn(self, coroutine: Any) -> asyncio.Task:
        """Run a coroutine as a task the hub keeps referenced until it ends."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def alive(self) -> bool:
        """Whether the session is still in the registry (looking counts as using it)."""
        try:
            return self.hubs.registry.get(self.session.id) is self.session
        except NotFound:
            return False

    # -- publishing -------------------------------------------------------------------------------------
    def publish(self, items: Iterable[Item]) -> None:
        """Hand events to every client (event loop thread), in order."""
        items = list(items)
        for client in list(self.clients):
            outbox = client.outbox
            for item in items:
                outbox.push(item)
            self._follow_up(client)

    def publish_threadsafe(self, items: list[Item]) -> None:
        """From a worker thread that holds the session lock: keeps the order of collection."""
        self.call_soon(self.publish, items)

    def call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        """Run `callback` in the event loop, from any thread; nothing happens once the loop is closed (the app
        is shutting down and there is nobody left to tell)."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(callback, *args)

    def _follow_up(self, client: Client) -> None:
        """Start the resync an outbox asked for (after an overflow)."""
        outbox = client.outbox
        if client.resyncing:
            return
        if outbox.needs_snapshot:
            self.spawn(self.resync(client))
        elif outbox.needs_metrics:
            self.spawn(self.resync(client, full=False))

    async def resync(self, client: Client, full: bool = True) -> None:
        """Give a client a fresh snapshot (or the full metrics history) that fits the stream exactly: in a
        worker thread, under the session lock, publish what changed so far, then build it; both are handed to
        the event loop in that order, so the client gets neither a gap nor a duplicate."""
        client.resyncing = True
        try:
            await anyio.to_thread.run_sync(self._build_resync, client, full)
        except Exception:
            log.exception("could not resynchronise a client of session %s", self.session.id)
            client.outbox.request_close(1011, "the server could not build a snapshot; reconnect")
        finally:
            client.resyncing = False
        if client in self.clients:
            self._follow_up(client)  # it may have overflowed again meanwhile

    def _build_resync(self, client: Client, full: bool) -> None:
        with self.session.lock:
            self._catch_up()
            if full:
                text = dump(self.session.snapshot())
                self.call_soon(self._install, client, text)
            else:
                history = self.session.metrics_history()
                batch = MetricsBatch(history.per_pass, history.per_epoch, replace=True)
                self.call_soon(self._install, client, batch)

    def _install(self, client: Client, payload: str | MetricsBatch) -> None:
        if isinstance(payload, str):
            client.outbox.install_snapshot(payload)
        else:
            client.outbox.install_metrics(payload)

    # -- collecting (worker thread, session lock held) --------------------------------------------------
    def _catch_up(self) -> None:
        """Publish what changed since the last collection (REST, a job), so a snapshot can follow."""
        if self.metrics_cursor is None:
            self.metrics_cursor = self.session.metrics_lengths()
            self.published_revision = self.session.revision
        elif self.session.revision != self.published_revision:
            self.publish_threadsafe(self.collect(visible=True, boundary=True))

    def collect(
        self,
        *,
        request_id: str | int | None = None,
        ordered: bool = False,
        visible: bool = False,
        boundary: bool = False,
        focus: bool = False,
        before_state: list[Item] | None = None,
    ) -> list[Item]:
        """The events that bring clients up to date: new metrics points, then (`before_state`), the state.

        A command's state is `ordered` (it carries the command's request_id and is never coalesced away);
        play and sync frames are coalescable (`state`).
        """
        session = self.session
        items: list[Item] = []
        cursor = self.metrics_cursor or (0, 0)
        per_pass, per_epoch, self.metrics_cursor, replace = session.metrics_since(cursor)
        if replace or per_pass["pass"] or per_epoch["epoch"]:
            items.append(Item("metrics", MetricsBatch(per_pass, per_epoch, replace, request_id)))
        items.extend(before_state or ())
        event = schemas.StateEvent(
            request_id=request_id,
            state=session.state(),
            visible=session.visible_records() if visible else None,
            focus=session.focus_sample() if focus else None,
            boundary=session.boundary() if boundary else None,
        )
        items.append(Item("ordered" if ordered else "state", StateFrame.of(event)))
        self.published_revision = session.revision
        return items

    def collect_diverged(self, info: Diverged, request_id: str | int | None = None) -> list[Item]:
        """After a refused pass: new metrics, the `diverged` event (with the state before the pass), the state."""
        state = self.session.state()
        event = schemas.DivergedEvent(diverged=convert.diverged(info), state=state, request_id=request_id)
        diverged = Item("ordered", dump(event))
        return self.collect(request_id=request_id, ordered=True, visible=True, boundary=True, before_state=[diverged])

    def run_locked(self, work: Callable[[], list[Item]]) -> list[Item]:
        """Run `work` (it changes the session and collects the events) under the session lock and publish."""
        with self.session.lock:
            items = work()
            if items:
                self.publish_threadsafe(items)
            return items

    # -- changes made elsewhere -------------------------------------------------------------------------
    def _on_change(self) -> None:
        """Session listener (any thread, session lock held): wake the watcher once."""
        if not self._poked:
            self._poked = True
            self.call_soon(self._dirty.set)

    def job_progress(self, job: JobInfo) -> None:
        """Job runner listener (job thread): a `job` event, and a state sync even if nothing else changed."""
        text = dump(schemas.JobEvent(job=job.to_model()))

        def deliver() -> None:
            self.publish([Item("job", text)])
            self._force_sync = True
            self._dirty.set()

        self.call_soon(deliver)

    async def _watch(self) -> None:
        """Bring clients up to date after REST calls and training jobs, at most `frame_rate` times a second."""
        interval = 1.0 / self.settings.frame_rate
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            self._poked = False
            if self.player is not None:
                continue  # play frames carry every change
            if self._force_sync or self.session.revision != self.published_revision:
                force, self._force_sync = self._force_sync, False
                async with self.commands:
                    synced = await anyio.to_thread.run_sync(self._sync, force)
                if synced:
                    await asyncio.sleep(interval)

    def _sync(self, force: bool) -> bool:
        """Publish a frame if the session changed behind the hub's back (checked again under the lock: the
        change may have been a command of ours that has published already)."""
        with self.session.lock:
            if self.metrics_cursor is None or (not force and self.session.revision == self.published_revision):
                return False
            self.publish_threadsafe(self.collect(visible=True, boundary=True))
            return True

    # -- commands ---------------------------------------------------------------------------------------
    async def execute(self, command: Any, client: Client) -> None:
        """Run one client command; what is wrong with it becomes an error event to that client only."""
        request_id = command.request_id
        async with self.commands:
            if not self.alive():
                client.error("the session was deleted or expired; create a new one", request_id=request_id)
                await self.close_all(CLOSE_GONE, "the session was deleted or expired; create a new one")
                return
            try:
                await getattr(self, f"_cmd_{command.type}")(command)
            except AppError as exc:
                client.error(exc.message, exc.field, request_id)
            except Exception as exc:
                log.exception("WebSocket command %s failed on session %s", command.type, self.session.id)
                client.error(f"the server failed to run '{command.type}' ({type(exc).__name__}); see the server log",
                             request_id=request_id)

    async def _in_thread(self, work: Callable[[], list[Item]]) -> None:
        await anyio.to_thread.run_sync(self.run_locked, work)

    async def _check(self, action: str, records: bool = False) -> None:
        """Refuse before touching anything, so that a refused command does not even pause play. (When not playing
        the session's own checks suffice, and this saves a trip to a worker thread.)"""
        if self.player is not None:
            await anyio.to_thread.run_sync(lambda: self.session.refusal(action, records=records))

    async def _cmd_step(self, cmd: schemas.StepCommand) -> None:
        await self._check("step", records=True)
        was_playing = self.player is not None
        await self.stop_play()
        rid = cmd.request_id

        def work() -> list[Item]:
            result = self.session.step(cmd.unit, cmd.count)
            items = [Item("ordered", dump(schemas.PhaseEvent(record=convert.record(r), request_id=rid)))
                     for r in result.records]
            if result.diverged is not None:
                items += self.collect_diverged(result.diverged, rid)
            else:
                changed = result.passes > 0 or was_playing  # play frames' boundary may be a frame old
                items += self.collect(request_id=rid, ordered=True, boundary=changed)
            return items

        await self._in_thread(work)

    async def _cmd_back(self, cmd: schemas.BackCommand) -> None:
        await self._check("step back", records=True)
        await self.stop_play()
        result_holder: list[Any] = []

        def work() -> list[Item]:
            result = self.session.back(cmd.unit, cmd.count)
            result_holder.append(result)
            if result.moved == 0 and result.limit_reached:
                raise InvalidInput(result.limit_reached, field="count")
            return self.collect(request_id=cmd.request_id, ordered=True, visible=True, boundary=True)

        await self._in_thread(work)
        limit = result_holder[0].limit_reached if result_holder else None
        if limit:
            raise InvalidInput(f"went back {result_holder[0].moved} of {cmd.count}: {limit}", field="count")

    async def _cmd_play(self, cmd: schemas.PlayCommand) -> None:
        speed = None if cmd.speed == "max" else float(cmd.speed)
        if speed is not None and not (0 < speed < float("inf")):
            raise InvalidInput("speed must be a positive number of passes per second, or \"max\"", field="speed")
        rid = cmd.request_id
        if self.player is not None and self.player.finished:
            await self.stop_play()  # it ended by itself: wait for its thread to be gone
        player = self.player
        if player is not None:

            def change_speed() -> list[Item]:
                if player.finished:  # ended meanwhile (diverged): start afresh below
                    return []
                player.speed = self.session.speed = speed
                return self.collect(request_id=rid, ordered=True)

            items = await anyio.to_thread.run_sync(self.run_locked, change_speed)
            if items:
                return
            await self.stop_play()

        def start() -> list[Item]:
            self.session.refusal("play")  # a REST job is training: 409, and nothing changes
            self.session.playing = True
            self.session.speed = speed
            return self.collect(request_id=rid, ordered=True, visible=True)

        await self._in_thread(start)
        self.player = Player(self, speed)
        self.player.start()

    async def _cmd_pause(self, cmd: schemas.PauseCommand) -> None:
        was_playing = self.player is not None
        await self.stop_play()
        # Play frames carry the boundary only ~10 times a second: the pause's state has the final one.
        await self._in_thread(lambda: self.collect(request_id=cmd.request_id, ordered=True, boundary=was_playing))

    async def _cmd_reset(self, cmd: schemas.ResetCommand) -> None:
        await self._check("reset")
        await self.stop_play()

        def work() -> list[Item]:
            self.session.reset()
            return self.collect(request_id=cmd.request_id, ordered=True, visible=True, boundary=True)

        await self._in_thread(work)

    async def _cmd_set(self, cmd: schemas.SetCommand) -> None:
        if all(getattr(cmd, n) is None for n in ("learning_rate", "optimizer", "batch_size", "regularization")):
            raise InvalidInput("nothing to change: give learning_rate, optimizer, batch_size or regularization")

        def work() -> list[Item]:
            self.session.patch(cmd)
            return self.collect(request_id=cmd.request_id, ordered=True)

        await self._in_thread(work)

    async def _cmd_focus(self, cmd: schemas.FocusCommand) -> None:
        def work() -> list[Item]:
            self.session.set_focus(cmd.index)
            return self.collect(request_id=cmd.request_id, ordered=True, visible=True, focus=True)

        await self._in_thread(work)

    async def _cmd_edit_weight(self, cmd: schemas.EditWeightCommand) -> None:
        def work() -> list[Item]:
            self.session.edit_weight(cmd)
            return self.collect(request_id=cmd.request_id, ordered=True, visible=True, boundary=True)

        try:
            await self._in_thread(work)
        except InvalidInput as exc:
            exc.field = exc.field or _edit_field(cmd, self.session.config.layers)
            raise


    # -- play mode --------------------------------------------------------------------------------------
    async def stop_play(self) -> None:
        """Stop play mode (if on) after its current chunk and wait until it has (the caller says so)."""
        player = self.player
        if player is not None:
            await player.stop()


class Hubs:
    """The hubs of one app, by session id; created on the first WebSocket connection (`hubs_of`)."""

    def __init__(self, registry: SessionRegistry, settings: Settings, jobs: Any | None) -> None:
        self.registry = registry
        self.settings = settings
        self.loop = asyncio.get_running_loop()
        self._hubs: dict[str, Hub] = {}
        self.jobs = jobs
        registry.on_remove.append(self._session_removed)
        if jobs is not None:
            jobs.on_progress.append(self._job_progress)

    def detach(self) -> None:
        """Stop listening to the registry and the job runner (these hubs' event loop is gone)."""
        with contextlib.suppress(ValueError):
            self.registry.on_remove.remove(self._session_removed)
        if self.jobs is not None:
            with contextlib.suppress(ValueError):
                self.jobs.on_progress.remove(self._job_progress)

    def get(self, session: Session) -> Hub:
        hub = self._hubs.get(session.id)
        if hub is None or hub.session is not session:
            hub = self._hubs[session.id] = Hub(session, self)
        return hub

    def forget(self, hub: Hub) -> None:
        if self._hubs.get(hub.session.id) is hub:
            del self._hubs[hub.session.id]

    def __len__(self) -> int:
        return len(self._hubs)

    def _session_removed(self, session: Session, reason: str) -> None:
        """SessionRegistry.on_remove listener (any thread): close the hub's clients with 4404."""
        hub = self._hubs.get(session.id)
        if hub is None or hub.session is not session:
            return
        message = f"the session was {reason}; create a new one"
        hub.call_soon(lambda: hub.spawn(hub.close_all(CLOSE_GONE, message)))

    def _job_progress(self, session: Session, job: JobInfo) -> None:
        """JobRunner.on_progress listener (job thread)."""
        hub = self._hubs.get(session.id)
        if hub is not None and hub.session is session:
            hub.job_progress(job)


def hubs_of(app: Any) -> Hubs:
    """The app's hubs, made on first use in the running event loop (again if the app is served by a new loop,
    as when tests run it twice)."""
    state = app.state
    hubs = getattr(state, "hubs", None)
    if hubs is None or hubs.loop is not asyncio.get_running_loop():
        if hubs is not None:
            hubs.detach()
        hubs = state.hubs = Hubs(state.registry, state.settings, getattr(state, "jobs", None))
    return hubs


def _edit_field(edit: schemas.EditWeight, layers: list[int]) -> str:
    """Which part of a refused weight edit is out of range (the engine's message says how)."""
    if not 1 <= edit.layer < len(layers):
        return "layer"
    if edit.row >= layers[edit.layer]:
        return "row"
    if edit.column is not None and edit.column >= layers[edit.layer - 1]:
        return "column"
    return "value"
