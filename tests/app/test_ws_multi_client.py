"""Several clients on one session: every command's effects reach all of them in the same order; play frames
reach all; and a client that never reads stays bounded (unit tests of the outbox, and a stalled client in the
hub next to a reading one)."""

from __future__ import annotations

import asyncio
import json

from ws_helpers import command, receive_until

from app.hub import Item, MetricsBatch, Outbox, StateFrame, hubs_of
from app.schemas import StateEvent


def test_two_clients_see_every_event_of_each_others_commands_in_the_same_order(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as a, client.websocket_connect(f"/ws/sessions/{sid}") as b:
        assert a.receive_json()["type"] == b.receive_json()["type"] == "snapshot"
        seen_a: list[dict] = []
        seen_b: list[dict] = []
        for sender, other, fields in [
            (a, b, {"type": "step", "unit": "phase", "count": 3}),
            (b, a, {"type": "set", "learning_rate": 0.2}),
            (b, a, {"type": "step", "unit": "pass", "count": 2}),
            (a, b, {"type": "back", "unit": "phase", "count": 4}),
            (a, b, {"type": "focus", "index": 3}),
            (b, a, {"type": "edit_weight", "layer": 1, "row": 1, "column": 0, "value": -0.5}),
            (a, b, {"type": "reset"}),
        ]:
            events = command(sender, **fields)
            seen = seen_a if sender is a else seen_b
            seen.extend(events)
            rid = events[-1]["request_id"]
            (seen_b if sender is a else seen_a).extend(
                receive_until(other, lambda e, rid=rid: e["type"] == "state" and e["request_id"] == rid)
            )
    assert seen_a == seen_b
    assert [e["type"] for e in seen_a].count("phase") == 3 + 3 + 6  # 3 phases, the rest of that pass, one more
    assert all(e["type"] != "error" for e in seen_a)


def test_errors_go_only_to_the_client_whose_command_was_wrong(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as a, client.websocket_connect(f"/ws/sessions/{sid}") as b:
        a.receive_json(), b.receive_json()
        assert command(a, "focus", index=999)[-1]["type"] == "error"
        events = command(b, "step")
    assert [e["type"] for e in events] == ["phase", "state"]  # b never saw a's error


def test_a_client_joining_during_play_gets_a_snapshot_then_the_stream_without_gaps(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as a:
        a.receive_json()
        command(a, "play", speed="max")
        receive_until(a, lambda e: e["type"] == "state" and e["state"]["counters"]["pass"] >= 100)
        with client.websocket_connect(f"/ws/sessions/{sid}") as b:
            snapshot = b.receive_json()
            assert snapshot["type"] == "snapshot" and snapshot["state"]["playing"] is True
            history = [int(p) for p in snapshot["metrics"]["per_pass"]["pass"]]
            start = history[-1]
            assert history == list(range(1, start + 1))
            frames = receive_until(b, lambda e: e["type"] == "state" and e["state"]["counters"]["pass"] >= start + 200)
            points = [p for e in frames if e["type"] == "metrics" for p in e["per_pass"]["pass"]]
            assert points == list(range(start + 1, frames[-1]["state"]["counters"]["pass"] + 1))
            paused = command(b, "pause")
        assert paused[-1]["state"]["playing"] is False
        rid = paused[-1]["request_id"]
        assert receive_until(a, lambda e: e.get("request_id") == rid)[-1]["state"]["playing"] is False


# -- a stalled client -----------------------------------------------------------------------------------
def metrics(first_pass: int, count: int = 3, replace: bool = False) -> Item:
    passes = list(range(first_pass, first_pass + count))
    return Item("metrics", MetricsBatch({"pass": passes, "batch_loss": [0.5] * count}, {"epoch": []}, replace))


def state(text: str, **parts: str) -> Item:
    return Item("state", StateFrame(text, **parts))


def frame(state: object, request_id: object = None, visible: object = None, focus: object = None,
          boundary: object = None) -> dict:
    return {"request_id": request_id, "type": "state", "state": state, "visible": visible, "focus": focus,
            "boundary": boundary}


def test_an_outbox_never_drained_stays_bounded_and_merges_every_metrics_point():
    outbox = Outbox(max_metrics_points=10**9)
    for frame in range(10_000):
        outbox.push(metrics(3 * frame + 1))
        outbox.push(state(json.dumps({"frame": frame})))
    assert outbox.pending == 2 and len(outbox.queue) == 0  # one merged metrics batch, one latest state
    merged = outbox.pop()
    assert merged.kind == "metrics" and merged.payload.per_pass["pass"] == list(range(1, 30_001))
    latest = outbox.pop()
    assert latest.kind == "state" and json.loads(latest.text)["state"]["frame"] == 9_999
    assert outbox.pop() is None


def test_ordered_events_keep_their_place_between_coalesced_frames():
    outbox = Outbox()
    outbox.push(state('"s1"'))
    outbox.push(metrics(1))
    outbox.push(Item("ordered", '"phase"'))
    outbox.push(state('"s2"'))
    outbox.push(state('"s3"'))
    outbox.push(metrics(4))
    sent = [outbox.pop() for _ in range(outbox.pending)]
    assert [i.payload.per_pass["pass"] if i.kind == "metrics" else json.loads(i.text) for i in sent] == [
        [1, 2, 3], frame("s1"), "phase", [4, 5, 6], frame("s3")
    ]


def test_coalescing_keeps_the_last_boundary_when_newer_frames_have_none():
    outbox = Outbox()
    outbox.push(state('"s1"', boundary='{"xs": [1]}', visible="[]"))
    outbox.push(state('"s2"'))
    outbox.push(state('"s3"', visible='[{"label": "F1"}]'))
    assert json.loads(outbox.pop().text) == frame("s3", boundary={"xs": [1]}, visible=[{"label": "F1"}])


def test_a_state_frame_is_the_state_event_the_schema_describes(client, api, app):
    sid = api.create()["id"]
    session = app.state.registry.get(sid)
    event = StateEvent(request_id=7, state=session.state(), visible=session.visible_records(),
                       focus=session.focus_sample(), boundary=session.boundary())
    assert json.loads(StateFrame.of(event).to_json()) == json.loads(event.model_dump_json(by_alias=True))
    bare = StateEvent(state=session.state())
    assert json.loads(StateFrame.of(bare).to_json()) == json.loads(bare.model_dump_json(by_alias=True))


def test_a_replace_batch_wins_over_pending_points():
    outbox = Outbox()
    outbox.push(metrics(1))
    outbox.push(metrics(1, count=1, replace=True))
    outbox.push(metrics(2))
    batch = outbox.pop().payload
    assert batch.replace is True and batch.per_pass["pass"] == [1, 2, 3, 4]


def test_too_many_pending_metrics_points_ask_for_the_full_history():
    outbox = Outbox(max_metrics_points=50_000)
    for frame in range(20_000):
        outbox.push(metrics(3 * frame + 1))
    assert outbox.needs_metrics and outbox.metrics is None  # memory freed; the history comes instead
    history = MetricsBatch({"pass": list(range(1, 60_001)), "batch_loss": [0.1] * 60_000}, {"epoch": []}, True)
    outbox.install_metrics(history)
    outbox.push(metrics(60_001))
    batch = outbox.pop().payload
    assert batch.replace and batch.per_pass["pass"] == list(range(1, 60_004))


def test_an_overflowing_queue_collapses_to_a_snapshot():
    outbox = Outbox(max_items=100)
    for n in range(10_000):
        outbox.push(Item("ordered", f"phase {n}"))
        outbox.push(state(f'"state {n}"'))
        assert len(outbox.queue) <= 100
    assert outbox.needs_snapshot and outbox.pending == 0 and outbox.dropped_events > 0
    outbox.install_snapshot("snapshot")
    outbox.push(Item("ordered", "after"))
    assert [outbox.pop().payload, outbox.pop().payload] == ["snapshot", "after"]


class StalledSocket:
    """A WebSocket whose peer never reads: the first send never completes."""

    application_state = None

    def __init__(self) -> None:
        self.sends = 0

    async def send_text(self, text: str) -> None:
        self.sends += 1
        await asyncio.Event().wait()

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass


def test_a_stalled_client_does_not_block_another_clients_play_frames_or_grow(client, api, app):
    sid = api.create()["id"]
    session = app.state.registry.get(sid)
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        hub = client.portal.call(lambda: hubs_of(app).get(session))  # in the app's event loop
        stalled_socket = StalledSocket()

        async def join():
            return await hub.join(stalled_socket)

        stalled = client.portal.call(join)
        command(ws, "play", speed="max")
        sizes = []
        for target in range(500, 3_001, 500):
            receive_until(ws, lambda e, t=target: e["type"] == "state" and e["state"]["counters"]["pass"] >= t)
            sizes.append(stalled.outbox.pending)
        paused = command(ws, "pause")[-1]["state"]["counters"]["pass"]
        client.portal.call(hub.leave, stalled)
    assert stalled_socket.sends == 1  # stuck on its first message (the snapshot) all along
    assert max(sizes) <= 3  # at most: merged metrics, latest state (and a job event)
    assert paused >= 3_000
