"""Play and sync frames paced for all the clients of a session at once: with many WebSocket clients on the server,
a hub hands its clients a frame at most every `spacing()` seconds — the session's share of
BACKPROP_VIZ_WS_FRAMES_PER_SECOND — and coalesces what is published meanwhile (the newest state, every metrics
point merged, the latest job) into one frame that every client is sent as it is: one serialization, shared.
Pacing per client instead would give each client its own merge of the points, and so its own serialization — 150
readers of a playing session at 10 frames a second each cost more than the event loop has. Events that keep their
place (a command's answer, a phase record) are never held back: they flush what is held, then go at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.outbox import Item, Outbox

UNPACED_SPACING = 1.0 / 60  # below this, frames go out as they are published (the player paces them already)


class FramePacer:
    """Holds coalescable items between deliveries to every client (`deliver`), `spacing()` seconds apart."""

    def __init__(self, deliver: Callable[[list[Item]], None], spacing: Callable[[], float]) -> None:
        self.deliver = deliver
        self.spacing = spacing
        self.held = Outbox(max_items=1 << 30, max_bytes=1 << 62, max_metrics_points=1 << 62)
        self._next = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def publish(self, items: list[Item]) -> None:
        """In the event loop: deliver now, or hold until the next frame is due."""
        loop = asyncio.get_running_loop()
        spacing = self.spacing()
        if not self.held.pending and (spacing <= UNPACED_SPACING or loop.time() >= self._next):
            self.deliver(items)  # nothing held, and the frame is due: no timer, no copy into the held outbox
            if spacing > UNPACED_SPACING:
                self._next = loop.time() + spacing
            return
        for item in items:
            self.held.push(item)
            if item.kind == "ordered":
                self.flush()
        if self.held.pending and self._timer is None:
            self._timer = loop.call_at(max(self._next, loop.time()), self.flush)

    def flush(self) -> None:
        """Deliver everything held, in order, as one frame."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items = []
        while (item := self.held.pop()) is not None:
            items.append(item)
        if items:
            self.deliver(items)
            loop = asyncio.get_running_loop()
            self._next = loop.time() + self.spacing()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
