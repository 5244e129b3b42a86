"""WebSocket bounds: clients per session and in all (200 classroom watchers fit the default), a maximum message
size, long messages parsed off the event loop, clients that never read dropped after a bounded backlog with a
clear close reason, play counted against BACKPROP_VIZ_MAX_CONCURRENT_PLAYS like jobs, and play frames paced to
each client's share of BACKPROP_VIZ_WS_FRAMES_PER_SECOND."""

from __future__ import annotations

import asyncio

import pytest
from starlette.websockets import WebSocketDisconnect
from ws_helpers import command, hub_of, receive_until

from app.client import Client
from app.config import Settings
from app.outbox import CLOSE_SLOW, Item, Outbox, StateFrame


def closed(client, path: str) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(path) as ws:
        while True:
            ws.receive_json()
    return info.value


def test_the_default_caps_fit_a_classroom_of_200_watchers():
    settings = Settings()
    assert settings.max_ws_clients_per_session >= 200 and settings.max_ws_clients >= 200


def test_clients_per_session_are_capped_with_a_close_reason(api_with):
    with api_with(max_ws_clients_per_session=2) as api:
        client = api.client
        sid = api.create()["id"]
        other = api.create()["id"]
        with client.websocket_connect(f"/ws/sessions/{sid}") as a, client.websocket_connect(f"/ws/sessions/{sid}") as b:
            a.receive_json(), b.receive_json()
            refused = closed(client, f"/ws/sessions/{sid}")
            assert refused.code == 1013 and "BACKPROP_VIZ_MAX_WS_CLIENTS_PER_SESSION" in refused.reason
            with client.websocket_connect(f"/ws/sessions/{other}") as c:  # another session still may
                assert c.receive_json()["type"] == "snapshot"
        with client.websocket_connect(f"/ws/sessions/{sid}") as again:  # room again once they left
            assert again.receive_json()["type"] == "snapshot"


def test_clients_in_all_are_capped(api_with):
    with api_with(max_ws_clients=1) as api:
        client = api.client
        first, second = api.create()["id"], api.create()["id"]
        with client.websocket_connect(f"/ws/sessions/{first}") as ws:
            ws.receive_json()
            assert client.get("/api/health").json()["websocket_clients"] == 1
            refused = closed(client, f"/ws/sessions/{second}")
            assert refused.code == 1013 and "BACKPROP_VIZ_MAX_WS_CLIENTS" in refused.reason


def test_a_message_over_the_limit_closes_the_socket_with_1009(api_with):
    with api_with(ws_max_message_bytes=4096) as api:
        sid = api.create()["id"]
        with api.client.websocket_connect(f"/ws/sessions/{sid}") as ws:
            ws.receive_json()
            ws.send_text('{"type": "pause", "request_id": "' + "x" * 5000 + '"}')
            with pytest.raises(WebSocketDisconnect) as info:
                while True:
                    ws.receive_json()
            assert info.value.code == 1009 and "BACKPROP_VIZ_WS_MAX_MESSAGE_BYTES" in info.value.reason


def test_a_long_message_is_parsed_off_the_loop_and_answered_as_usual(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        ws.send_text('{"type": "pause", "request_id": "' + "x" * 20_000 + '", "extra": 1}')
        error = ws.receive_json()
        assert error["type"] == "error" and error["field"] == "extra" and len(error["request_id"]) == 20_000


def test_play_counts_against_the_concurrent_play_cap(api_with):
    with api_with(max_concurrent_plays=1) as api:
        client = api.client
        first, second = api.create()["id"], api.create()["id"]
        with (
            client.websocket_connect(f"/ws/sessions/{first}") as a,
            client.websocket_connect(f"/ws/sessions/{second}") as b,
        ):
            a.receive_json(), b.receive_json()
            assert command(a, "play", speed=5)[-1]["state"]["playing"] is True
            assert client.get("/api/health").json()["plays"] == 1
            refused = command(b, "play", speed=5)[-1]
            assert refused["type"] == "error" and "BACKPROP_VIZ_MAX_CONCURRENT_PLAYS" in refused["message"]
            assert api.state(second)["playing"] is False
            receive_until(a, lambda e: e["type"] == "state" and e.get("request_id") is None)  # it does play
            command(a, "pause")
            assert client.get("/api/health").json()["plays"] == 0
            assert command(b, "play", speed=5)[-1]["state"]["playing"] is True  # the slot is free again
            command(b, "pause")


def test_an_outbox_that_overflows_again_before_taking_its_snapshot_drops_the_client():
    async def run() -> Outbox:
        outbox = Outbox(max_items=10)
        for i in range(11):
            outbox.push(Item("ordered", f"event {i}"))
        assert outbox.needs_snapshot and outbox.dropped is None  # the first overflow: a snapshot instead
        outbox.install_snapshot('{"type": "snapshot"}')
        assert outbox.pop().text == '{"type": "snapshot"}'  # taken: the client reads, slowly
        for i in range(11):
            outbox.push(Item("ordered", f"event {i}"))
        assert outbox.needs_snapshot and outbox.dropped is None
        outbox.install_snapshot('{"type": "snapshot"}')  # …and this one it never takes
        for i in range(11):
            outbox.push(Item("ordered", f"event {i}"))
        return outbox

    outbox = asyncio.run(run())
    assert outbox.dropped is not None and outbox.dropped[0] == CLOSE_SLOW
    assert "did not read" in outbox.dropped[1] and "BACKPROP_VIZ_WS_BACKLOG_BYTES" in outbox.dropped[1]
    assert outbox.gone.is_set() and outbox.pending == 0  # nothing kept for it


def test_a_dropped_client_is_closed_with_4008_and_the_reason(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        hub = hub_of(client, sid)
        (member,) = hub.clients
        hub.call_soon(member.outbox.drop, "this client did not read its events (BACKPROP_VIZ_WS_BACKLOG_BYTES)")
        with pytest.raises(WebSocketDisconnect) as info:
            while True:
                ws.receive_json()
        assert info.value.code == CLOSE_SLOW and "did not read" in info.value.reason
    assert client.get("/api/health").json()["websocket_clients"] == 0


class FakeSocket:
    """Records what a client is sent; `arrived` is set after `wanted` messages."""

    application_state = None

    def __init__(self, wanted: int) -> None:
        self.sent: list[str] = []
        self.wanted = wanted
        self.arrived = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.sent.append(text)
        if len(self.sent) >= self.wanted:
            self.arrived.set()


def frame(n: int) -> Item:
    return Item("state", StateFrame(state=f'{{"n":{n}}}'))


def test_play_frames_are_paced_and_coalesced_to_the_clients_share():
    async def run() -> list[str]:
        socket = FakeSocket(wanted=3)
        client = Client(socket, Outbox(), frame_spacing=lambda: 0.05)  # type: ignore[arg-type]
        client.sender = asyncio.create_task(client.send_loop())
        client.outbox.push(frame(1))
        await asyncio.sleep(0)  # the first frame goes at once
        for n in range(2, 6):  # four more within its spacing: they coalesce into the newest
            client.outbox.push(frame(n))
            await asyncio.sleep(0)
        client.outbox.push(Item("ordered", '{"type":"phase"}'))  # an ordered event is not held back…
        await asyncio.wait_for(socket.arrived.wait(), 5)
        client.sender.cancel()
        return socket.sent

    sent = asyncio.run(run())
    assert '"n":1' in sent[0]
    assert '"n":5' in sent[1] and sent[2] == '{"type":"phase"}'  # …but frames queued before it go first
    assert not any('"n":2' in s or '"n":3' in s or '"n":4' in s for s in sent)
