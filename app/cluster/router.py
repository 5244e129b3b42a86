"""The router of `backprop-viz serve --workers N`: the ASGI app on the public port, in front of N worker processes.

Every request and WebSocket whose path names a session, an uploaded data set or a watch link goes to the worker
that owns that id (app/shards.py: the shard prefix every id a worker makes carries), so a session's REST calls and
its WebSockets all reach the one process that holds it, in the order they arrive. Anything else — the page, static
files, the catalog, lessons, a new session, an import, an upload — goes to the next live worker in turn (new
sessions spread over the workers). `GET /api/health` and `GET /api/datasets` gather every worker's answer.

The router runs behind the same gate as a single server (app/middleware.py's Guard: Host, token, cross-site
writes, body limits and deadlines, concurrent uploads), so what is refused before its body is read is refused
here, unread, and a body that stops arriving is answered 408 here; it passes the caller's own headers on
unchanged (but the hop-by-hop ones) and each worker checks them again, the WebSocket's origin and token
included. It streams bodies both ways (an upload is not buffered here) and relays WebSocket messages one at a
time, so a slow browser slows its own relay and, through it, only its own socket on the worker, whose outbox
coalesces frames for it as it does for a direct client.

While a worker is down (it is being started again) its sessions are answered 503 with Retry-After; their open
WebSockets are closed with 1012 (service restart) and new ones refused with 503 until it is back: the page keeps
reconnecting with back-off and finds its session restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, unix_connect
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin, Subprotocol

from app import __version__, schemas
from app.cluster.supervisor import Supervisor, Worker
from app.middleware import BodyRefused
from app.security import HEALTH_PATH
from app.shards import owner, routed_id

log = logging.getLogger("app.cluster")

WORKER_HEADER = b"x-backprop-viz-worker"  # on every forwarded answer: which worker answered (0 … N − 1)
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
WS_HANDSHAKE = frozenset(
    {b"sec-websocket-key", b"sec-websocket-version", b"sec-websocket-extensions", b"sec-websocket-protocol"}
)
CREATING_PATHS = frozenset({"/api/sessions", "/api/sessions/import"})  # new sessions: the workers in turn
CLOSE_RESTART = 1012  # IANA: service restart — the client should reconnect
CLOSE_TRY_AGAIN = 1013
UNSENDABLE_CLOSE_CODES = frozenset({1005, 1006, 1015})  # "no code", "abnormal", "TLS": never sent on the wire
RETRY_AFTER = "2"
STUCK_SEND_SECONDS = 5.0  # after the worker closed a socket, its browser has this long to take what is queued


def _worker_down(worker: Worker) -> str:
    return (
        f"the worker process that keeps this (worker {worker.shard}) is starting again after a failure; its sessions "
        "come back from their last checkpoint — try again in a moment"
    )


class Router:
    """The ASGI app: lifespan starts and stops the workers (app/cluster/supervisor.py)."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.workers = supervisor.workers
        self._turn = itertools.count()  # for anything any worker answers (the page, static files, the catalog)
        self._creations = itertools.count()  # for new sessions and imports, on their own: they spread evenly

    # -- ASGI -----------------------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.supervisor.start()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": f"the workers did not start: {exc}"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.supervisor.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- choosing the worker --------------------------------------------------------------------------------
    def owner_of(self, path: str) -> Worker | None:
        """The worker that owns the id `path` names, or None when any worker may answer."""
        identifier = routed_id(path)
        return None if identifier is None else self.workers[owner(identifier, len(self.workers))]

    def any_worker(self, turn: itertools.count | None = None) -> Worker | None:
        """The next live worker in `turn` (None when none is up)."""
        turn = turn or self._turn
        for _ in range(len(self.workers)):
            worker = self.workers[next(turn) % len(self.workers)]
            if worker.up:
                return worker
        return None

    # -- HTTP -------------------------------------------------------------------------------------------------
    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path: str = scope["path"]
        if path.startswith("/internal/"):  # the workers' own business, never from outside
            await _json(send, 404, {"detail": f"there is no {path}; the API is listed at /docs", "field": None})
            return
        if scope["method"] == "GET" and path.rstrip("/") == HEALTH_PATH:
            await self._health(scope, send)
            return
        if scope["method"] == "GET" and path.rstrip("/") == "/api/datasets":
            await self._datasets(scope, send)
            return
        worker = self.owner_of(path)
        if worker is None:
            creates = scope["method"] == "POST" and path.rstrip("/") in CREATING_PATHS
            worker = self.any_worker(self._creations if creates else self._turn)
            if worker is None:
                await _unavailable(send, "the server's worker processes are starting; try again in a moment")
                return
        elif not worker.up or worker.client is None:
            await _unavailable(send, _worker_down(worker))
            return
        await self._forward(worker, scope, receive, send)

    async def _forward(self, worker: Worker, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert worker.client is not None
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        has_body = any(k.lower() == b"content-length" for k, _ in headers) or any(
            k.lower() == b"transfer-encoding" for k, _ in scope["headers"]
        )
        request = worker.client.build_request(
            scope["method"],
            httpx.URL(path=scope.get("raw_path", b"").decode("latin-1") or scope["path"]).copy_with(
                query=scope.get("query_string") or None
            ),
            headers=headers,
            content=_body(receive) if has_body else None,
        )
        try:
            answer = await worker.client.send(request, stream=True)
        except ClientGone:
            return
        except BodyRefused as refused:  # over its limit, or too slow: as the worker would answer, at once
            await _json(send, refused.status_code, {"detail": refused.detail, "field": "body"}, refused.headers)
            return
        except httpx.HTTPError as exc:
            log.warning("worker %d did not answer %s %s: %r", worker.shard, scope["method"], scope["path"], exc)
            await _unavailable(send, _worker_down(worker))
            return
        try:
            raw = [(k, v) for k, v in answer.headers.raw if k.lower() not in HOP_BY_HOP]
            if answer.headers.get("connection", "").lower() == "close":  # a refused body is not worth reading
                raw.append((b"connection", b"close"))
            raw.append((WORKER_HEADER, str(worker.shard).encode()))
            await send({"type": "http.response.start", "status": answer.status_code, "headers": raw})
            async for chunk in answer.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except httpx.HTTPError as exc:  # the worker died while answering: the answer is cut off
            log.warning("worker %d stopped while answering %s: %r", worker.shard, scope["path"], exc)
        finally:
            await answer.aclose()

    async def _gather(self, scope: dict[str, Any], path: str) -> list[tuple[Worker, httpx.Response | None]]:
        """GET `path` from every live worker with the caller's headers (None for a worker that is down)."""
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]

        async def one(worker: Worker) -> tuple[Worker, httpx.Response | None]:
            if not worker.up or worker.client is None:
                return worker, None
            try:
                return worker, await worker.client.get(path, headers=headers, timeout=10.0)
            except httpx.HTTPError:
                return worker, None

        return list(await asyncio.gather(*(one(w) for w in self.workers)))

    async def _health(self, scope: dict[str, Any], send: Any) -> None:
        """Every worker's health summed: sessions, jobs, plays, sockets; the store and lessons as the first live
        worker sees them (they share both); and each worker's state."""
        answers = await self._gather(scope, HEALTH_PATH)
        healths = [
            (w, schemas.Health.model_validate_json(a.content)) for w, a in answers if a is not None and a.is_success
        ]
        first = healths[0][1] if healths else None
        by_shard = {w.shard: h for w, h in healths}
        health = schemas.Health(
            version=__version__,
            sessions=sum(h.sessions for _, h in healths),
            jobs=sum(h.jobs for _, h in healths),
            plays=sum(h.plays for _, h in healths),
            websocket_clients=sum(h.websocket_clients for _, h in healths),
            storage=first.storage if first else None,
            lessons=first.lessons if first else None,
            workers=[
                schemas.WorkerHealth(
                    shard=w.shard,
                    up=w.shard in by_shard,
                    pid=w.pid,
                    restarts=w.restarts,
                    sessions=by_shard[w.shard].sessions if w.shard in by_shard else None,
                )
                for w in self.workers
            ],
        )
        await _json(send, 200, health.model_dump(mode="json"))

    async def _datasets(self, scope: dict[str, Any], send: Any) -> None:
        """The built-ins once, and every worker's uploads (oldest first)."""
        answers = await self._gather(scope, "/api/datasets")
        for _, answer in answers:
            if answer is not None and not answer.is_success:  # 401 without the token: the same refusal
                await _json(send, answer.status_code, answer.json(), dict(answer.headers))
                return
        lists = [schemas.DatasetList.model_validate_json(a.content) for _, a in answers if a is not None]
        if not lists:
            await _unavailable(send, "the server's worker processes are starting; try again in a moment")
            return
        merged = schemas.DatasetList(builtin=lists[0].builtin, uploaded=[d for one in lists for d in one.uploaded])
        await _json(send, 200, merged.model_dump(mode="json"))

    # -- WebSocket --------------------------------------------------------------------------------------------
    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        worker = self.owner_of(scope["path"]) or self.any_worker()
        if worker is None or not worker.up:  # refused before the handshake: the page retries with back-off
            reason = _worker_down(worker) if worker is not None else "the server's workers are starting"
            await _refuse(scope, send, 503, {"detail": reason, "field": None}, {"retry-after": RETRY_AFTER})
            return
        try:
            upstream = await self._connect(worker, scope, _offered(scope))
        except InvalidStatus as refused:  # the worker refused the handshake (Host, origin, token): refused the same
            answer = refused.response
            await _refuse(scope, send, answer.status_code, answer.body or b"", dict(answer.headers.raw_items()))
            return
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            log.warning("worker %d did not take a WebSocket for %s: %r", worker.shard, scope["path"], exc)
            down = {"detail": _worker_down(worker), "field": None}
            await _refuse(scope, send, 503, down, {"retry-after": RETRY_AFTER})
            return
        async with upstream:
            await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
            await _relay(worker, upstream, receive, send)

    async def _connect(self, worker: Worker, scope: dict[str, Any], offered: list[str]) -> ClientConnection:
        headers = Headers()
        host = "localhost"
        origin = None
        for key, value in scope["headers"]:
            name = key.lower()
            if name in HOP_BY_HOP or name in WS_HANDSHAKE:
                continue
            text = value.decode("latin-1")
            if name == b"host":
                host = text
            elif name == b"origin":
                origin = text
            elif name != b"user-agent":
                headers[key.decode("latin-1")] = text
        path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        uri = f"ws://{host}{path}" + (f"?{query}" if query else "")
        return await unix_connect(
            str(worker.socket),
            uri,
            origin=Origin(origin) if origin else None,
            subprotocols=[Subprotocol(p) for p in offered] or None,
            additional_headers=headers,
            user_agent_header=None,
            compression=None,  # a local socket: deflating is the public side's business
            open_timeout=10,
            ping_interval=None,
            max_size=None,  # the worker bounds what it sends
            max_queue=4,  # read ahead little: a slow browser holds its worker-side socket back, as a direct one does
        )


class ClientGone(Exception):
    """The caller went away while its request body was being forwarded."""


async def _body(receive: Any):
    """The request body as it arrives (an upload is streamed to the worker, never buffered here). `receive` is the
    Guard's: it raises BodyRefused (413, 408) when the body is over its limit or stops arriving."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        body = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


async def _relay(worker: Worker, upstream: ClientConnection, receive: Any, send: Any) -> None:
    """Messages both ways until either side closes; the other side gets the same close code and reason."""

    async def downstream() -> None:  # worker → browser, one message at a time (back-pressure)
        try:
            async for message in upstream:
                if isinstance(message, str):
                    await send({"type": "websocket.send", "text": message})
                else:
                    await send({"type": "websocket.send", "bytes": message})
        except ConnectionClosed:
            pass
        except OSError:  # the browser went away mid-send (uvicorn's ClientDisconnected): let the worker know
            await upstream.close()
            return
        code = upstream.close_code
        reason = upstream.close_reason or ""
        if code is None or code in UNSENDABLE_CLOSE_CODES:  # the worker died: the page reconnects to its successor
            code, reason = CLOSE_RESTART, _worker_down(worker)
        with contextlib.suppress(Exception):
            await send({"type": "websocket.close", "code": code, "reason": _reason(reason)})

    async def upstream_pump() -> None:  # browser → worker
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                code = message.get("code", 1000)
                await upstream.close(1000 if code in UNSENDABLE_CLOSE_CODES else code)
                return
            if message["type"] != "websocket.receive":
                continue
            try:
                if message.get("text") is not None:
                    await upstream.send(message["text"])
                elif message.get("bytes") is not None:
                    await upstream.send(message["bytes"])
            except ConnectionClosed:
                return  # the other pump closes the browser's socket with the worker's code

    tasks = [asyncio.create_task(downstream()), asyncio.create_task(upstream_pump())]
    ended = asyncio.create_task(upstream.wait_closed())
    try:
        await asyncio.wait({tasks[0], ended}, return_when=asyncio.FIRST_COMPLETED)
        if not tasks[0].done():  # the worker closed (it dropped a browser that reads nothing, say): a moment to
            await asyncio.wait({tasks[0]}, timeout=STUCK_SEND_SECONDS)  # pass on what is queued, then end
        if not tasks[0].done():
            tasks[0].cancel()
            code, reason = upstream.close_code, upstream.close_reason or ""
            if code is None or code in UNSENDABLE_CLOSE_CODES:
                code, reason = CLOSE_RESTART, _worker_down(worker)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(send({"type": "websocket.close", "code": code, "reason": _reason(reason)}), 5)
    finally:
        ended.cancel()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _offered(scope: dict[str, Any]) -> list[str]:
    offered = scope.get("subprotocols") or []
    return [str(p) for p in offered]


def _reason(text: str) -> str:
    """A close reason fits 123 bytes."""
    raw = text.encode("utf-8")
    return text if len(raw) <= 123 else raw[:120].decode("utf-8", "ignore") + "…"


async def _json(send: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    for key, value in (headers or {}).items():
        if key.lower() not in ("content-type", "content-length", "transfer-encoding", "connection"):
            raw.append((key.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


async def _refuse(scope: dict[str, Any], send: Any, status: int, body: Any, headers: dict[str, str]) -> None:
    """Refuse a WebSocket handshake with an HTTP answer (ASGI's websocket.http.response, which uvicorn offers), or
    by closing it before the handshake (HTTP 403) where the server does not offer that."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    skip = {"content-type", "content-length", "transfer-encoding", "connection", "date", "server"}
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items() if k.lower() not in skip]
    await send({"type": "websocket.http.response.start", "status": status, "headers": raw})
    await send({"type": "websocket.http.response.body", "body": data})


async def _unavailable(send: Any, detail: str) -> None:
    await _json(send, 503, {"detail": detail, "field": None}, {"retry-after": RETRY_AFTER})
