"""The gate every HTTP request and WebSocket passes before any route runs, as one ASGI middleware.

In this order, before a byte of the body is read:
1. **Host.** The `Host` header must name this server (app/security.py `host_refusal`): a page that reached it
   through DNS rebinding carries its own domain name there and is refused (400; a WebSocket: 1008).
2. **Token.** `/api/…` (but `/api/health`) needs BACKPROP_VIZ_TOKEN when one is set (401), so a 200 MB body
   without it is refused unread.
3. **No cross-site writes.** A POST must be one a foreign page cannot send without a CORS preflight: a JSON
   content type, or a custom header (`X-Backprop-Viz-Request`, the token headers) — 403 otherwise.
4. **Bounded bodies.** A declared Content-Length over the route's limit is refused at once (413); the body is
   counted as it streams (413 as soon as it passes the limit), must keep arriving (nothing for
   BACKPROP_VIZ_BODY_IDLE_SECONDS: 408) and be whole within BACKPROP_VIZ_BODY_SECONDS (408). At most
   BACKPROP_VIZ_MAX_CONCURRENT_UPLOADS uploads and imports stream in at once (429 beyond).
And on every answer: the security headers (a Content-Security-Policy that allows only the app's own scripts,
`frame-ancestors` from BACKPROP_VIZ_FRAME_ANCESTORS, `nosniff`, `Referrer-Policy: no-referrer`).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.streaming import MULTIPART_OVERHEAD
from app.config import Settings
from app.security import REQUEST_HEADER, csrf_refusal, host_refusal, needs_token, token_refusal

# A body refused while it streams: answered by the app's HTTPException handler with {"detail", "field"}.
CLOSE = {"Connection": "close"}  # a refused request's body is not worth reading: uvicorn closes after the answer


class BodyRefused(HTTPException):
    """A request body over its limit (413) or too slow (408); raised from `receive`, so the route stops."""

    field = "body"

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail, headers=CLOSE)


@dataclass(frozen=True)
class BodyLimit:
    """The most bytes a route's body may have, and the setting that says so."""

    limit: int
    setting: str
    what: str


def body_limit(method: str, path: str, settings: Settings) -> BodyLimit:
    """The limit of a request's body: an import and a CSV upload have their own, every other body (JSON)
    BACKPROP_VIZ_MAX_JSON_BYTES."""
    if method == "POST" and path.rstrip("/") == "/api/sessions/import":
        return BodyLimit(settings.max_import_bytes, "BACKPROP_VIZ_MAX_IMPORT_BYTES", "the session document")
    if method == "POST" and path.rstrip("/") == "/api/datasets":
        return BodyLimit(settings.max_upload_bytes + MULTIPART_OVERHEAD, "BACKPROP_VIZ_MAX_UPLOAD_BYTES", "the upload")
    return BodyLimit(settings.max_json_bytes, "BACKPROP_VIZ_MAX_JSON_BYTES", "the request body")


def too_large(limit: BodyLimit) -> str:
    return (
        f"{limit.what} is larger than the limit of {limit.limit:,} bytes ({limit.setting}); send less, or ask the "
        "server's operator to raise the limit"
    )


def content_security_policy(settings: Settings, host: str | None) -> str:
    """Only the app's own scripts (ES modules from /static, Plotly from /vendor, the docs' bundles); the inline
    styles Plotly and Swagger UI set; data: images (the favicon); the WebSocket to this host; framing by
    BACKPROP_VIZ_FRAME_ANCESTORS only."""
    sockets = f" ws://{host} wss://{host}" if host and _plain_host(host) else ""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            f"connect-src 'self'{sockets}",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors " + " ".join(settings.frame_ancestors or ["'none'"]),
        )
    )


def _plain_host(host: str) -> bool:
    """A Host value safe to repeat inside a header (letters, digits, dots, colons, brackets, dashes)."""
    return all(c.isalnum() or c in ".:-[]" for c in host)


class Guard:
    """The ASGI middleware described in the module docstring; `create_app` puts it outermost."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.uploads = 0  # uploads and imports in progress (event loop only)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = host_refusal(HTTPConnection(scope), self.settings)
        if refusal is not None:  # before the handshake: the HTTP answer is 403
            await send({"type": "websocket.close", "code": 1008, "reason": refusal[:120]})
            return
        await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        conn = HTTPConnection(scope)
        send = self._with_headers(send, conn.headers.get("host"))
        method = scope["method"]
        path = scope["path"]
        refusal = host_refusal(conn, self.settings)
        if refusal is not None:
            await _answer(send, 400, refusal, "Host", CLOSE)
            return
        if needs_token(path):
            reason = token_refusal(conn, self.settings)
            if reason is not None:
                await _answer(send, 401, reason, "token", {"WWW-Authenticate": "Bearer", **CLOSE})
                return
        reason = csrf_refusal(conn)
        if reason is not None:
            await _answer(send, 403, reason, REQUEST_HEADER, CLOSE)
            return
        limit = body_limit(method, path, self.settings)
        declared = conn.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _answer(send, 400, "the Content-Length header is not a whole number", "Content-Length", CLOSE)
                return
            if int(declared) > limit.limit:
                await _answer(send, 413, too_large(limit), "body", CLOSE)
                return
        if limit.setting == "BACKPROP_VIZ_MAX_JSON_BYTES":
            await self.app(scope, self._bounded(receive, limit), send)
            return
        # An upload or an import: a few at a time, each holding a worker, a temporary file, a parse.
        if self.uploads >= self.settings.max_concurrent_uploads:
            detail = (
                f"{self.uploads} uploads and imports are already streaming in, the most this server takes at once "
                "(BACKPROP_VIZ_MAX_CONCURRENT_UPLOADS); try again in a moment"
            )
            await _answer(send, 429, detail, "body", {"Retry-After": "5", **CLOSE})
            return
        self.uploads += 1
        try:
            await self.app(scope, self._bounded(receive, limit), send)
        finally:
            self.uploads -= 1

    def _with_headers(self, send: Send, host: str | None) -> Send:
        headers = [
            (b"content-security-policy", content_security_policy(self.settings, host).encode("latin-1")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                extra = [(name, value) for name, value in headers if name not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        return send_with_headers

    def _bounded(self, receive: Receive, limit: BodyLimit) -> Receive:
        """`receive` that counts the body against `limit` and times out a body that stops or trickles."""
        settings = self.settings
        deadline = time.monotonic() + settings.body_seconds
        state = {"received": 0, "done": False}

        async def bounded_receive() -> Message:
            if state["done"]:  # the body is complete: waiting for a disconnect is not a body arriving
                return await receive()
            remaining = deadline - time.monotonic()
            wait = min(settings.body_idle_seconds, remaining)
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait, 0.0))
            except TimeoutError:
                if remaining <= settings.body_idle_seconds:
                    raise BodyRefused(
                        408,
                        f"the request body did not arrive within {settings.body_seconds:g} s "
                        "(BACKPROP_VIZ_BODY_SECONDS); send it faster, or send less",
                    ) from None
                raise BodyRefused(
                    408,
                    f"the request body stopped arriving: nothing for {settings.body_idle_seconds:g} s "
                    "(BACKPROP_VIZ_BODY_IDLE_SECONDS)",
                ) from None
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit.limit:
                    raise BodyRefused(413, too_large(limit))
                state["done"] = not message.get("more_body", False)
            else:
                state["done"] = True
            return message

        return bounded_receive


async def _answer(send: Send, status: int, detail: str, field: str, headers: dict[str, str] | None = None) -> None:
    """A refusal in the app's error shape, {"detail", "field"}, sent before the app ever runs."""
    body = json.dumps({"detail": detail, "field": field}).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
