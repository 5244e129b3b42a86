"""uvicorn's HTTP protocol with a deadline for the request line and headers: uvicorn times out idle keep-alive
connections, but not one that opens and never finishes its headers (a thousand such connections stayed open
forever). A connection whose request headers have not all arrived BACKPROP_VIZ_HEADER_SECONDS after it opened,
or after the request began, is answered 408 and closed. (Slow bodies are the app's business: app/middleware.py.)"""

from __future__ import annotations

import asyncio
from asyncio import TimerHandle
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TIMEOUT_TEXT = b"the request headers did not arrive in time (BACKPROP_VIZ_HEADER_SECONDS)\n"
TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    + f"content-length: {len(_TIMEOUT_TEXT)}\r\n\r\n".encode()
    + _TIMEOUT_TEXT
)


def header_timeout_protocol(seconds: float) -> type[HttpToolsProtocol]:
    """The protocol class uvicorn is given (`http=`), closing connections whose headers trickle for `seconds`."""

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        _header_timer: TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.write(TIMEOUT_ANSWER)
                self.transport.close()

    return HeaderTimeoutProtocol


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """uvicorn's own bounds from the settings: header deadline, keep-alive, connections in all, WebSocket size."""
    return {
        "http": header_timeout_protocol(settings.header_seconds),
        "timeout_keep_alive": max(1, round(settings.keep_alive_seconds)),
        "limit_concurrency": settings.max_connections,
        # Twice the app's own limit: a message between the two is refused by the app with a reason naming
        # BACKPROP_VIZ_WS_MAX_MESSAGE_BYTES (1009); a larger one is cut off by uvicorn (1009) before it is buffered.
        "ws_max_size": 2 * settings.ws_max_message_bytes,
        "ws_per_message_deflate": settings.ws_compression,
    }
