"""The WebSocket commands, run on a session's hub without a socket: the table has a handler for every command
type the schema admits, and a command that is refused answers its client with an error naming the field and
leaves the session exactly as it was (a refused command does not even pause play)."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from pydantic import TypeAdapter
from ws_helpers import hub_of

from app import commands, schemas
from app.client import Client
from app.outbox import Outbox

CLIENT_COMMAND: TypeAdapter[Any] = TypeAdapter(schemas.ClientCommand)


def command_types_of_the_schema() -> set[str]:
    union = typing.get_args(schemas.ClientCommand)[0]
    return {typing.get_args(model.model_fields["type"].annotation)[0] for model in typing.get_args(union)}


class Runner:
    """Runs commands on one session's hub, in the app's event loop, as one client whose events are kept."""

    def __init__(self, client: Any, session_id: str) -> None:
        self.portal = client.portal
        self.hub = hub_of(client, session_id)
        self.session = self.hub.session
        self.client = Client(websocket=None, outbox=Outbox())  # type: ignore[arg-type]  # nothing is sent

    def run(self, **fields: Any) -> list[dict[str, Any]]:
        """Execute one command; the events it sent to this client alone (its errors)."""
        command = CLIENT_COMMAND.validate_python({"request_id": "r1", **fields})
        self.portal.call(commands.execute, self.hub, command, self.client)
        events = []
        while (item := self.client.outbox.pop()) is not None:
            events.append(json.loads(item.text))
        return events

    def everything(self) -> dict[str, Any]:
        """All a client could see of the session: state, open pass, metrics, focus, data, boundary."""
        return self.session.snapshot().model_dump()


def test_the_table_has_a_handler_for_every_command_type_of_the_schema():
    assert set(commands.HANDLERS) == command_types_of_the_schema()
    assert len(commands.COMMAND_TYPES) == len(set(commands.COMMAND_TYPES)) == 9


REFUSALS = [
    ({"type": "step", "unit": "pass", "count": 20_000}, "count", "at most 10,000"),
    ({"type": "back"}, "count", "start of training"),
    ({"type": "play", "speed": -3}, "speed", "positive number"),
    ({"type": "set"}, None, "nothing to change"),
    ({"type": "focus", "index": 999}, "index", "999"),
    ({"type": "edit_weight", "layer": 3, "row": 0, "column": 0, "value": 1.0}, "layer", "layer"),
    ({"type": "edit_weight", "layer": 1, "row": 9, "column": 0, "value": 1.0}, "row", "row 9"),
    ({"type": "edit_weight", "layer": 2, "row": 0, "column": 9, "value": 1.0}, "column", "column 9"),
    ({"type": "teach", "input": [0.0, 0.0], "label": "1"}, "input", "not one of images"),
    ({"type": "focus", "index": 999, "split": "test"}, "index", "test sample index from 0 to"),
]


@pytest.mark.parametrize(("fields", "field", "words"), REFUSALS, ids=lambda v: str(v)[:40])
def test_a_refused_command_answers_with_an_error_and_changes_nothing(client, api, fields, field, words):
    runner = Runner(client, api.create()["id"])
    before = runner.everything()
    events = runner.run(**fields)
    assert [(e["type"], e["field"], e["request_id"]) for e in events] == [("error", field, "r1")]
    assert words in events[0]["message"]
    assert runner.everything() == before and runner.hub.player is None


@pytest.mark.parametrize("kind", sorted(command_types_of_the_schema()))
def test_every_command_on_a_deleted_session_is_refused_and_changes_nothing(client, api, kind):
    fields = {
        "set": {"learning_rate": 0.1},
        "focus": {"index": 1},
        "edit_weight": {"layer": 1, "row": 0, "column": 0, "value": 1.0},
        "teach": {"input": [0.0, 0.0], "label": "1"},
    }.get(kind, {})
    sid = api.create()["id"]
    runner = Runner(client, sid)
    before = runner.everything()
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    events = runner.run(type=kind, **fields)
    assert [e["type"] for e in events] == ["error"] and "deleted or expired" in events[0]["message"]
    assert runner.everything() == before


def test_a_command_refused_during_play_does_not_pause_it(api_with):
    with api_with(max_interactive_parameters=10) as api:  # 2-4-1 has 17: play, yes; step with records, no
        runner = Runner(api.client, api.create()["id"])
        assert runner.run(type="play", speed="max") == []
        player = runner.hub.player
        try:
            for fields in ({"type": "step"}, {"type": "back"}):
                events = runner.run(**fields)
                assert [e["type"] for e in events] == ["error"] and "limited to 10" in events[0]["message"]
                assert runner.hub.player is player and runner.session.playing and not player.finished
        finally:
            runner.portal.call(runner.hub.stop_play)
    assert player.finished and player.frames > 0


def test_set_while_playing_changes_the_next_passes_and_play_goes_on(client, api):
    runner = Runner(client, api.create()["id"])
    assert runner.run(type="play", speed="max") == []
    player = runner.hub.player
    try:
        assert runner.run(type="set", learning_rate=0.125) == []
        assert runner.hub.player is player and runner.session.playing
    finally:
        runner.portal.call(runner.hub.stop_play)
    state = runner.session.state()
    assert state.config.optimizer.learning_rate == 0.125 and not state.playing and runner.hub.player is None
