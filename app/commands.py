"""What a WebSocket client may ask of its session: one handler per command type, in one table (`HANDLERS`).

`execute` runs one command at a time per session (the hub's command lock); what is wrong with a command becomes
an error event to the client that sent it, and leaves the session as it was. Each handler changes the session
in a worker thread under the session lock and collects the events the change produced (`Hub.run`), so every
client sees them in the same order. Commands that cannot run during play pause it first (docs/protocol.md).
Adding a command: its model in app/schemas.py's `ClientCommand`, its handler here, one entry in `HANDLERS`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread

from app import convert, schemas
from app.client import CLOSE_GONE, Client
from app.errors import AppError, InvalidInput
from app.hub import Hub
from app.outbox import Item
from engine.stepper import StepResult

log = logging.getLogger(__name__)

GONE = "the session was deleted or expired; create a new one"


async def execute(hub: Hub, command: Any, client: Client) -> None:
    """Run one client command; what is wrong with it becomes an error event to that client only."""
    request_id = command.request_id
    async with hub.command_lock:
        if not hub.alive():
            client.error(GONE, request_id=request_id)
            await hub.close_all(CLOSE_GONE, GONE)
            return
        try:
            await HANDLERS[command.type](hub, command)
        except AppError as exc:
            client.error(exc.message, exc.field, request_id)
        except Exception as exc:
            log.exception("WebSocket command %s failed on session %s", command.type, hub.session.id)
            client.error(
                f"the server failed to run '{command.type}' ({type(exc).__name__}); see the server log",
                request_id=request_id,
            )


async def refuse_early(hub: Hub, action: str, records: bool = False) -> None:
    """Refuse before touching anything, so that a refused command does not even pause play. (When not playing
    the session's own checks suffice, and this saves a trip to a worker thread.)"""
    if hub.player is not None:
        await anyio.to_thread.run_sync(lambda: hub.session.refusal(action, records=records))


# ---------------------------------------------------------------------------------------------------------
# The handlers, one per command type
# ---------------------------------------------------------------------------------------------------------
async def step(hub: Hub, cmd: schemas.StepCommand) -> None:
    """Pause, then step with records: a `phase` event per record, then the state (or the divergence)."""
    await refuse_early(hub, "step", records=True)
    was_playing = hub.player is not None
    await hub.stop_play()
    await _records_then_state(
        hub,
        lambda: hub.session.step(cmd.unit, cmd.count, measure=False),  # measured after the answer, by the collect
        cmd.request_id,
        small=_one_pass_at_most(cmd.unit, cmd.count),
        boundary=lambda result: result.passes > 0 or was_playing,  # play frames' boundary may be a frame old
    )


async def back(hub: Hub, cmd: schemas.BackCommand) -> None:
    """Pause, then go back; going back less than asked answers with the state, then an error saying why."""
    await refuse_early(hub, "step back", records=True)
    await hub.stop_play()
    results: list[Any] = []

    def work() -> list[Item]:
        result = hub.session.back(cmd.unit, cmd.count)
        results.append(result)
        if result.moved == 0 and result.limit_reached:
            raise InvalidInput(result.limit_reached, field="count")
        return hub.collect(request_id=cmd.request_id, ordered=True, visible=True, boundary=True)

    await hub.run(work)  # not small: going back may replay up to a keyframe interval of passes
    limit = results[0].limit_reached if results else None
    if limit:
        raise InvalidInput(f"went back {results[0].moved} of {cmd.count}: {limit}", field="count")


async def play(hub: Hub, cmd: schemas.PlayCommand) -> None:
    """Start play mode at a speed (passes per second, or max); while playing, change its speed."""
    speed = None if cmd.speed == "max" else float(cmd.speed)
    if speed is not None and not (0 < speed < float("inf")):
        raise InvalidInput('speed must be a positive number of passes per second, or "max"', field="speed")
    rid = cmd.request_id
    if hub.player is not None and hub.player.finished:
        await hub.stop_play()  # it ended by itself: wait for its thread to be gone
    player = hub.player
    if player is not None:

        def change_speed() -> list[Item]:
            if not hub.session.playing:  # ended meanwhile (diverged): start afresh below
                return []
            player.speed = hub.session.speed = speed
            return hub.collect(request_id=rid, ordered=True)

        if await hub.run(change_speed):
            return
        await hub.stop_play()

    def start() -> list[Item]:
        hub.session.refusal("play")  # a REST job is training: 409, and nothing changes
        hub.session.playing = True
        hub.session.speed = speed
        return hub.collect(request_id=rid, ordered=True, visible=True)

    hub.play_slots.take(hub)  # BACKPROP_VIZ_MAX_CONCURRENT_PLAYS, counted like jobs: 429 and nothing changes
    try:
        await hub.run(start)
    except BaseException:
        hub.play_slots.give(hub)
        raise
    hub.start_play(speed)


async def pause(hub: Hub, cmd: schemas.PauseCommand) -> None:
    """Stop play mode after its current chunk; the state answers (with the final boundary if it was playing)."""
    was_playing = hub.player is not None
    await hub.stop_play()
    # Play frames carry the boundary only ~10 times a second: the pause's state has the final one.
    await hub.run(lambda: hub.collect(request_id=cmd.request_id, ordered=True, boundary=was_playing))


async def reset(hub: Hub, cmd: schemas.ResetCommand) -> None:
    """Pause, then go back to pass 0 (hyperparameters are kept)."""
    await refuse_early(hub, "reset")
    await hub.stop_play()

    def work() -> list[Item]:
        hub.session.reset()
        return hub.collect(request_id=cmd.request_id, ordered=True, visible=True, boundary=True)

    await hub.run(work)


async def set_hyperparameters(hub: Hub, cmd: schemas.SetCommand) -> None:
    """Change hyperparameters from the next pass (play goes on)."""
    if all(getattr(cmd, n) is None for n in ("learning_rate", "optimizer", "batch_size", "regularization")):
        raise InvalidInput("nothing to change: give learning_rate, optimizer, batch_size or regularization")

    def work() -> list[Item]:
        hub.session.patch(cmd)
        return hub.collect(request_id=cmd.request_id, ordered=True)

    await hub.run(work)


async def focus(hub: Hub, cmd: schemas.FocusCommand) -> None:
    """Choose the sample whose records the phases show."""

    def work() -> list[Item]:
        hub.session.set_focus(cmd.index, cmd.split)
        return hub.collect(request_id=cmd.request_id, ordered=True, visible=True, focus=True)

    await hub.run(work, small=True)


async def edit_weight(hub: Hub, cmd: schemas.EditWeightCommand) -> None:
    """Set one weight or bias; a refused edit names the part that is out of range."""

    def work() -> list[Item]:
        hub.session.edit_weight(cmd)
        return hub.collect(request_id=cmd.request_id, ordered=True, visible=True, boundary=True)

    try:
        await hub.run(work)
    except InvalidInput as exc:
        exc.field = exc.field or _edit_field(cmd, hub.session.config.layers)
        raise


async def teach(hub: Hub, cmd: schemas.TeachCommand) -> None:
    """Pause, then one pass on the drawing (as `POST …/teach`): a `phase` event per record, then the state."""
    await refuse_early(hub, "teach", records=True)
    await hub.stop_play()
    await _records_then_state(hub, lambda: hub.session.teach(cmd), cmd.request_id, boundary=lambda r: r.passes > 0)


async def _records_then_state(
    hub: Hub,
    change: Callable[[], StepResult],
    request_id: str | int | None,
    *,
    boundary: Callable[[StepResult], bool],
    small: bool = False,
) -> None:
    """Run `change` (a step with records) and answer with a `phase` event per record — sent first — then the state
    (with the boundary if `boundary` says the weights changed), or the divergence and the state."""
    results: list[StepResult] = []

    def work() -> list[Item]:
        result = change()
        results.append(result)
        return [Item("ordered", convert.phase_event_json(r, request_id)) for r in result.records]

    def then() -> list[Item]:
        result = results[0]
        if result.diverged is not None:
            return hub.collect_diverged(result.diverged, request_id)
        return hub.collect(request_id=request_id, ordered=True, boundary=boundary(result))

    await hub.run(work, small=small, then=then)


def _one_pass_at_most(unit: str, count: int) -> bool:
    """Whether a step of `count` `unit`s touches at most one pass (small work: `Hub.run`)."""
    return count == 1 and unit in ("phase", "layer", "pass")


def _edit_field(edit: schemas.EditWeight, layers: list[int]) -> str:
    """Which part of a refused weight edit is out of range (the engine's message says how)."""
    if not 1 <= edit.layer < len(layers):
        return "layer"
    if edit.row >= layers[edit.layer]:
        return "row"
    if edit.column is not None and edit.column >= layers[edit.layer - 1]:
        return "column"
    return "value"


Handler = Callable[[Hub, Any], Awaitable[None]]

HANDLERS: dict[str, Handler] = {
    "step": step,
    "back": back,
    "play": play,
    "pause": pause,
    "reset": reset,
    "set": set_hyperparameters,
    "focus": focus,
    "edit_weight": edit_weight,
    "teach": teach,
}
COMMAND_TYPES = tuple(HANDLERS)  # in the order error messages list them
