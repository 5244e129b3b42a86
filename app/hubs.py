"""The hubs of one app, by session id: made in the app's lifespan (where the event loop runs) and reached by the
WebSocket route through `app.deps`; they pass the registry's removals and the job runner's progress on to the
hub of the session concerned."""

from __future__ import annotations

import asyncio
import contextlib

from app.admission import Slots
from app.client import CLOSE_GONE
from app.config import Settings
from app.hub import Hub
from app.jobs import JobInfo, JobRunner
from app.registry import SessionRegistry
from app.sessions import Session

SPACING_SECONDS = 0.1  # how long a count of the server's clients is used for frame spacing


class Hubs:
    """A hub per session that has WebSocket clients; a hub is made on its first client and forgotten when it
    closes. Make it in the running event loop its hubs will use."""

    def __init__(self, registry: SessionRegistry, settings: Settings, jobs: JobRunner) -> None:
        self.registry = registry
        self.settings = settings
        self.jobs = jobs
        self.loop = asyncio.get_running_loop()
        self._hubs: dict[str, Hub] = {}
        self._spacing = 0.0
        self._spacing_until = -float("inf")
        self.play_slots = Slots(
            settings.max_concurrent_plays, "sessions are playing", "BACKPROP_VIZ_MAX_CONCURRENT_PLAYS"
        )
        registry.on_remove.append(self._session_removed)
        jobs.on_progress.append(self._job_progress)

    def detach(self) -> None:
        """Stop listening to the registry and the job runner (the app is shutting down)."""
        with contextlib.suppress(ValueError):
            self.registry.on_remove.remove(self._session_removed)
        with contextlib.suppress(ValueError):
            self.jobs.on_progress.remove(self._job_progress)

    def get(self, session: Session) -> Hub:
        """The session's hub, made if it has none (or has one for an earlier session of the same id)."""
        hub = self._hubs.get(session.id)
        if hub is None or hub.session is not session:
            hub = self._hubs[session.id] = Hub(
                session,
                registry=self.registry,
                settings=self.settings,
                loop=self.loop,
                on_close=self._forget,
                frame_spacing=self.frame_spacing,
                play_slots=self.play_slots,
                scheduler=self.jobs.scheduler,
            )
        return hub

    # -- admission ----------------------------------------------------------------------------------------
    @property
    def clients(self) -> int:
        """WebSocket clients of every session."""
        return sum(len(hub.clients) for hub in self._hubs.values())

    def frame_spacing(self) -> float:
        """Seconds between two play/sync frames to one client: its share of BACKPROP_VIZ_WS_FRAMES_PER_SECOND
        (counted again at most every SPACING_SECONDS: every frame of every hub asks, and counting visits every hub)."""
        now = self.loop.time()
        if now >= self._spacing_until:
            self._spacing = self.clients / self.settings.ws_frames_per_second
            self._spacing_until = now + SPACING_SECONDS
        return self._spacing

    def refusal(self, session: Session) -> str | None:
        """Why one more client of `session` is refused (the caps of clients per session and in all), or None."""
        settings = self.settings
        hub = self._hubs.get(session.id)
        if hub is not None and hub.session is session and len(hub.clients) >= settings.max_ws_clients_per_session:
            return (
                f"this session has {len(hub.clients)} WebSocket clients, the most allowed "
                "(BACKPROP_VIZ_MAX_WS_CLIENTS_PER_SESSION); try again later"
            )
        if self.clients >= settings.max_ws_clients:
            return f"the server has {self.clients} WebSocket clients, the most allowed (BACKPROP_VIZ_MAX_WS_CLIENTS)"
        return None

    def __len__(self) -> int:
        return len(self._hubs)

    def _forget(self, hub: Hub) -> None:
        """A hub closed (its last client left)."""
        if self._hubs.get(hub.session.id) is hub:
            del self._hubs[hub.session.id]

    def _session_removed(self, session: Session, reason: str) -> None:
        """SessionRegistry.on_remove listener (any thread): close the hub's clients with 4404."""
        hub = self._hubs.get(session.id)
        if hub is None or hub.session is not session:
            return
        message = f"the session was {reason}; create a new one"
        hub.call_soon(lambda: hub.spawn(hub.close_all(CLOSE_GONE, message)))

    def close_watchers(self, session: Session, token: str, code: int, reason: str) -> None:
        """Close the sockets watching `session` through `token` (any thread: its link was revoked)."""
        hub = self._hubs.get(session.id)
        if hub is not None and hub.session is session:
            hub.call_soon(hub.close_watchers, token, code, reason)

    def _job_progress(self, session: Session, job: JobInfo) -> None:
        """JobRunner.on_progress listener (job thread)."""
        hub = self._hubs.get(session.id)
        if hub is not None and hub.session is session:
            hub.job_progress(job)
