"""Watch links: a session's owner lets others see it live, read-only, through a token that is not its id.

The session id is the capability to change a session (anyone who knows it can step, reset or delete it), so a
watcher reaches the session through the watch token alone and must never learn the id: every REST answer and
WebSocket event a watcher gets passes through `scrub`, which puts the watch token where the id was (`state.id`
reads as the token). A session has at most one link at a time; revoking it closes its watchers' sockets
(CLOSE_REVOKED) and forgets the token, so a new link is a new token. Links live as long as the session: with
persistence on they are kept in the store beside it, so a restart keeps the links a class was given (`restore`).
See docs/protocol.md, "Watch links".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.errors import NotFound
from app.ids import new_watch_token
from app.outbox import Item, StateFrame
from app.registry import SessionRegistry
from app.sessions import Session
from app.store import Store

log = logging.getLogger(__name__)

CLOSE_REVOKED = 4410  # close code: the watch link was revoked (the session's owner took it back)
REVOKED_REASON = "the watch link was revoked by the session's owner; ask for a new one"
UNKNOWN_LINK = "no such watch link: it was revoked, the session was deleted or expired, or the link is mistyped"
READ_ONLY = "this is a watch link: it shows the session live but cannot change it (commands are refused)"


def watch_url(token: str) -> str:
    """Where a watcher opens the page (relative to the app's root)."""
    return f"/watch/{token}"


@dataclass(frozen=True)
class Link:
    """A live watch link: its token and the session it shows."""

    token: str
    session: Session


class WatchLinks:
    """The watch links of one app (`app.state.watch`): token ↔ session, at most one link per session."""

    def __init__(self, registry: SessionRegistry, store: Store | None = None) -> None:
        self.registry = registry
        self.store = store  # persistence on: links are kept beside their sessions
        self._by_token: dict[str, Session] = {}
        self._by_session: dict[str, str] = {}
        self._lock = threading.Lock()
        registry.on_remove.append(self._session_removed)

    def restore(self) -> int:
        """Take back the kept links of the sessions this process holds (after the sessions were restored); how
        many. A link whose session did not come back is left to that session's owner (another worker) or to
        its deletion."""
        if self.store is None:
            return 0
        try:
            kept = self.store.watch_links()
        except Exception:
            log.exception("the watch links could not be read back; their owners can make new ones")
            return 0
        restored = 0
        with self._lock:
            for session_id, token in kept:
                session = self.registry.get_quietly(session_id)
                if session is not None and token not in self._by_token:
                    self._by_token[token] = session
                    self._by_session[session_id] = token
                    restored += 1
        return restored

    def _keep(self, change: Callable[[Store], None]) -> None:
        """Mirror a change in the store; a failure is logged (the link works, or stays revoked, until a restart)."""
        if self.store is None:
            return
        try:
            change(self.store)
        except Exception:
            log.exception("a watch link could not be kept in the store; it holds until the server restarts")

    def create(self, session: Session) -> tuple[str, bool]:
        """The session's link token, made if it has none; True when it was made now."""
        with self._lock:
            token = self._by_session.get(session.id)
            if token is not None and self._by_token.get(token) is session:
                return token, False
            token = new_watch_token(self.registry.settings.shard)
            self._by_token[token] = session
            self._by_session[session.id] = token
        self._keep(lambda store: store.save_watch_link(session.id, token))
        return token, True

    def revoke(self, session: Session) -> str | None:
        """Forget the session's link; its token (None if it had none)."""
        with self._lock:
            token = self._by_session.pop(session.id, None)
            if token is not None:
                self._by_token.pop(token, None)
        if token is not None:
            self._keep(lambda store: store.delete_watch_link(session.id))
        return token

    def token_of(self, session: Session) -> str | None:
        with self._lock:
            return self._by_session.get(session.id)

    def get(self, token: str) -> Link:
        """The link a token names, its session still live (404 with UNKNOWN_LINK otherwise; it counts as a use
        of the session, as the owner's reads do)."""
        with self._lock:
            session = self._by_token.get(token)
        if session is None or self.registry.get_quietly(session.id) is not session:
            raise NotFound(UNKNOWN_LINK, field="token")
        session.touch()
        return Link(token, session)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_token)

    def _session_removed(self, session: Session, reason: str) -> None:
        """SessionRegistry.on_remove listener: a deleted or expired session's link goes with it."""
        with self._lock:
            token = self._by_session.get(session.id)
            if token is not None and self._by_token.get(token) is session:
                del self._by_session[session.id]
                del self._by_token[token]


# ---------------------------------------------------------------------------------------------------------
# What a watcher is sent: the session id replaced by the watch token, wherever it occurs
# ---------------------------------------------------------------------------------------------------------
def scrub(text: str, session_id: str, token: str) -> str:
    """`text` with every occurrence of the session id replaced by the watch token."""
    return text.replace(session_id, token) if session_id in text else text


def scrub_item(item: Item, session_id: str, token: str) -> Item:
    """A published event as a watcher gets it (metrics batches carry no id and are shared as they are)."""
    payload = item.payload
    if isinstance(payload, str):
        clean = scrub(payload, session_id, token)
        return item if clean is payload else Item(item.kind, clean)
    if isinstance(payload, StateFrame):
        parts = [
            None if part is None else scrub(part, session_id, token)
            for part in (payload.state, payload.visible, payload.focus, payload.boundary, payload.diagnostics)
        ]
        state, visible, focus, boundary, diagnostics = parts
        assert state is not None
        request_id = payload.request_id
        if isinstance(request_id, str):
            request_id = scrub(request_id, session_id, token)
        return Item(item.kind, StateFrame(state, request_id, visible, focus, boundary, diagnostics))
    return item
