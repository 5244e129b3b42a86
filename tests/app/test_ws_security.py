"""Who may open the WebSocket: pages from this server's origin or an allowed one (cross-site WebSocket hijacking
is refused with 1008 before the handshake completes), and, when a token is set, only clients that present it."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect


def refusal(client, path: str, **kwargs) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(path, **kwargs) as ws:
        ws.receive_json()
    return refused.value


def test_a_page_from_another_origin_is_refused_with_1008(client, api):
    sid = api.create(api.seed)["id"]
    refused = refusal(client, f"/ws/sessions/{sid}", headers={"Origin": "http://evil.example"})
    assert refused.code == 1008
    assert "evil.example" in refused.reason and "BACKPROP_VIZ_ALLOWED_ORIGINS" in refused.reason


def test_refusal_comes_before_the_session_is_looked_up(client):
    refused = refusal(client, "/ws/sessions/unknown", headers={"Origin": "http://evil.example"})
    assert refused.code == 1008  # not 4404: a foreign page learns nothing about session ids


@pytest.mark.parametrize("origin", ["http://testserver", "https://testserver", None])
def test_same_origin_pages_and_scripts_without_origin_are_allowed(client, api, origin):
    sid = api.create(api.seed)["id"]
    headers = {"Origin": origin} if origin else {}
    with client.websocket_connect(f"/ws/sessions/{sid}", headers=headers) as ws:
        assert ws.receive_json()["type"] == "snapshot"


def test_an_allowed_origin_is_accepted_and_others_still_refused(api_with):
    with api_with(allowed_origins=["http://localhost:3000"]) as api:
        client = api.client
        sid = api.create()["id"]
        with client.websocket_connect(f"/ws/sessions/{sid}", headers={"Origin": "http://localhost:3000"}) as ws:
            assert ws.receive_json()["type"] == "snapshot"
        refused = refusal(client, f"/ws/sessions/{sid}", headers={"Origin": "http://localhost:3001"})
        assert refused.code == 1008


def test_with_a_token_set_the_socket_needs_it(api_with):
    with api_with(token="s3cret") as api:
        client = api.client
        auth = {"Authorization": "Bearer s3cret"}
        response = client.post("/api/sessions", json={"layers": [2, 2, 1]}, headers=auth)
        assert response.status_code == 201, response.text
        sid = response.json()["id"]
        missing = refusal(client, f"/ws/sessions/{sid}")
        assert missing.code == 1008 and "token" in missing.reason
        wrong = refusal(client, f"/ws/sessions/{sid}?token=guess")
        assert wrong.code == 1008 and "wrong" in wrong.reason
        for path, headers in [
            (f"/ws/sessions/{sid}?token=s3cret", {}),
            (f"/ws/sessions/{sid}", auth),
            (f"/ws/sessions/{sid}", {"X-Backprop-Viz-Token": "s3cret"}),
        ]:
            with client.websocket_connect(path, headers=headers) as ws:
                assert ws.receive_json()["type"] == "snapshot"


def test_a_token_does_not_excuse_a_foreign_origin(api_with):
    with api_with(token="s3cret") as api:
        refused = refusal(api.client, "/ws/sessions/x?token=s3cret", headers={"Origin": "http://evil.example"})
        assert refused.code == 1008 and "evil.example" in refused.reason
