"""A tiny reverse proxy that serves an app under a path prefix and strips it, as jupyter-server-proxy does
(`/proxy/8000/api/health` → `/api/health` upstream): HTTP with httpx, WebSocket with the websockets client.
It keeps the paths it forwarded, so a test can tell that the page's every request went through it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

HOP_BY_HOP = {"host", "connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "te", "trailer"}


class PrefixProxy:
    """Serves `upstream` (http://127.0.0.1:<port>) at http://127.0.0.1:<own port><prefix>/."""

    def __init__(self, upstream: str, prefix: str, port: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.prefix = "/" + prefix.strip("/")
        self.forwarded: list[str] = []  # "GET /api/catalog", "WS /ws/sessions/…": what went upstream
        self.refused: list[str] = []  # requests outside the prefix (answered 404)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.base = f"{self.origin}{self.prefix}/"
        app = Starlette(
            routes=[
                Route("/{path:path}", self.http, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
                WebSocketRoute("/{path:path}", self.websocket),
            ]
        )
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def _upstream_path(self, path: str) -> str | None:
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return path[len(self.prefix) :] or "/"
        return None

    async def http(self, request: Request) -> Response:
        path = self._upstream_path(request.url.path)
        if path is None:
            self.refused.append(f"{request.method} {request.url.path}")
            return Response("not under the prefix", status_code=404)
        self.forwarded.append(f"{request.method} {path}")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        async with httpx.AsyncClient() as client:
            answer = await client.request(
                request.method,
                self.upstream + path,
                params=request.url.query,
                headers=headers,
                content=await request.body(),
            )
        keep = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        return Response(answer.content, status_code=answer.status_code, headers=keep)

    async def websocket(self, websocket: WebSocket) -> None:
        path = self._upstream_path(websocket.url.path)
        if path is None:
            self.refused.append(f"WS {websocket.url.path}")
            await websocket.close(code=4404)
            return
        self.forwarded.append(f"WS {path}")
        url = (
            self.upstream.replace("http://", "ws://")
            + path
            + (f"?{websocket.url.query}" if websocket.url.query else "")
        )
        async with ws_connect(url, origin=websocket.headers.get("origin"), max_size=None) as upstream:
            await websocket.accept()

            async def downstream() -> None:
                with contextlib.suppress(ConnectionClosed):
                    async for message in upstream:
                        await websocket.send_text(message) if isinstance(message, str) else None

            task = asyncio.create_task(downstream())
            try:
                while True:
                    text = await websocket.receive_text()
                    await upstream.send(text)
            except (WebSocketDisconnect, ConnectionClosed):
                pass
            finally:
                task.cancel()

    @contextlib.contextmanager
    def running(self) -> Iterator[PrefixProxy]:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the proxy did not start"
            time.sleep(0.01)
        try:
            yield self
        finally:
            self.server.should_exit = True
            self.thread.join(15)
            self.sock.close()


def paths(entries: list[str], kind: str) -> list[Any]:
    """The forwarded paths of one kind ("GET", "POST", "WS")."""
    return [e.split(" ", 1)[1] for e in entries if e.startswith(kind + " ")]
