"""The `lesson` event: every client of a lesson's session hears when the lesson moves or its open step changes
status — an answer or a move over REST, a do step met by a WebSocket step or by play mode, leaving the lesson —
and a setup step (or a rebuild) that builds a new network reaches every client as a snapshot."""

from __future__ import annotations

from typing import Any

from ws_helpers import command, own, receive_until


def lesson_event(index: int | None) -> Any:
    """A condition for receive_until: the `lesson` event (or a snapshot) showing step `index` (None: no lesson)."""

    def done(event: dict[str, Any]) -> bool:
        if event["type"] not in ("lesson", "snapshot"):
            return False
        lesson = event["lesson"]
        return lesson is None if index is None else lesson is not None and lesson["index"] == index

    return done


def test_every_client_follows_the_lesson(client, api):
    sid = api.client.post("/api/sessions", json={"lesson": "01-seed-by-hand"}).json()["id"]
    lesson = f"/api/sessions/{sid}/lesson"
    with client.websocket_connect(f"/ws/sessions/{sid}") as a, client.websocket_connect(f"/ws/sessions/{sid}") as b:
        first_a, first_b = a.receive_json(), b.receive_json()
        assert first_a["type"] == first_b["type"] == "snapshot"
        assert first_a["lesson"]["index"] == 0 and first_a["lesson"]["lesson"]["id"] == "01-seed-by-hand"

        # Next, onto the setup step: the session is rebuilt in place, so each client gets a snapshot of it.
        assert api.client.post(f"{lesson}/next").status_code == 200
        for ws in (a, b):
            events = receive_until(ws, lesson_event(1))
            assert events[-1]["type"] == "snapshot" and events[-1]["state"]["id"] == sid
            assert events[-1]["lesson"]["kind"] == "setup" and events[-1]["state"]["counters"]["pass"] == 0

        # An answer over REST changes the open step's status for everybody.
        api.client.post(f"{lesson}/next")
        api.client.post(f"{lesson}/answer", json={"value": 0.5})
        for ws in (a, b):
            event = receive_until(ws, lambda e: e["type"] == "lesson" and e["lesson"]["status"] == "done")[-1]
            assert event["lesson"]["index"] == 2 and event["lesson"]["expected"] == 0.5

        # A client's step meets the do step's condition: the lesson moves on, in that command's events.
        api.client.post(f"{lesson}/goto", json={"step": 6})
        for ws in (a, b):
            receive_until(ws, lesson_event(6))
        events = own(command(a, "step", unit="phase", count=1))
        assert [e["type"] for e in events] == ["phase", "lesson", "state"]
        moved = events[1]
        assert moved["lesson"]["index"] == 7 and 6 in moved["lesson"]["lesson"]["completed"]
        assert moved["request_id"] == events[-1]["request_id"]
        assert receive_until(b, lesson_event(7))[-1]["lesson"] == moved["lesson"]

        # Leaving the lesson: a lesson event with none.
        assert api.client.delete(lesson).status_code == 200
        for ws in (a, b):
            receive_until(ws, lesson_event(None))


def test_a_do_step_is_met_while_playing_and_both_clients_move_on(client, api):
    sid = api.client.post("/api/sessions", json={"lesson": "02-xor-hidden-layer"}).json()["id"]
    api.client.post(f"/api/sessions/{sid}/lesson/goto", json={"step": 2})  # do: passes >= 1000
    with client.websocket_connect(f"/ws/sessions/{sid}") as a, client.websocket_connect(f"/ws/sessions/{sid}") as b:
        assert a.receive_json()["lesson"]["index"] == b.receive_json()["lesson"]["index"] == 2
        command(a, "play", speed="max")
        for ws in (a, b):
            events = receive_until(ws, lesson_event(3))
            checks = [e["lesson"]["check"] for e in events if e["type"] == "lesson" and e["lesson"]["index"] == 2]
            assert all(not c["passed"] for c in checks)  # the live check went out while it was not met
            assert events[-1]["lesson"]["lesson"]["completed"] == [0, 2, 3]  # goto passed the setup by
        command(a, "pause")
    assert api.state(sid)["counters"]["pass"] >= 1000


def test_a_rebuild_reaches_every_client_as_a_snapshot(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as a, client.websocket_connect(f"/ws/sessions/{sid}") as b:
        a.receive_json(), b.receive_json()
        response = api.client.post(f"/api/sessions/{sid}/rebuild", json={**api.xor, "layers": [2, 5, 1]})
        assert response.status_code == 200
        for ws in (a, b):
            snapshot = receive_until(ws, lambda e: e["type"] == "snapshot")[-1]
            assert snapshot["state"]["config"]["layers"] == [2, 5, 1] and snapshot["lesson"] is None
            assert snapshot["metrics"]["per_pass"]["pass"] == [] and snapshot["data"] is not None
        events = command(b, "step", unit="pass", count=1)
        assert events[-1]["state"]["counters"]["pass"] == 1 and len(events[-1]["state"]["weights"][0]) == 5
