"""Several clients on one session: every command's effects reach all of them in the same order; play frames
reach all; and a client that never reads stays bounded next to a reading one (the outbox alone: test_outbox.py)."""

from __future__ import annotations

import asyncio

from ws_helpers import command, hub_of, receive_until


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
        assert (
            receive_until(a, lambda e: e["type"] == "state" and e.get("request_id") == rid)[-1]["state"]["playing"]
            is False
        )


# -- a stalled client -----------------------------------------------------------------------------------
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


def test_a_stalled_client_does_not_block_another_clients_play_frames_or_grow(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        hub = hub_of(client, sid)
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
    assert max(sizes) <= 4  # at most: merged metrics, latest state (and a job event, the latest flags event)
    assert paused >= 3_000
