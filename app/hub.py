"""The hub of one session: its WebSocket clients and the one ordered stream of events they all see.

Everything that changes a session is turned into events in one place: a worker thread holds the session lock
while it changes the session (a command, a play chunk) and collects the events that change produced (phase
records, new metrics points, the state), then hands them to the event loop with `call_soon_threadsafe`.
Callbacks run in the order they were scheduled and the session lock orders the collections, so every client
receives the same events in the same order. Changes made elsewhere (REST calls, training jobs) are noticed
through the session's listeners and published as frames. What clients may ask is in app/commands.py; how each
client's events are queued and coalesced is in app/outbox.py. See docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import anyio.to_thread
from starlette.websockets import WebSocket

from app import convert, schemas
from app.admission import Slots
from app.client import Client
from app.config import Settings
from app.errors import NotFound
from app.jobs import JobInfo, lower_priority
from app.outbox import OUTBOX_MIN_ITEMS, Item, MetricsBatch, Outbox, StateFrame, dump
from app.pacing import FramePacer
from app.play import Chunk, Player
from app.registry import SessionRegistry
from app.scheduler import Scheduler
from app.sessions import Session
from app.sessions.presenting import HISTORY_POINTS_SENT
from app.watch import scrub, scrub_item
from engine.training import Diverged

log = logging.getLogger(__name__)
_running_loop = asyncio._get_running_loop  # the loop running in this thread, or None (no exception, unlike get_)

STALLED_SECONDS = 2.0  # a send waiting this long for the peer to read: the peer reads nothing
INLINE_MAX_PARAMETERS = 5_000  # `Hub.run(small=True)` runs in the event loop for networks up to this size


class Hub:
    """Clients of one session, the lock that runs their commands one at a time, play mode, and the event stream."""

    def __init__(
        self,
        session: Session,
        *,
        registry: SessionRegistry,
        settings: Settings,
        loop: asyncio.AbstractEventLoop,
        on_close: Callable[[Hub], None],
        frame_spacing: Callable[[], float] = lambda: 0.0,
        play_slots: Slots | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.session = session
        self.scheduler = (
            scheduler if scheduler is not None else Scheduler(settings.training_threads, on_thread_start=lower_priority)
        )  # not `or`: a Scheduler with no tasks is falsy (len 0)
        self.registry = registry
        self.settings = settings
        self.loop = loop
        self._on_close = on_close
        self.pacer = FramePacer(self._deliver, frame_spacing)  # play/sync frames, paced when clients are many
        self.play_slots = (
            play_slots
            if play_slots is not None  # an empty Slots is falsy
            else Slots(settings.max_concurrent_plays, "sessions are playing", "BACKPROP_VIZ_MAX_CONCURRENT_PLAYS")
        )
        self.clients: list[Client] = []
        self.command_lock = asyncio.Lock()  # one command at a time per session
        self.player: Player | None = None
        self.play_chunk = 1  # passes per play frame, as last measured (the next play starts from it)
        # Where the stream stands (touched only under the session lock, in worker threads):
        self.metrics_cursor: tuple[int, int] | None = None
        self.published_revision = -1
        self.published_generation = -1  # a rebuilt session is sent whole, as a snapshot
        self.published_lesson = -1  # the lesson's revision last sent as a `lesson` event
        self.published_diagnostics = -1  # the session's diagnostics version last sent in a `state` event
        self.boundary_seconds = 0.0  # what the last decision boundary sent took to make and serialize
        self.published_flags: list[tuple[str, int | None]] | None = None  # the flags' kinds and layers last sent
        # Changes made elsewhere (REST, jobs) are noticed through the session's listeners:
        self._dirty = asyncio.Event()
        self._force_sync = False
        self._poked = False
        self._watcher: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()  # resyncs and closes in flight (kept referenced)
        self._closed = False
        session.listeners.append(self._on_change)

    # -- clients ----------------------------------------------------------------------------------------
    def attach(self, websocket: WebSocket, watch: str | None = None) -> Client:
        """Register a client and start its sender; it gets nothing until `resync` gives it its snapshot. A watcher
        (`watch`: its link's token) gets every event with the session id replaced by the token (app/watch.py)."""
        max_items = max(OUTBOX_MIN_ITEMS, 2 * self.settings.max_step_records + 64)
        outbox = Outbox(max_items=max_items, max_bytes=self.settings.ws_backlog_bytes)
        client = Client(websocket, outbox, watch=watch)
        client.outbox.needs_snapshot = True
        if watch is None:  # those who may change the session come before the watchers (`_deliver`'s order)
            self.clients.insert(next((k for k, c in enumerate(self.clients) if c.watch), len(self.clients)), client)
        else:
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
        """Forget a client; the last one out that may change the session (watchers cannot: nobody would be left to
        pause) stops play mode, and the last one of all closes the hub."""
        if client in self.clients:
            self.clients.remove(client)
        if client.sender is not None:
            client.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await client.sender
        if self.clients and self.player is not None and all(c.watch is not None for c in self.clients):
            self.spawn(self._stop_for_watchers())  # a task: the leaving socket's handler may be cancelled
        elif not self.clients:
            await self.stop_play()
            if not self.clients:
                self.close()

    async def _stop_for_watchers(self) -> None:
        """Stop play (only watchers are left) and show them it stopped."""
        await self.stop_play()
        if self.clients:
            await self.run(lambda: self.collect(visible=True, boundary=True))

    def close(self) -> None:
        """Stop watching the session and leave the app's hubs (the last client has gone)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(ValueError):
            self.session.listeners.remove(self._on_change)
        if self._watcher is not None:
            self._watcher.cancel()
        self.pacer.close()
        self._on_close(self)

    async def close_all(self, code: int, reason: str) -> None:
        """Stop play and close every client (the session is gone)."""
        await self.stop_play()
        for client in list(self.clients):
            client.outbox.request_close(code, reason)

    def close_watchers(self, token: str, code: int, reason: str) -> int:
        """Close the clients watching through `token` (its link was revoked); how many there were."""
        watchers = [c for c in self.clients if c.watch == token]
        for client in watchers:
            client.outbox.request_close(code, reason)
        return len(watchers)

    def spawn(self, coroutine: Any) -> asyncio.Task:
        """Run a coroutine as a task the hub keeps referenced until it ends."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def alive(self) -> bool:
        """Whether the session is still in the registry (looking counts as using it)."""
        try:
            return self.registry.get(self.session.id) is self.session
        except NotFound:
            return False

    # -- publishing -------------------------------------------------------------------------------------
    def publish(self, items: Iterable[Item]) -> None:
        """Hand events to every client (event loop thread), in order; play and sync frames go through the pacer
        (app/pacing.py), which holds and coalesces them when the server has many clients."""
        self.pacer.publish(list(items))

    def _deliver(self, items: list[Item]) -> None:
        """Push `items` to every client in `clients` order — those who may change the session first, then the
        watchers (`attach` keeps it so) — so that a command's answer is on its way before the event loop serves a
        class watching the session."""
        scrubbed: dict[str, list[Item]] = {}  # per watch token, made once for all its watchers
        for client in list(self.clients):
            outbox = client.outbox
            mine = items
            if client.watch is not None:
                mine = scrubbed.get(client.watch)  # type: ignore[assignment]
                if mine is None:
                    mine = scrubbed[client.watch] = [scrub_item(i, self.session.id, client.watch) for i in items]
            for item in mine:
                outbox.push(item)
            self._follow_up(client)

    def publish_threadsafe(self, items: list[Item]) -> None:
        """From a worker thread that holds the session lock (or the loop's own thread, for an inline command): keeps
        the order of collection. The events are serialized here, in the thread that made them, so that the event
        loop — which every client and every student's command waits for — only sends them."""
        for item in items:
            _ = item.text
        self.call_soon(self.publish, items)

    def call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        """Run `callback` in the event loop, from any thread; nothing happens once the loop is closed (the app
        is shutting down and there is nobody left to tell). From the loop's own thread (a small command run
        inline) it is queued without waking the loop through its self-pipe: the loop is running this very code."""
        with contextlib.suppress(RuntimeError):
            if _running_loop() is self.loop:
                self.loop.call_soon(callback, *args)
            else:
                self.loop.call_soon_threadsafe(callback, *args)

    def _follow_up(self, client: Client) -> None:
        """Start the resync an outbox asked for (after an overflow) — unless the client's last send has waited
        STALLED_SECONDS for it to read: a client that reads nothing is dropped, not given a costly snapshot."""
        outbox = client.outbox
        if client.resyncing:
            return
        if (outbox.needs_snapshot or outbox.needs_metrics) and client.stalled_for() > STALLED_SECONDS:
            outbox.drop(
                f"this client did not read its events: its backlog overflowed while nothing it was sent had been "
                f"taken for {client.stalled_for():.0f} s (BACKPROP_VIZ_WS_BACKLOG_BYTES); reconnect"
            )
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
        with self.scheduler.interactive(), self.session.lock:
            self._catch_up()
            if full:
                text = dump(self.session.snapshot())
                self.call_soon(self._install, client, text)
            else:
                history = self.session.metrics_history(HISTORY_POINTS_SENT)
                batch = MetricsBatch(history.per_pass, history.per_epoch, replace=True)
                self.call_soon(self._install, client, batch)

    def _install(self, client: Client, payload: str | MetricsBatch) -> None:
        self.pacer.flush()  # what was published before the snapshot was taken reaches the others first
        if isinstance(payload, str):
            if client.watch is not None:
                payload = scrub(payload, self.session.id, client.watch)
            client.outbox.install_snapshot(payload)
        else:
            client.outbox.install_metrics(payload)

    # -- collecting (worker thread, session lock held) --------------------------------------------------
    def _catch_up(self) -> None:
        """Publish what changed since the last collection (REST, a job), so a snapshot can follow."""
        if self.metrics_cursor is None:
            self.metrics_cursor = self.session.metrics_lengths()
            self.published_revision = self.session.revision
            self.published_generation = self.session.generation
            self.published_lesson = self.session.lesson_revision
            self._diagnostics_published()
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
        """The events that bring clients up to date: the health flags if they changed, new metrics points, then
        (`before_state`), the lesson's open step if it changed, the state (with new layer statistics, if any). A
        session rebuilt in place (a new network and data) is sent whole instead: a snapshot, then the state.

        A command's state is `ordered` (it carries the command's request_id and is never coalesced away);
        play and sync frames are coalescable (`state`).
        """
        session = self.session
        if session.generation != self.published_generation:
            return self._collect_rebuilt(request_id, before_state)
        items: list[Item] = []
        diagnostics = self._collect_diagnostics(items, request_id)  # a `flags` event goes first
        cursor = self.metrics_cursor or (0, 0)
        per_pass, per_epoch, self.metrics_cursor, replace = session.metrics_since(cursor)
        if replace or per_pass["pass"] or per_epoch["epoch"]:
            items.append(Item("metrics", MetricsBatch(per_pass, per_epoch, replace, request_id)))
        items.extend(before_state or ())
        if session.lesson_revision != self.published_lesson:
            self.published_lesson = session.lesson_revision
            lesson = schemas.LessonEvent(lesson=session.lesson_view(), request_id=request_id)
            items.append(Item("ordered", dump(lesson)))
        frame = StateFrame.made(
            session.state_json(),
            request_id,
            visible=session.visible_records() if visible else None,
            focus=session.focus_sample() if focus else None,
            boundary=self._boundary_json() if boundary else None,
            diagnostics=diagnostics,
        )
        items.append(Item("ordered" if ordered else "state", frame))
        self.published_revision = session.revision
        return items

    def _boundary_json(self) -> str | None:
        """The decision boundary on the wire; what it took (made and serialized) is `boundary_seconds`, which
        play charges to the session's training (app/play.py)."""
        started = time.thread_time()
        boundary = self.session.boundary()
        text = None if boundary is None else boundary.model_dump_json(by_alias=True)
        self.boundary_seconds = time.thread_time() - started
        return text

    def _collect_diagnostics(self, items: list[Item], request_id: str | int | None) -> schemas.FrameDiagnostics | None:
        """The layer statistics if they were measured again since the last frame (app/sessions/watching.py says
        when: at every pass while idle, at most BACKPROP_VIZ_DIAGNOSTICS_RATE a second while busy), and a
        `flags` event in `items` when the set of flags (kinds and layers) changed."""
        update = self.session.diagnostics_since(self.published_diagnostics)
        if update is None:
            return None
        self.published_diagnostics = update.version
        if update.flag_keys != self.published_flags:
            self.published_flags = update.flag_keys
            items.append(Item("flags", dump(schemas.FlagsEvent(flags=update.flags, request_id=request_id))))
        return update.frame

    def _diagnostics_published(self) -> None:
        """A snapshot carries the statistics and flags now: the stream goes on from them."""
        update = self.session.diagnostics_since(-1)
        if update is not None:
            self.published_diagnostics = update.version
            self.published_flags = update.flag_keys

    def _collect_rebuilt(self, request_id: str | int | None, before_state: list[Item] | None) -> list[Item]:
        """After a rebuild: everything anew (the snapshot covers metrics and lesson), then the state a command
        answers with."""
        session = self.session
        snapshot = session.snapshot()
        snapshot.request_id = request_id
        self.metrics_cursor = session.metrics_lengths()
        self.published_revision = session.revision
        self.published_generation = session.generation
        self.published_lesson = session.lesson_revision
        self._diagnostics_published()
        state = schemas.StateEvent(request_id=request_id, state=snapshot.state)
        return [*(before_state or ()), Item("ordered", dump(snapshot)), Item("ordered", StateFrame.of(state))]

    def collect_diverged(self, info: Diverged, request_id: str | int | None = None) -> list[Item]:
        """After a refused pass: new metrics, the `diverged` event (with the state before the pass), the state."""
        state = self.session.state()
        event = schemas.DivergedEvent(diverged=convert.diverged(info), state=state, request_id=request_id)
        diverged = Item("ordered", dump(event))
        return self.collect(request_id=request_id, ordered=True, visible=True, boundary=True, before_state=[diverged])

    def run_locked(self, work: Callable[[], list[Item]], then: Callable[[], list[Item]] | None = None) -> list[Item]:
        """Run `work` (it changes the session and collects the events) under the session lock and publish; with
        `then`, publish `work`'s events (the answer) first, then collect and publish the rest."""
        with self.session.lock:
            items = work()
            if items:
                self.publish_threadsafe(items)
            if then is not None:
                rest = then()
                if rest:
                    self.publish_threadsafe(rest)
                items = [*items, *rest]
            return items

    async def run(
        self, work: Callable[[], list[Item]], small: bool = False, then: Callable[[], list[Item]] | None = None
    ) -> list[Item]:
        """`run_locked` in a worker thread (the event loop never waits for the session lock); interactive work
        meanwhile: no play or job slice starts until it is done (app/scheduler.py).

        `small` work (one phase or one pass, a focus: a caller's promise) on a network of at most
        INLINE_MAX_PARAMETERS runs right here in the event loop when the session lock is free — a fraction of a
        millisecond, and the two thread hand-overs it saves are most of a lone student's round trip. Its events
        still go through the loop's queue, behind anything a training thread published before.

        `then` collects what follows the answer (the state after a step): inline, `work`'s events are handed to
        the clients and the loop lets their senders run before `then` is collected, so the answer is on the wire
        while the rest is still being made; in a worker thread both run under one hold of the lock."""
        with self.scheduler.interactive():
            if small and self.session.network.parameter_count <= INLINE_MAX_PARAMETERS:
                lock = self.session.lock
                if lock.acquire(blocking=False):
                    try:
                        if then is None:
                            return self.run_locked(work)
                        items = work()
                    finally:
                        lock.release()
                    await self._answer_first(items)
                    if lock.acquire(blocking=False):
                        try:
                            return [*items, *self.run_locked(then)]
                        finally:
                            lock.release()
                    return [*items, *await anyio.to_thread.run_sync(self.run_locked, then)]
            return await anyio.to_thread.run_sync(self.run_locked, work, then)

    async def _answer_first(self, items: list[Item]) -> None:
        """Deliver an inline command's answer behind whatever the loop was already asked to publish, then yield
        to the loop (twice) so that the senders it woke write it out before the rest is collected."""
        if not items:
            return
        self.publish_threadsafe(items)  # from the loop's own thread: queued behind earlier publishes, no wake-up
        await asyncio.sleep(0)  # the publish (queued behind earlier ones) runs and wakes the senders ...
        await asyncio.sleep(0)  # ... which run before this task goes on: the answer is written to the sockets

    # -- changes made elsewhere -------------------------------------------------------------------------
    def _on_change(self) -> None:
        """Session listener (any thread, session lock held): wake the watcher once — not while the session plays:
        its play frames carry every change (a slice's change would wake the event loop once more for nothing)."""
        if not self._poked and self.player is None:
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
                async with self.command_lock:
                    force, self._force_sync = self._force_sync, False
                    if not force and self.session.revision == self.published_revision:
                        continue  # a command was collecting its own change (its answer went out first)
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

    # -- play mode --------------------------------------------------------------------------------------
    def start_play(self, speed: float | None) -> None:
        """Start play mode as a task of the training scheduler (the caller has marked the session as playing,
        under its lock, after taking a play slot with `play_slots.take(self)`)."""
        self.player = Player(
            speed,
            frame_rate=self.settings.frame_rate,
            chunk=self.play_chunk,
            train=self._play_chunk,
            end=self._play_ended,
            finished=self._player_finished,
            scheduler=self.scheduler,
            slice_seconds=self.settings.slice_seconds,
            name=f"play-{self.session.id[:8]}",
        )
        self.player.start()

    async def stop_play(self) -> None:
        """Stop play mode (if on) after its current chunk and wait until it has."""
        player = self.player
        if player is not None:
            await player.stop()

    def _play_chunk(self, passes: int, boundary: bool, frame: bool = True) -> Chunk | None:
        """Player callback (training thread): train a chunk and publish its frame if one is due (the points
        trained meanwhile wait in the session, behind the metrics cursor); the session lock covers both, so the
        frame shows exactly the state after the chunk. A divergence ends play with the `diverged` event."""
        session = self.session
        with session.lock:
            if not session.playing:  # stopped from elsewhere
                return None
            started = time.thread_time()  # the chunk's own cost, not the load's: fair slices under contention
            result = session.train_chunk(passes)
            seconds = time.thread_time() - started
            if result.diverged is None:
                if not frame:
                    return Chunk(result.passes, seconds)
                self.publish_threadsafe(self.collect(visible=True, boundary=boundary))
                return Chunk(result.passes, seconds, boundary_seconds=self.boundary_seconds if boundary else 0.0)
            session.playing = False
            session.speed = None
            self.publish_threadsafe(self.collect_diverged(result.diverged))
            return Chunk(result.passes, seconds, diverged=True)

    def _play_ended(self, stopped: bool) -> None:
        """Player callback (training thread): take the session out of play; if play ended by itself while the
        session still showed it playing, say so with a state."""
        session = self.session
        with session.lock:
            was_playing = session.playing
            session.playing = False
            session.speed = None
            session.settle()  # a lesson check put off while playing
            if was_playing and not stopped:
                self.publish_threadsafe(self.collect(ordered=True, boundary=True))
            elif stopped and session.revision != self.published_revision:
                # Points trained since the last frame go out as a last play frame, before the stopping command
                # answers: its own events stay its own.
                self.publish_threadsafe(self.collect(visible=True))

    def _player_finished(self, player: Player) -> None:
        """Player callback (event loop): the loop is over; the next play starts from its chunk size."""
        self.play_chunk = player.chunk
        if self.player is player:
            self.player = None
            self.play_slots.give(self)
            if self.session.revision != self.published_revision:
                self._dirty.set()  # changed while play frames were due (a REST call, a lesson's last check)
