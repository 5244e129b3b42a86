"""One WebSocket client of a session: its socket, its outbox, and the task that sends the outbox's events."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketState

from app import schemas
from app.outbox import Item, Outbox, dump

log = logging.getLogger(__name__)

CLOSE_GONE = 4404  # close code: the session does not exist (any more)
SEND_TIMEOUT_SECONDS = 15.0  # a send the peer has not taken in this long: it reads nothing, drop it


@dataclass(eq=False)
class Client:
    """A connected socket and its pending events; `resyncing` while its hub builds it a snapshot."""

    websocket: WebSocket
    outbox: Outbox
    sender: asyncio.Task | None = None
    resyncing: bool = False
    sending_since: float | None = None  # when the send in progress began (monotonic), None between sends
    watch: str | None = None  # a watcher's link token (app/watch.py): it is sent events with the session id scrubbed

    def stalled_for(self) -> float:
        """Seconds the send in progress has waited for the peer to take data (0 when none is waiting)."""
        since = self.sending_since
        return 0.0 if since is None else time.monotonic() - since

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
                self.sending_since = time.monotonic()
                try:
                    async with asyncio.timeout(SEND_TIMEOUT_SECONDS):  # no task per send, unlike wait_for
                        await ws.send_text(item.text)
                except TimeoutError:
                    outbox.drop(
                        f"this client did not read its events: a message waited {SEND_TIMEOUT_SECONDS:.0f} s to be "
                        "taken; reconnect"
                    )
                    return
                self.sending_since = None
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
