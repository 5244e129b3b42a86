"""Watch links: the owner makes and revokes a read-only link; a watcher sees every event of the session through
the token alone — never the session id — and can change nothing (REST writes 403, commands `error`); revoking
closes the watchers' sockets with 4410 and the reason; a wrong token is refused."""

from __future__ import annotations

import json

import pytest
from starlette.websockets import WebSocketDisconnect
from ws_helpers import command, hub_of, receive_until

from app.watch import CLOSE_REVOKED


def make_link(client, session_id: str) -> dict:
    response = client.post(f"/api/sessions/{session_id}/watch")
    assert response.status_code == 201, response.text
    return response.json()


def test_a_link_is_made_once_and_reads_the_session_without_its_id(client, api):
    session = api.create()
    sid = session["id"]
    link = make_link(client, sid)
    assert link["url"] == f"/watch/{link['token']}"
    assert sid not in json.dumps(link)
    again = client.post(f"/api/sessions/{sid}/watch")
    assert again.status_code == 200 and again.json() == link  # one link per session
    api.step(sid, "pass", 2)
    token = link["token"]
    for path in ("", "/metrics"):
        response = client.get(f"/api/watch/{token}{path}")
        assert response.status_code == 200, response.text
        assert sid not in response.text
    state = client.get(f"/api/watch/{token}").json()
    assert state["id"] == token
    assert state["counters"]["pass"] == 2
    assert state["weights"] == api.state(sid)["weights"]
    assert client.get(f"/api/watch/{token}/metrics").json()["per_pass"]["pass"] == [1, 2]
    api.error(client.get(f"/api/watch/{token}/lesson"), 404)  # no lesson open: the owner's answer too


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/step"),
        ("POST", "/reset"),
        ("POST", "/train"),
        ("DELETE", "/lesson"),
        ("POST", "/lesson/answer"),
    ],
)
def test_every_write_through_a_link_is_403(client, api, method, path):
    sid = api.create()["id"]
    token = make_link(client, sid)["token"]
    before = api.state(sid)
    response = client.request(method, f"/api/watch/{token}{path}", json={"unit": "pass", "count": 1})
    body = api.error(response, 403, "watch link", "cannot change")
    assert sid not in json.dumps(body)
    assert api.state(sid)["counters"] == before["counters"]


def test_a_wrong_token_is_refused(client, api):
    sid = api.create()["id"]
    api.error(client.get("/api/watch/not-a-token"), 404, "no such watch link")
    api.error(client.get(f"/api/watch/{sid}"), 404, "no such watch link")  # a session id is not a watch token
    with client.websocket_connect("/ws/watch/not-a-token") as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 4404
    assert "no such watch link" in closed.value.reason


def test_the_watcher_gets_the_owners_events_without_the_id_and_its_commands_are_refused(client, api):
    sid = api.create()["id"]
    token = make_link(client, sid)["token"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as owner, client.websocket_connect(f"/ws/watch/{token}") as w:
        assert owner.receive_json()["type"] == "snapshot"
        raw = w.receive_text()
        snapshot = json.loads(raw)
        assert snapshot["type"] == "snapshot" and snapshot["state"]["id"] == token
        assert sid not in raw
        answered = command(owner, "step", unit="phase", count=2)
        assert [e["type"] for e in answered] == ["phase", "phase", "state"]
        seen = []
        while len([e for e in seen if e["type"] == "state"]) < 1:
            text = w.receive_text()
            assert sid not in text
            seen.append(json.loads(text))
        assert [e["type"] for e in seen] == ["phase", "phase", "state"]
        assert [e["record"]["label"] for e in seen[:2]] == ["F1", "F2"]
        # Every command from a watcher is refused, and the session is unchanged.
        for kind in ("step", "play", "reset", "pause"):
            w.send_json({"type": kind, "request_id": f"w-{kind}"})
            error = w.receive_json()
            assert error["type"] == "error" and error["request_id"] == f"w-{kind}"
            assert "watch link" in error["message"]
        w.send_text("not json")
        assert w.receive_json()["type"] == "error"
        assert api.state(sid)["counters"]["position"] == 2


def test_the_watcher_sees_play_and_its_socket_does_not_keep_play_going(client, api):
    sid = api.create()["id"]
    token = make_link(client, sid)["token"]
    with client.websocket_connect(f"/ws/watch/{token}") as w:
        w.receive_json()
        with client.websocket_connect(f"/ws/sessions/{sid}") as owner:
            owner.receive_json()
            owner.send_json({"type": "play", "speed": "max"})
            frames = receive_until(w, lambda e: e["type"] == "state" and e["state"]["counters"]["pass"] > 20)
            assert all(sid not in json.dumps(e) for e in frames)
        # The owner left: play stops (nobody who may pause it is left), the watcher still sees the session.
        receive_until(w, lambda e: e["type"] == "state" and not e["state"]["playing"])
        assert not api.state(sid)["playing"]


def test_revoking_closes_the_watchers_with_a_reason_and_the_token_stops_working(client, api):
    sid = api.create()["id"]
    token = make_link(client, sid)["token"]
    with client.websocket_connect(f"/ws/watch/{token}") as w:
        w.receive_json()
        assert client.delete(f"/api/sessions/{sid}/watch").status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                w.receive_json()
        assert closed.value.code == CLOSE_REVOKED
        assert "revoked" in closed.value.reason
    api.error(client.get(f"/api/watch/{token}"), 404)
    assert client.delete(f"/api/sessions/{sid}/watch").status_code == 204  # no link: nothing to do
    assert make_link(client, sid)["token"] != token  # a new link is a new token


def test_deleting_the_session_ends_its_link(client, api):
    sid = api.create()["id"]
    token = make_link(client, sid)["token"]
    with client.websocket_connect(f"/ws/watch/{token}") as w:
        w.receive_json()
        assert client.delete(f"/api/sessions/{sid}").status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                w.receive_json()
        assert closed.value.code == 4404
    api.error(client.get(f"/api/watch/{token}"), 404)
    api.error(client.post(f"/api/sessions/{sid}/watch"), 404)


def test_with_an_access_token_a_watcher_needs_only_the_link(api_with):
    """BACKPROP_VIZ_TOKEN set: the owner uses the token; the class, given the link only, reads the session, the
    catalog and the lessons and follows the socket — and nothing else opens without the token."""
    secret = "class-token-7d1e"
    with api_with(token=secret) as api:
        client = api.client
        owner = {"Authorization": f"Bearer {secret}"}
        sid = client.post("/api/sessions", json=api.xor, headers=owner).json()["id"]
        link = client.post(f"/api/sessions/{sid}/watch", headers=owner).json()
        token = link["token"]
        assert client.get(f"/api/watch/{token}").json()["id"] == token  # no access token presented
        assert client.get(f"/api/watch/{token}/metrics").status_code == 200
        assert client.get("/api/catalog").status_code == 200
        assert client.get("/api/lessons").status_code == 200
        api.error(client.get("/api/watch/not-a-token"), 404)
        api.error(client.post(f"/api/watch/{token}/step", json={}), 403)  # still read-only
        for response in (
            client.get(f"/api/sessions/{sid}"),
            client.get("/api/datasets"),
            client.post(f"/api/sessions/{sid}/watch"),
            client.get(f"/api/lessons/{'x' * 8}"),
        ):
            api.error(response, 401)
        with client.websocket_connect(f"/ws/watch/{token}") as ws:
            assert ws.receive_json()["type"] == "snapshot"
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(f"/ws/sessions/{sid}") as ws:
            ws.receive_json()
        assert refused.value.code == 1008


def test_a_link_outlives_a_restart_and_a_revoked_one_does_not(api_with):
    """Persistence on: the link a class was given works again after the server restarts; revoked or deleted
    with its session, it is gone for good."""
    with api_with(persist=True) as api:
        client = api.client
        kept = api.create()["id"]
        revoked = api.create()["id"]
        gone = api.create()["id"]
        kept_token = make_link(client, kept)["token"]
        revoked_token = make_link(client, revoked)["token"]
        gone_token = make_link(client, gone)["token"]
        assert client.delete(f"/api/sessions/{revoked}/watch").status_code == 204
        assert client.delete(f"/api/sessions/{gone}").status_code == 204
    with api_with(persist=True) as api:  # the same data directory: a restart
        client = api.client
        assert client.get(f"/api/watch/{kept_token}").json()["id"] == kept_token
        again = client.post(f"/api/sessions/{kept}/watch")
        assert again.status_code == 200 and again.json()["token"] == kept_token  # still that one link
        api.error(client.get(f"/api/watch/{revoked_token}"), 404)
        api.error(client.get(f"/api/watch/{gone_token}"), 404)
        with client.websocket_connect(f"/ws/watch/{kept_token}") as ws:
            snapshot = ws.receive_json()
            assert snapshot["type"] == "snapshot" and kept not in json.dumps(snapshot)


def test_a_watcher_gets_the_layer_statistics_the_owner_gets(client, api):
    sid = api.create()["id"]
    token = make_link(client, sid)["token"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as owner, client.websocket_connect(f"/ws/watch/{token}") as ws:
        owner.receive_json()
        ws.receive_json()
        answer = command(owner, "step", unit="pass", count=1)
        assert answer[-1]["diagnostics"] is not None
        seen = receive_until(ws, lambda e: e["type"] == "state" and e["state"]["counters"]["pass"] == 1)
        assert seen[-1]["diagnostics"] == answer[-1]["diagnostics"]


def test_the_owners_come_before_the_watchers_however_they_joined(client, api):
    """Events are handed out in the hub's client order: a command's answer reaches the owner before the class."""
    sid = api.create()["id"]
    token = make_link(client, sid)["token"]
    with client.websocket_connect(f"/ws/watch/{token}") as first:
        first.receive_json()
        with client.websocket_connect(f"/ws/sessions/{sid}") as owner:
            owner.receive_json()
            with client.websocket_connect(f"/ws/watch/{token}") as second:
                second.receive_json()
                assert [c.watch for c in hub_of(client, sid).clients] == [None, token, token]
