"""Play mode over the WebSocket: frames with every loss point, pause that really stops, a finite speed handed to
the player, divergence that stops play with the state before the pass, and the commands and events that end
play (step, reset, the last client leaving, the session being deleted). Waits are for events, never for time;
the play loop's timing is tested alone in test_play.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect
from ws_helpers import command, hub_of, receive_until, types


def frames_until(ws, passes: int) -> list[dict]:
    """Play frames until the state shows at least `passes` passes."""
    return receive_until(ws, lambda e: e["type"] == "state" and e["state"]["counters"]["pass"] >= passes)


def loss_points(events: list[dict]) -> list[int]:
    return [p for e in events if e["type"] == "metrics" for p in e["per_pass"]["pass"]]


@contextmanager
def playing(client, session_id: str, until_pass: int = 20) -> Iterator[Any]:
    """A socket on the session, playing at max speed and past `until_pass`."""
    with client.websocket_connect(f"/ws/sessions/{session_id}") as ws:
        ws.receive_json()
        command(ws, "play", speed="max")
        frames_until(ws, until_pass)
        yield ws


def test_play_streams_frames_with_every_point_and_pause_stops_it(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        started = command(ws, "play", speed="max")
        assert started[-1]["state"]["playing"] is True and started[-1]["state"]["speed"] is None
        frames = frames_until(ws, 300)
        assert all(e["type"] in ("metrics", "state") for e in frames)
        states = [e for e in frames if e["type"] == "state"]
        assert states[0]["boundary"] is not None  # then at most ~10 times a second
        paused = command(ws, "pause")
        stopped_at = paused[-1]["state"]["counters"]["pass"]
        assert paused[-1]["state"]["playing"] is False and stopped_at >= 300
        assert paused[-1]["boundary"] is not None  # the final one
        points = loss_points(frames + paused)
        assert points == list(range(1, stopped_at + 1))  # none lost, none twice, in order
        # Nothing moves after the pause: another command's answer shows the same pass.
        assert command(ws, "set", learning_rate=0.3)[-1]["state"]["counters"]["pass"] == stopped_at
    state = api.state(sid)
    assert state["counters"]["pass"] == stopped_at and state["playing"] is False


def test_play_at_a_finite_speed_hands_the_speed_to_the_player_and_loses_no_point(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        assert command(ws, "play", speed=200)[-1]["state"]["speed"] == 200
        frames = frames_until(ws, 30)  # play frames: the player is running
        player = hub_of(client, sid).player
        assert player is not None and player.speed == 200.0  # its pacing: test_play.py, on a fake clock
        paused = command(ws, "pause")
    stopped_at = paused[-1]["state"]["counters"]["pass"]
    assert loss_points(frames + paused) == list(range(1, stopped_at + 1))


def test_play_command_while_playing_changes_the_speed(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        command(ws, "play", speed=50)
        faster = command(ws, "play", speed="max")
        assert faster[-1]["state"]["playing"] is True and faster[-1]["state"]["speed"] is None
        frames_until(ws, faster[-1]["state"]["counters"]["pass"] + 200)
        assert command(ws, "pause")[-1]["state"]["playing"] is False


def test_divergence_in_play_stops_it_with_the_state_before_the_pass(client, api):
    sid = api.create(api.diverging)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        command(ws, "play", speed="max")
        events = receive_until(ws, lambda e: e["type"] == "diverged")
        after = ws.receive_json()
        diverged = events[-1]
        refused = diverged["diverged"]["pass"]
        assert diverged["state"]["counters"]["pass"] == refused
        assert diverged["state"]["playing"] is False
        assert "learning rate" in diverged["diverged"]["hint"]
        assert after["type"] == "state" and after["state"]["playing"] is False
        assert after["state"]["weights"] == diverged["state"]["weights"]
        assert loss_points(events) == list(range(1, refused + 1))
    state = api.state(sid)
    assert state["counters"]["pass"] == refused and state["playing"] is False


def test_step_during_play_pauses_first_then_steps(client, api):
    with playing(client, api.create()["id"], 50) as ws:
        stepped = command(ws, "step", unit="phase", count=1)
        own = [e for e in stepped if e.get("request_id") == stepped[-1]["request_id"]]
        assert types(own) == ["phase", "state"]
        assert own[-1]["state"]["playing"] is False
        assert own[0]["record"]["pass"] == own[-1]["state"]["counters"]["pass"]
        assert own[-1]["state"]["counters"]["position"] == 1


def test_reset_during_play_stops_it_and_goes_back_to_pass_0(client, api):
    with playing(client, api.create()["id"], 50) as ws:
        reset = command(ws, "reset")
        assert reset[-1]["state"]["playing"] is False and reset[-1]["state"]["counters"]["pass"] == 0
        replaced = [e for e in reset if e["type"] == "metrics" and e["replace"]]
        assert replaced and replaced[-1]["per_pass"]["pass"] == []


def test_play_stops_when_the_last_client_leaves(client, api):
    sid = api.create()["id"]
    with playing(client, sid):
        player = hub_of(client, sid).player
    assert player is not None
    # The server notices the disconnect in its own time: wait for the play loop to end (a guard, not a measure).
    client.portal.call(lambda: asyncio.wait_for(player.ended(), timeout=60))
    state = api.state(sid)
    assert state["playing"] is False and state["speed"] is None


def test_deleting_the_session_stops_play_and_closes_the_socket(client, api):
    sid = api.create()["id"]
    with playing(client, sid) as ws:
        assert client.delete(f"/api/sessions/{sid}").status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_until(ws, lambda e: False)
    assert closed.value.code == 4404


def test_a_rest_job_is_refused_while_playing(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        command(ws, "play", speed=100)
        response = client.post(f"/api/sessions/{sid}/train", json={"passes": 10})
        assert response.status_code == 409 and "playing" in response.json()["detail"]
        command(ws, "pause")


def test_every_session_plays_on_the_apps_one_scheduler(client, api):
    """Play mode of every session, jobs and the REST calls' priority share the app's scheduler: a hub made while
    it has no task (an empty Scheduler is falsy) must not make a scheduler, and a thread, of its own."""
    shared = client.app.state.jobs.scheduler
    assert len(shared) == 0
    first, second = api.create()["id"], api.create()["id"]
    assert hub_of(client, first).scheduler is shared
    with playing(client, first):
        assert hub_of(client, second).scheduler is shared
        with playing(client, second):
            assert len(shared) == 2  # both players are tasks of the one scheduler
    assert shared.threads == len(shared._workers) == client.app.state.settings.training_threads
