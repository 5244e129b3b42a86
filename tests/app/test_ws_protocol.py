"""The WebSocket protocol: the snapshot on connect, step and back as phase events with REST's numbers, the
commands' state events, errors that name the field and leave the session unchanged, and changes made over REST
or by a training job reaching the socket."""

from __future__ import annotations

import json

import pytest
from starlette.websockets import WebSocket, WebSocketDisconnect
from ws_helpers import command, own, receive_until, types, without_flags

from app.hub import Hub
from app.schemas import PROTOCOL_VERSION
from app.sessions.presenting import HISTORY_POINTS_SENT

SEED_LABELS = ["F1", "F2", "J", "B2", "B1", "U"]


def test_snapshot_on_connect_has_the_rest_state_and_everything_to_draw(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        snapshot = ws.receive_json()
    assert snapshot["type"] == "snapshot"
    assert snapshot["protocol_version"] == PROTOCOL_VERSION
    assert snapshot["state"] == api.state(sid)
    assert snapshot["visible"] == []
    assert snapshot["metrics"]["per_pass"] == {"pass": [], "batch_loss": []}
    assert snapshot["focus"]["index"] == 0 and len(snapshot["focus"]["x"]) == 2
    assert len(snapshot["data"]["train_x"]) == snapshot["state"]["dataset"]["train_rows"] == 32
    boundary = snapshot["boundary"]
    assert boundary["kind"] == "probability" and len(boundary["values"]) == len(boundary["ys"])


def test_step_streams_one_phase_event_per_record_equal_to_rest(client, api):
    over_rest, over_ws = api.create(api.seed)["id"], api.create(api.seed)["id"]
    rest = client.post(f"/api/sessions/{over_rest}/step", json={"unit": "phase", "count": 6}).json()
    with client.websocket_connect(f"/ws/sessions/{over_ws}") as ws:
        ws.receive_json()
        events = command(ws, "step", unit="phase", count=6)
    assert types(events) == ["phase"] * 6 + ["metrics", "state"]
    records = [e["record"] for e in events[:6]]
    assert [r["label"] for r in records] == SEED_LABELS
    assert records == rest["records"]
    state = events[-1]["state"]
    assert state["weights"] == api.state(over_ws)["weights"] == rest["state"]["weights"]
    assert state["counters"]["pass"] == 1 and state["counters"]["label"] == "F1"
    assert events[-1]["boundary"] is not None  # the update changed the weights
    assert events[-2]["per_pass"] == {"pass": [1], "batch_loss": [records[2]["loss"]]}


def test_a_steps_phase_events_are_sent_before_the_rest_is_collected(client, api, monkeypatch):
    """The phase events answer a step; the state, metrics and statistics after them are most of its work, so they
    are collected once the answer is on the wire (a small network's step runs in the event loop)."""
    log: list[str] = []
    send_text, collect = WebSocket.send_text, Hub.collect

    async def logged_send(self, data: str) -> None:
        log.append(f"sent {json.loads(data)['type']}")
        await send_text(self, data)

    def logged_collect(self, **options):
        if options.get("request_id") is not None:  # a command's own (not a sync after connecting)
            log.append("collect")
        return collect(self, **options)

    monkeypatch.setattr(WebSocket, "send_text", logged_send)
    monkeypatch.setattr(Hub, "collect", logged_collect)
    sid = api.create(api.seed)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        command(ws, "focus", index=0)  # it needs the session lock: the snapshot's worker thread has let it go
        log.clear()
        events = command(ws, "step")  # one phase: small work, run in the event loop when the lock is free
    assert types(events) == ["phase", "state"]
    answer = [entry for entry in log if entry in ("sent phase", "collect")]
    assert answer == ["sent phase", "collect"]
    assert log[-1] == "sent state"


def test_a_command_does_not_also_sync_its_own_change(client, api, monkeypatch):
    """A command publishes its own state; the hub's watcher of outside changes (REST, jobs) sees nothing left to
    do and starts no worker thread for it."""
    syncs: list[bool] = []
    sync = Hub._sync
    monkeypatch.setattr(Hub, "_sync", lambda self, force: syncs.append(force) or sync(self, force))
    sid = api.create(api.seed)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        for _ in range(6):
            command(ws, "step")
        command(ws, "focus", index=1)
        assert syncs == []
        client.post(f"/api/sessions/{sid}/step", json={"unit": "pass", "count": 1})  # an outside change is synced
        receive_until(ws, lambda e: e["type"] == "state" and e["state"]["counters"]["pass"] == 2)
    assert syncs


def test_step_one_phase_at_a_time_walks_the_pass_in_order(client, api):
    sid = api.create(api.seed)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        labels = []
        for expected_next in [*SEED_LABELS[1:], "F1"]:
            events = command(ws, "step")
            assert types(events)[0] == "phase" and types(events)[-1] == "state"
            labels.append(events[0]["record"]["label"])
            assert events[-1]["state"]["counters"]["label"] == expected_next
            assert (events[-1]["boundary"] is not None) == (labels[-1] == "U")
    assert labels == SEED_LABELS


def test_back_restores_the_weights_and_shows_the_open_pass(client, api):
    sid = api.create(api.seed)["id"]
    initial = api.state(sid)["weights"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        stepped = command(ws, "step", unit="pass", count=2)
        assert stepped[-1]["state"]["counters"]["pass"] == 2
        back = without_flags(command(ws, "back", unit="phase", count=1))
        assert types(back) == ["metrics", "state"]
        assert back[0]["replace"] is True and back[0]["per_pass"]["pass"] == [1]
        state = back[-1]
        assert state["state"]["counters"]["pass"] == 1 and state["state"]["counters"]["label"] == "U"
        assert [r["label"] for r in state["visible"]] == SEED_LABELS[:-1]
        assert state["visible"] == [e["record"] for e in stepped[6:11]]
        assert state["boundary"] is not None
        back = command(ws, "back", unit="pass", count=5)  # only 2 passes to go back: the state, then why
        error = ws.receive_json()
    assert back[-1]["state"]["weights"] == initial == api.state(sid)["weights"]
    assert error["type"] == "error" and error["field"] == "count" and error["request_id"] == back[-1]["request_id"]
    assert "went back 2 of 5" in error["message"] and "start of training" in error["message"]


def test_back_at_the_start_is_an_error_and_changes_nothing(client, api):
    sid = api.create(api.seed)["id"]
    before = api.state(sid)
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        events = command(ws, "back")
    assert types(events) == ["error"]
    assert events[0]["field"] == "count" and "start of training" in events[0]["message"]
    assert api.state(sid) == before


def test_request_id_is_echoed_in_every_event_the_command_causes(client, api):
    sid = api.create(api.seed)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        ws.send_json({"type": "step", "count": 6, "request_id": 42})
        events = receive_until(ws, lambda e: e["type"] == "state")
    assert {e["request_id"] for e in events} == {42}


@pytest.mark.parametrize(
    ("message", "field", "words"),
    [
        ("{not json", None, ["not valid JSON"]),
        ('["step"]', None, ["JSON object"]),
        ('{"count": 1}', "type", ["no 'type'"]),
        ('{"type": "jump"}', "type", ["unknown command type 'jump'", "step, back, play"]),
        ('{"type": "step", "count": 0}', "count", ["greater than or equal to 1"]),
        ('{"type": "step", "unit": "year"}', "unit", ["'phase', 'pass' or 'epoch'"]),
        ('{"type": "back", "unit": "epoch"}', "unit", ["'phase' or 'pass'"]),
        ('{"type": "step", "steps": 2}', "steps", ["Extra inputs are not permitted"]),
        ('{"type": "play", "speed": -3}', "speed", ["positive number"]),
        ('{"type": "play", "speed": "fast"}', "speed", ["max"]),
        ('{"type": "set"}', None, ["nothing to change"]),
        ('{"type": "set", "learning_rate": 0}', "learning_rate", ["greater than 0"]),
        ('{"type": "focus", "index": 5}', "index", ["0 to 0"]),
        ('{"type": "edit_weight", "layer": 3, "row": 0, "column": 0, "value": 1}', "layer", ["from 1 to 2"]),
        ('{"type": "edit_weight", "layer": 1, "row": 2, "column": 0, "value": 1}', "row", ["row 2"]),
        ('{"type": "edit_weight", "layer": 1, "row": 0, "value": "big"}', "value", ["valid number"]),
    ],
)
def test_a_bad_command_gets_an_error_naming_the_field_and_changes_nothing(client, api, message, field, words):
    sid = api.create(api.seed)["id"]
    before = api.state(sid)
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        ws.send_text(message)
        error = ws.receive_json()
        assert error["type"] == "error", error
        assert error["field"] == field
        for word in words:
            assert word in error["message"], error["message"]
        assert types(command(ws, "step")) == ["phase", "state"]  # the connection is still open and works
    after = api.state(sid)
    assert after["counters"]["position"] == 1
    assert {k: v for k, v in after.items() if k != "counters"} == {k: v for k, v in before.items() if k != "counters"}


def test_binary_messages_are_refused_with_an_error(client, api):
    sid = api.create(api.seed)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        ws.send_bytes(b'{"type": "step"}')
        error = ws.receive_json()
    assert error["type"] == "error" and "JSON text" in error["message"]


def test_step_while_a_rest_job_trains_is_refused_and_changes_nothing(client, api):
    sid = api.create()["id"]
    job = client.post(f"/api/sessions/{sid}/train", json={"passes": 10_000_000}).json()
    try:
        with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
            ws.receive_json()
            for kind, fields in (
                ("step", {}),
                ("back", {}),
                ("reset", {}),
                ("play", {}),
                ("edit_weight", {"layer": 1, "row": 0, "column": 0, "value": 1.0}),
            ):
                events = command(ws, kind, **fields)
                assert events[-1]["type"] == "error", events[-1]
                assert "training job" in events[-1]["message"]
    finally:
        client.delete(f"/api/sessions/{sid}/jobs/{job['id']}")
    state = api.state(sid)
    assert state["counters"]["position"] == 0 and not state["playing"]


def test_a_diverging_step_sends_the_diverged_event_and_the_state_before_the_pass(client, api):
    sid = api.create(api.diverging)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        events = command(ws, "step", unit="pass", count=500)
    diverged = next(e for e in events if e["type"] == "diverged")
    refused = diverged["diverged"]["pass"]
    assert 0 < refused < 500 and "learning rate" in diverged["diverged"]["hint"]
    assert diverged["state"]["counters"]["pass"] == refused == events[-1]["state"]["counters"]["pass"]
    assert types(events)[-3:] == ["metrics", "diverged", "state"]
    assert api.state(sid)["weights"] == events[-1]["state"]["weights"]


def test_set_focus_edit_and_reset_answer_with_the_state(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        state = command(ws, "set", learning_rate=0.05)[-1]
        assert state["state"]["config"]["optimizer"]["learning_rate"] == 0.05
        command(ws, "step", count=3)
        focus = command(ws, "focus", index=7)[-1]
        assert focus["focus"]["index"] == 7 == focus["state"]["focus"]
        assert [r["focus"] for r in focus["visible"]] == [7, 7, 7]
        edit = command(ws, "edit_weight", layer=2, row=0, column=3, value=1.25)[-1]
        assert edit["state"]["weights"][1][0][3] == 1.25
        assert edit["visible"] == [] and edit["boundary"] is not None  # the open pass was rewound
        command(ws, "step", unit="pass", count=4)
        reset = command(ws, "reset")
    assert types(reset) == ["metrics", "state"] and reset[0]["replace"] is True
    assert reset[0]["per_pass"] == {"pass": [], "batch_loss": []}
    assert reset[-1]["state"]["counters"]["pass"] == 0
    assert reset[-1]["state"]["config"]["optimizer"]["learning_rate"] == 0.05  # hyperparameters are kept


def test_changes_made_over_rest_reach_the_socket(client, api):
    sid = api.create(api.seed)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        client.post(f"/api/sessions/{sid}/step", json={"unit": "pass", "count": 3})
        events = receive_until(ws, lambda e: e["type"] == "state" and e["state"]["counters"]["pass"] == 3)
    points = [p for e in events if e["type"] == "metrics" for p in e["per_pass"]["pass"]]
    assert points == [1, 2, 3]
    assert events[-1]["state"]["weights"] == api.state(sid)["weights"]


def test_a_training_job_sends_job_events_until_it_is_done(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        client.post(f"/api/sessions/{sid}/train", json={"passes": 2_000})
        events = receive_until(ws, lambda e: e["type"] == "job" and e["job"]["status"] == "done")
        last = receive_until(ws, lambda e: e["type"] == "state" and e["state"]["job"]["status"] == "done")
    assert events[-1]["job"]["done"] == events[-1]["job"]["total"] == 2_000
    points = [p for e in events + last if e["type"] == "metrics" for p in e["per_pass"]["pass"]]
    assert points == list(range(1, 2_001))  # every loss point, once, in order
    assert last[-1]["state"]["counters"]["pass"] == 2_000


def test_unknown_session_is_closed_with_4404(client, api):
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/sessions/nope") as ws:
        ws.receive_json()
    assert refused.value.code == 4404 and "no session" in refused.value.reason


def test_deleting_the_session_closes_its_sockets_with_4404(client, api):
    sid = api.create(api.seed)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        assert client.delete(f"/api/sessions/{sid}").status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_until(ws, lambda e: False)
    assert closed.value.code == 4404 and "deleted" in closed.value.reason


def test_own_events_helper_keeps_only_the_commands_events():
    events = [
        {"type": "state", "request_id": None},
        {"type": "phase", "request_id": "a"},
        {"type": "state", "request_id": "a"},
    ]
    assert types(own(events)) == ["phase", "state"]


def test_a_long_history_reaches_the_socket_thinned_and_rest_keeps_every_point(client, api):
    sid = api.create()["id"]
    api.wait(api.train(sid, passes=12_000))
    every = client.get(f"/api/sessions/{sid}/metrics").json()
    assert every["per_pass"]["pass"] == list(range(1, 12_001))
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        sent = ws.receive_json()["metrics"]
        back = without_flags(command(ws, "back", unit="pass", count=1))
    losses = dict(zip(every["per_pass"]["pass"], every["per_pass"]["batch_loss"], strict=True))
    for history, last in ((sent["per_pass"], 12_000), (back[0]["per_pass"], 11_999)):
        passes = history["pass"]
        assert len(passes) <= HISTORY_POINTS_SENT and passes[0] == 1 and passes[-1] == last
        assert history["batch_loss"] == [losses[p] for p in passes]  # the points kept are the engine's own
    assert back[0]["type"] == "metrics" and back[0]["replace"] is True
    assert len(every["per_epoch"]["epoch"]) <= HISTORY_POINTS_SENT  # fewer epochs than that: sent whole
    assert sent["per_epoch"] == every["per_epoch"]
