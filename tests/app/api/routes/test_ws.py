"""The WebSocket route: what it refuses in a message and a command answers as an error event, leaving the socket
open and the session unchanged (both found by fuzzing)."""

from __future__ import annotations

from ws_helpers import command, types

FLOAT32_SESSION = {"layers": [2, 3, 1], "dtype": "float32"}


def test_a_float32_weight_edited_beyond_its_range_is_an_error_event(client, api):
    sid = api.create(FLOAT32_SESSION)["id"]
    before = api.state(sid)
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        ws.send_json({"type": "edit_weight", "layer": 1, "row": 0, "column": 0, "value": 1e300})
        error = ws.receive_json()
        assert error["type"] == "error" and "float32" in error["message"], error
        assert types(command(ws, "step")) == ["phase", "state"]
    assert api.state(sid)["weights"] == before["weights"]
    assert api.client.get(f"/api/sessions/{sid}/export").status_code == 200


def test_a_message_nested_too_deeply_is_an_error_event_and_the_socket_stays_open(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        ws.send_text("[" * 20_000 + "]" * 20_000)  # under the message limit, parsed in a worker thread
        error = ws.receive_json()
        assert error["type"] == "error" and "too deeply" in error["message"], error
        assert types(command(ws, "step")) == ["phase", "state"]
