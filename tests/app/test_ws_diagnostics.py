"""Diagnostics on the WebSocket: the snapshot's flags and statistics, `state` events that carry new statistics
when a pass ends (at most BACKPROP_VIZ_DIAGNOSTICS_RATE a second while playing), `flags` events when the set of
flags changes, and BACKPROP_VIZ_DIAGNOSTICS=false turning all of it off."""

from __future__ import annotations

import time

from ws_helpers import command, receive_until

from app.schemas import FlagsEvent, FrameDiagnostics

HOT = {"optimizer": {"name": "sgd", "learning_rate": 40.0}}  # xor at η = 40: every update is far too large


def test_the_snapshot_carries_the_statistics_and_the_flags(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        snapshot = ws.receive_json()
    diagnostics = FrameDiagnostics.model_validate(snapshot["diagnostics"])
    assert diagnostics.pass_index == 0 and [layer.layer for layer in diagnostics.layers] == [1, 2]
    assert snapshot["flags"] == []
    rest = client.get(f"/api/sessions/{sid}/diagnostics").json()
    assert snapshot["diagnostics"]["layers"] == rest["layers"]


def test_a_pass_boundary_brings_new_statistics_and_a_phase_within_a_pass_does_not(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        phase = command(ws, "step", unit="phase", count=1)
        assert phase[-1]["diagnostics"] is None
        passed = command(ws, "step", unit="pass", count=1)
        state = passed[-1]
        assert state["diagnostics"]["pass"] == state["state"]["counters"]["pass"] == 1
        assert all(layer["update_ratio"] > 0 for layer in state["diagnostics"]["layers"])
        back = command(ws, "back", unit="pass", count=1)
        assert back[-1]["diagnostics"]["pass"] == 0
        assert back[-1]["diagnostics"]["layers"][0]["update_ratio"] is None  # restored: no last update


def test_a_flags_event_comes_when_the_set_of_flags_changes_and_only_then(client, api):
    sid = api.create(api.xor, **HOT)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        assert ws.receive_json()["flags"] == []
        for _ in range(2):  # an update ratio is flagged when it is out of band at 3 measurements in a row
            early = [f for e in command(ws, "step", unit="pass", count=1) if e["type"] == "flags" for f in e["flags"]]
            assert "update_too_large" not in {f["kind"] for f in early}
        first = command(ws, "step", unit="pass", count=1)
        flags = [e for e in first if e["type"] == "flags"]
        assert len(flags) == 1 and flags[0]["request_id"] == first[-1]["request_id"]
        event = FlagsEvent.model_validate(flags[0])
        assert "update_too_large" in [f.kind for f in event.flags]
        too_large = next(f for f in event.flags if f.kind == "update_too_large")
        assert too_large.value > too_large.threshold == 0.1 and too_large.lesson == "04-learning-rate"
        assert [e["type"] for e in first].index("flags") < [e["type"] for e in first].index("state")
        kinds = {(f.kind, f.layer) for f in event.flags}
        for _ in range(5):  # while the set stays the same, no flags event
            events = command(ws, "step", unit="pass", count=1)
            now = client.get(f"/api/sessions/{sid}/diagnostics").json()["flags"]
            changed = {(f["kind"], f["layer"]) for f in now} != kinds
            assert any(e["type"] == "flags" for e in events) == changed
            kinds = {(f["kind"], f["layer"]) for f in now}
        reset = command(ws, "reset")
        assert [e["flags"] for e in reset if e["type"] == "flags"] == [[]]  # pass 0 again: no update, no flag


def test_play_frames_carry_statistics_at_most_at_the_diagnostics_rate(api_with):
    with api_with(diagnostics_rate=4.0) as api:
        sid = api.create()["id"]
        with api.client.websocket_connect(f"/ws/sessions/{sid}") as ws:
            ws.receive_json()
            command(ws, "play", speed="max")
            started = time.monotonic()
            frames = receive_until(
                ws, lambda e: e["type"] == "state" and time.monotonic() - started > 1.5, limit=100_000
            )
            elapsed = time.monotonic() - started
            paused = command(ws, "pause")
        states = [e for e in frames if e["type"] == "state"]
        carrying = [e for e in states if e["diagnostics"] is not None]
        assert 1 <= len(carrying) <= 4.0 * elapsed + 2 and len(carrying) < len(states)
        passes = [e["diagnostics"]["pass"] for e in carrying]
        assert passes == sorted(passes) and all(
            p <= e["state"]["counters"]["pass"] for p, e in zip(passes, carrying, strict=True)
        )
        final = paused[-1]
        assert final["diagnostics"] is None or final["diagnostics"]["pass"] == final["state"]["counters"]["pass"]
        latest = api.client.get(f"/api/sessions/{sid}/diagnostics").json()
        assert latest["pass"] == final["state"]["counters"]["pass"]


def test_turned_off_nothing_is_measured_on_the_socket_but_rest_still_answers(api_with):
    with api_with(diagnostics=False) as api:
        sid = api.create(api.xor, **HOT)["id"]
        with api.client.websocket_connect(f"/ws/sessions/{sid}") as ws:
            snapshot = ws.receive_json()
            assert snapshot["diagnostics"] is None and snapshot["flags"] == []
            events = command(ws, "step", unit="pass", count=3)
        assert all(e["type"] != "flags" for e in events) and events[-1]["diagnostics"] is None
        body = api.client.get(f"/api/sessions/{sid}/diagnostics").json()
        assert body["pass"] == 3 and all(layer["update_ratio"] > 0 for layer in body["layers"])  # measured now


def test_a_training_job_ends_with_statistics_of_its_last_pass(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        api.wait(api.train(sid, passes=300))
        events = receive_until(
            ws, lambda e: e["type"] == "state" and e["diagnostics"] is not None and e["diagnostics"]["pass"] == 300
        )
    assert events[-1]["state"]["counters"]["pass"] == 300
