"""The WebSocket `/ws/sessions/{id}`: a snapshot on connect, then commands in and events out (docs/protocol.md).

Refusals before the handshake completes (close code 1008, the HTTP answer is 403): a Host that does not name this
server (app/middleware.py), a page from another origin, a missing or wrong token. An unknown session is accepted
and closed at once with 4404 and the reason, so a page can tell "create a new session" from "refused"; so is a
client over the caps (BACKPROP_VIZ_MAX_WS_CLIENTS_PER_SESSION, _MAX_WS_CLIENTS), with 1013 (try again later).
A message over BACKPROP_VIZ_WS_MAX_MESSAGE_BYTES closes the socket with 1009; a larger message than
OFF_LOOP_BYTES is parsed in a worker thread. A client that reads nothing is dropped by its outbox (4008).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, WebSocket
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from app import commands, schemas
from app.client import CLOSE_GONE, Client, close_reason
from app.deps import HubsDep
from app.errors import NotFound
from app.security import WS_PROTOCOL, offered_subprotocols, websocket_allowed
from app.validation import describe_errors

if TYPE_CHECKING:
    from app.hubs import Hubs
    from app.sessions import Session

router = APIRouter(tags=["websocket"])

COMMANDS: TypeAdapter[Any] = TypeAdapter(schemas.ClientCommand)
CLOSE_TOO_BIG = 1009  # the message was larger than BACKPROP_VIZ_WS_MAX_MESSAGE_BYTES
CLOSE_FULL = 1013  # try again later: the clients' caps are reached
OFF_LOOP_BYTES = 8 * 1024  # a command is a few hundred bytes; a longer message is parsed in a worker thread
CLOSE_WAIT_SECONDS = 1.0  # a client that reads nothing may not take even its close frame: give up after this


@router.websocket("/ws/sessions/{session_id}")
async def session_socket(websocket: WebSocket, session_id: str, hubs: HubsDep) -> None:
    app = websocket.app
    session = await accept_session_socket(websocket, hubs, lambda: app.state.registry.get(session_id))
    if session is None:
        return
    hub = hubs.get(session)
    client = hub.attach(websocket)
    limit = app.state.settings.ws_max_message_bytes
    try:
        await hub.resync(client)  # the snapshot comes first
        if not hub.alive():  # deleted meanwhile: the registry's notice may have found no hub to tell
            await hub.close_all(CLOSE_GONE, "the session was deleted; create a new one")
        async for message in messages(websocket, client):
            text = message.get("text")
            size = len(text) if text is not None else len(message.get("bytes") or b"")
            if size > limit:
                await close_now(
                    websocket,
                    CLOSE_TOO_BIG,
                    f"a message may have at most {limit:,} bytes (BACKPROP_VIZ_WS_MAX_MESSAGE_BYTES); a command "
                    "is far smaller",
                )
                break
            if text is None:
                client.error("send commands as JSON text messages, not binary ones")
                continue
            command = parse_command(text, client) if size <= OFF_LOOP_BYTES else await parse_off_loop(text, client)
            if command is not None:
                await commands.execute(hub, command, client)
        if client.outbox.dropped is not None:
            await close_now(websocket, *client.outbox.dropped)
    finally:
        await hub.leave(client)


async def accept_session_socket(websocket: WebSocket, hubs: Hubs, find: Callable[[], Session]) -> Session | None:
    """The handshake of every socket onto a session (`/ws/sessions/{id}`, `/ws/watch/{token}`): refused before it
    (1008, the HTTP answer is 403) for a foreign Host or origin or a missing token; accepted and closed at once with
    4404 and the reason when `find` raises NotFound, or with 1013 over the clients' caps. The session, or None when
    the socket was refused or closed."""
    refusal = websocket_allowed(websocket, websocket.app.state.settings)
    if refusal is not None:  # the reason is for the server side
        await websocket.close(code=1008, reason=refusal)
        return None
    # The page offers the subprotocol (its token rides along as another one, out of addresses and logs).
    subprotocol = WS_PROTOCOL if WS_PROTOCOL in offered_subprotocols(websocket) else None
    try:
        session = find()
    except NotFound as exc:
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(code=CLOSE_GONE, reason=close_reason(exc.message))
        return None
    full = hubs.refusal(session)
    await websocket.accept(subprotocol=subprotocol)
    if full is not None:
        await websocket.close(code=CLOSE_FULL, reason=close_reason(full))
        return None
    return session


async def messages(websocket: WebSocket, client: Client):
    """The client's messages until it disconnects or its outbox drops it for not reading (whichever first).

    A drop interrupts a pending receive by cancelling this task (only while it waits for a message, never in the
    middle of a command); one waiter for the drop serves the whole connection, so a message costs no task."""
    task = asyncio.current_task()
    assert task is not None
    receiving = False

    def interrupt(_: asyncio.Future) -> None:
        if receiving:
            task.cancel()

    gone = asyncio.ensure_future(client.outbox.gone.wait())
    gone.add_done_callback(interrupt)
    try:
        while not gone.done():
            receiving = True
            try:
                message = await websocket.receive()
            except asyncio.CancelledError:
                if gone.done() and task.uncancel() == 0:
                    return  # our own interruption: the outbox dropped the client
                raise
            finally:
                receiving = False
            if message["type"] == "websocket.disconnect":
                return
            yield message
    finally:
        gone.remove_done_callback(interrupt)
        gone.cancel()


async def close_now(websocket: WebSocket, code: int, reason: str) -> None:
    """Close with a reason; a peer whose buffer is full may never take the close frame, so give up waiting after
    CLOSE_WAIT_SECONDS (the connection is closed when the handler returns)."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code=code, reason=close_reason(reason)), CLOSE_WAIT_SECONDS)


async def parse_off_loop(text: str, client: Client) -> Any | None:
    """`parse_command` in a worker thread; its error events are published from the event loop as usual."""
    errors: list[tuple] = []

    class Collect:
        def error(self, *args: Any) -> None:
            errors.append(args)

    command = await run_in_threadpool(parse_command, text, Collect())  # type: ignore[arg-type]
    for args in errors:
        client.error(*args)
    return command


def parse_command(text: str, client: Client) -> Any | None:
    """The command a message holds, or None after sending the client an error event saying what is wrong."""
    try:
        return COMMANDS.validate_json(text)  # one pass in pydantic-core; only a refusal needs the slower path
    except ValidationError:
        pass
    try:
        raw = json.loads(text)
    except ValueError as exc:
        client.error(f"the message is not valid JSON ({exc}); send one JSON object with a 'type'")
        return None
    except RecursionError:  # arrays or objects nested thousands deep: no command is shaped like that
        client.error("the message nests arrays or objects too deeply to be a command; send one flat JSON object")
        return None
    request_id = raw.get("request_id") if isinstance(raw, dict) else None
    if not isinstance(request_id, str | int) or isinstance(request_id, bool):
        request_id = None
    try:
        return COMMANDS.validate_python(raw)
    except ValidationError as exc:
        message, field = command_error(exc, raw)
        client.error(message, field, request_id)
        return None


def command_error(exc: ValidationError, raw: Any) -> tuple[str, str | None]:
    """One readable sentence for pydantic's errors about a command, and the first field it names."""
    expected = ", ".join(commands.COMMAND_TYPES)
    errors = exc.errors()
    first = errors[0] if errors else {}
    kind = first.get("type")
    if not isinstance(raw, dict):
        return f"a command is a JSON object with a 'type' (one of {expected}); got {type(raw).__name__}", None
    if kind == "union_tag_not_found":
        return f"the command has no 'type'; give one of {expected}", "type"
    if kind == "union_tag_invalid":
        return f"unknown command type {raw.get('type')!r}; expected one of {expected}", "type"
    detail, field = describe_errors(errors, whole="command", skip=1)  # loc starts with the command's tag
    return f"'{raw.get('type')}' command: {detail}", field
