"""One WebSocket client of a session: its socket, its outbox, and the task that sends the outbox's events.

Play and sync frames (the coalescing `state`, `metrics`, `job`) are paced: a client gets one at most every
`frame_spacing()` seconds — its share of BACKPROP_VIZ_WS_FRAMES_PER_SECOND across every client of the server —
and the outbox coalesces what comes meanwhile, so 200 watchers cost the event loop what 40 would at full rate.
Events that keep their place (a command's answer, a phase record) are never held back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketState

from app import schemas
from app.outbox import Item, Outbox, dump

log = logging.getLogger(__name__)

CLOSE_GONE = 4404  # close code: the session does not exist (any more)


@dataclass(eq=False)
class Client:
    """A connected socket and its pending events; `resyncing` while its hub builds it a snapshot."""

    websocket: WebSocket
    outbox: Outbox
    sender: asyncio.Task | None = None
    resyncing: bool = False
    frame_spacing: Callable[[], float] = field(default=lambda: 0.0)

    async def send_loop(self) -> None:
        """Send the outbox's events as they come; a slow socket only delays this client."""
        outbox = self.outbox
        ws = self.websocket
        loop = asyncio.get_running_loop()
        next_frame = 0.0
        try:
            while True:
                item = outbox.pop_queued()
                if item is None and outbox.has_frames:
                    wait = next_frame - loop.time()
                    if wait > 0:  # this client's share of the frame budget: let the slots coalesce meanwhile
                        outbox.wakeup.clear()
                        await asyncio.sleep(wait)
                        continue
                    item = outbox.pop()
                    next_frame = loop.time() + self.frame_spacing()
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
