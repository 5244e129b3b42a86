"""The WebSocket `/ws/sessions/{id}`: a snapshot on connect, then commands in and events out (docs/protocol.md).

Refusals before the handshake completes (close code 1008, the HTTP answer is 403): a page from another origin,
a missing or wrong token. An unknown session is accepted and closed at once with 4404 and the reason, so a page
can tell "create a new session" from "refused".
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import TypeAdapter, ValidationError

from app import commands, schemas
from app.client import CLOSE_GONE, Client, close_reason
from app.deps import HubsDep
from app.errors import NotFound
from app.security import websocket_allowed
from app.validation import describe_errors

router = APIRouter(tags=["websocket"])

COMMANDS: TypeAdapter[Any] = TypeAdapter(schemas.ClientCommand)


@router.websocket("/ws/sessions/{session_id}")
async def session_socket(websocket: WebSocket, session_id: str, hubs: HubsDep) -> None:
    app = websocket.app
    refusal = websocket_allowed(websocket, app.state.settings)
    if refusal is not None:  # before the handshake: the HTTP answer is 403 (the reason is for the server side)
        await websocket.close(code=1008, reason=refusal)
        return
    try:
        session = app.state.registry.get(session_id)
    except NotFound as exc:
        await websocket.accept()
        await websocket.close(code=CLOSE_GONE, reason=close_reason(exc.message))
        return
    await websocket.accept()
    hub = hubs.get(session)
    client = hub.attach(websocket)
    try:
        await hub.resync(client)  # the snapshot comes first
        if not hub.alive():  # deleted meanwhile: the registry's notice may have found no hub to tell
            await hub.close_all(CLOSE_GONE, "the session was deleted; create a new one")
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                client.error("send commands as JSON text messages, not binary ones")
                continue
            command = parse_command(text, client)
            if command is not None:
                await commands.execute(hub, command, client)
    finally:
        await hub.leave(client)


def parse_command(text: str, client: Client) -> Any | None:
    """The command a message holds, or None after sending the client an error event saying what is wrong."""
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
