"""The watchers' WebSocket `/ws/watch/{token}`: the same events as `/ws/sessions/{id}` (a snapshot, then every
phase, frame, metrics point, job and lesson event), with the session id replaced by the token; every command is
answered with an `error` event and changes nothing.

Refusals as on the session socket (app/api/routes/ws.py): 1008 before the handshake for a foreign origin or a
missing access token; an unknown or revoked token is accepted and closed at once with 4404 and the reason; the
clients' caps with 1013. Revoking the link closes the socket with 4410 (app/watch.py); a deleted session with 4404.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, WebSocket

from app.api.routes.ws import CLOSE_TOO_BIG, accept_session_socket, close_now, messages
from app.client import CLOSE_GONE
from app.deps import HubsDep
from app.watch import CLOSE_REVOKED, READ_ONLY, REVOKED_REASON, WatchLinks

router = APIRouter(tags=["websocket"])


@router.websocket("/ws/watch/{token}")
async def watch_socket(websocket: WebSocket, token: str, hubs: HubsDep) -> None:
    app = websocket.app
    links: WatchLinks = app.state.watch
    session = await accept_session_socket(websocket, hubs, lambda: links.get(token).session)
    if session is None:
        return
    hub = hubs.get(session)
    client = hub.attach(websocket, watch=token)
    limit = app.state.settings.ws_max_message_bytes
    try:
        await hub.resync(client)  # the snapshot comes first
        if links.token_of(session) != token:  # revoked (or the session deleted) while it connected
            client.outbox.request_close(*_gone(hub.alive()))
        async for message in messages(websocket, client):
            text = message.get("text")
            size = len(text) if text is not None else len(message.get("bytes") or b"")
            if size > limit:
                await close_now(
                    websocket, CLOSE_TOO_BIG, f"a message may have at most {limit:,} bytes; a watch link sends none"
                )
                break
            client.error(READ_ONLY, request_id=_request_id(text))
        if client.outbox.dropped is not None:
            await close_now(websocket, *client.outbox.dropped)
    finally:
        await hub.leave(client)


def _gone(alive: bool) -> tuple[int, str]:
    return (CLOSE_REVOKED, REVOKED_REASON) if alive else (CLOSE_GONE, "the session was deleted; ask for a new link")


def _request_id(text: str | None) -> str | int | None:
    """The request_id a refused command carried, so the error answers it (None if there is none)."""
    if text is None or len(text) > 8192:
        return None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return None
    rid = raw.get("request_id") if isinstance(raw, dict) else None
    return rid if isinstance(rid, str | int) and not isinstance(rid, bool) else None
