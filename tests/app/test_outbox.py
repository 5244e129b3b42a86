"""The outbox of one client, alone: ordered events keep their place, `state`/`job`/`metrics` coalesce (never
losing a loss point or the last boundary), and whatever a client fails to read stays bounded (a collapse to a
snapshot, or the full metrics history instead of too many points)."""

from __future__ import annotations

import json

from app.outbox import Item, MetricsBatch, Outbox, StateFrame, dump
from app.schemas import StateEvent


def metrics(first_pass: int, count: int = 3, replace: bool = False) -> Item:
    passes = list(range(first_pass, first_pass + count))
    return Item("metrics", MetricsBatch({"pass": passes, "batch_loss": [0.5] * count}, {"epoch": []}, replace))


def state(text: str, **parts: str) -> Item:
    return Item("state", StateFrame(text, **parts))


def frame(
    state: object,
    request_id: object = None,
    visible: object = None,
    focus: object = None,
    boundary: object = None,
    diagnostics: object = None,
) -> dict:
    return {
        "request_id": request_id,
        "type": "state",
        "state": state,
        "visible": visible,
        "focus": focus,
        "boundary": boundary,
        "diagnostics": diagnostics,
    }


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
        [1, 2, 3],
        frame("s1"),
        "phase",
        [4, 5, 6],
        frame("s3"),
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
    event = StateEvent(
        request_id=7,
        state=session.state(),
        visible=session.visible_records(),
        focus=session.focus_sample(),
        boundary=session.boundary(),
    )
    assert json.loads(StateFrame.of(event).to_json()) == json.loads(event.model_dump_json(by_alias=True))
    bare = StateEvent(state=session.state())
    assert json.loads(StateFrame.of(bare).to_json()) == json.loads(bare.model_dump_json(by_alias=True))
    served = StateFrame.made(dump(bare.state), 7, boundary=event.boundary.model_dump_json())
    expected = event.model_copy(update={"visible": None, "focus": None})  # the boundary given already serialized
    assert json.loads(served.to_json()) == json.loads(expected.model_dump_json(by_alias=True))


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


def test_coalesced_slots_are_sent_as_metrics_then_state_then_the_latest_job():
    outbox = Outbox()
    outbox.push(Item("job", '"job 1"'))
    outbox.push(state('"s1"'))
    outbox.push(Item("job", '"job 2"'))
    outbox.push(metrics(1))
    sent = [outbox.pop() for _ in range(outbox.pending)]
    assert [i.kind for i in sent] == ["metrics", "state", "job"]
    assert sent[2].text == '"job 2"' and outbox.pop() is None


def test_a_metrics_batch_is_the_metrics_event_on_the_wire():
    batch = MetricsBatch({"pass": [1, 2], "batch_loss": [0.5, None]}, {"epoch": [1], "train_loss": [0.25]}, False, "r1")
    assert json.loads(batch.to_json()) == {
        "request_id": "r1",
        "type": "metrics",
        "per_pass": {"pass": [1, 2], "batch_loss": [0.5, None]},
        "per_epoch": {"epoch": [1], "train_loss": [0.25]},
        "replace": False,
    }


def test_a_close_request_stops_new_events_and_a_snapshot_covers_what_a_collapse_dropped():
    outbox = Outbox()
    outbox.collapse()
    outbox.push(Item("ordered", "dropped: the snapshot will cover it"))
    assert outbox.needs_snapshot and outbox.pending == 0
    outbox.install_snapshot("snapshot")
    outbox.request_close(4404, "gone")
    outbox.push(Item("ordered", "after the close"))
    assert outbox.close_request == (4404, "gone")
    assert [outbox.pop().payload, outbox.pop()] == ["snapshot", None]
