"""WebSocket bounds: clients per session and in all (200 classroom watchers fit the default), a maximum message
size, long messages parsed off the event loop, clients that never read dropped after a bounded backlog with a
clear close reason, play counted against BACKPROP_VIZ_MAX_CONCURRENT_PLAYS like jobs, and play frames paced to
each client's share of BACKPROP_VIZ_WS_FRAMES_PER_SECOND."""

from __future__ import annotations

import asyncio

import pytest
from starlette.websockets import WebSocketDisconnect
from ws_helpers import command, hub_of, receive_until

from app.config import Settings
from app.outbox import CLOSE_SLOW, Item, MetricsBatch, Outbox, StateFrame
from app.pacing import FramePacer


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


def frame(n: int) -> Item:
    return Item("state", StateFrame(state=f'{{"n":{n}}}'))


def points(first: int, count: int) -> Item:
    passes = list(range(first, first + count))
    return Item("metrics", MetricsBatch({"pass": passes, "batch_loss": [0.5] * count}, {}))


def test_frames_are_paced_and_coalesced_for_all_clients_at_once():
    """A frame due goes at once; what is published before the next one is due is held and merged once, then every
    client is handed the same objects (one serialization); an ordered event flushes what is held and goes at once."""

    async def run() -> list[list[Item]]:
        deliveries: list[list[Item]] = []
        fourth = asyncio.Event()

        def deliver(items: list[Item]) -> None:
            deliveries.append(items)
            if len(deliveries) == 4:
                fourth.set()

        pacer = FramePacer(deliver, spacing=lambda: 0.05)
        pacer.publish([points(0, 3), frame(0)])  # nothing held and a frame due: at once, no timer
        assert len(deliveries) == 1
        for n in range(1, 4):  # published before the next frame is due: held, then one frame
            pacer.publish([points(n * 3, 3), frame(n)])
        assert len(deliveries) == 1
        await asyncio.sleep(0.1)
        assert len(deliveries) == 2
        pacer.publish([Item("ordered", '{"type":"phase"}')])  # not held back
        assert len(deliveries) == 3
        pacer.publish([frame(5)])  # held until its spacing has passed
        assert len(deliveries) == 3
        await asyncio.wait_for(fourth.wait(), 5)
        pacer.close()
        return deliveries

    deliveries = asyncio.run(run())
    first, merged, ordered, last = deliveries
    assert [i.payload.state for i in first if i.kind == "state"] == ['{"n":0}']
    assert [i.kind for i in merged] == ["metrics", "state"]  # merged once for every client
    assert merged[0].payload.per_pass["pass"] == list(range(3, 12)) and merged[1].payload.state == '{"n":3}'
    assert [i.text for i in ordered] == ['{"type":"phase"}']
    assert [i.payload.state for i in last] == ['{"n":5}']


def test_a_published_metrics_batch_is_shared_not_copied():
    async def run() -> tuple[Outbox, Outbox, MetricsBatch]:
        a, b = Outbox(), Outbox()
        batch = points(0, 5).payload
        a.push(Item("metrics", batch))
        b.push(Item("metrics", batch))
        return a, b, batch

    a, b, batch = asyncio.run(run())
    assert a.metrics is batch and b.metrics is batch  # one object, so its JSON is made once
    assert a.pop().text is b.pop().text


def test_a_client_that_never_takes_its_full_metrics_history_is_dropped():
    async def run() -> Outbox:
        outbox = Outbox(max_metrics_points=10)
        outbox.push(points(0, 11))  # more new points than it may have pending: the full history instead
        assert outbox.needs_metrics
        outbox.install_metrics(points(0, 11).payload)
        outbox.push(points(11, 11))  # …and it takes nothing before the next overflow
        return outbox

    outbox = asyncio.run(run())
    assert outbox.dropped is not None and outbox.dropped[0] == CLOSE_SLOW and "did not read" in outbox.dropped[1]


def test_a_send_the_peer_never_takes_drops_the_client(monkeypatch):
    from app import client as client_module
    from app.client import Client

    monkeypatch.setattr(client_module, "SEND_TIMEOUT_SECONDS", 0.05)

    class Stuck:
        application_state = None

        async def send_text(self, text: str) -> None:
            await asyncio.Event().wait()  # the peer reads nothing: its buffer is full

    async def run() -> Outbox:
        member = Client(Stuck(), Outbox())  # type: ignore[arg-type]
        member.outbox.push(Item("ordered", "{}"))
        await asyncio.wait_for(member.send_loop(), 5)
        return member.outbox

    outbox = asyncio.run(run())
    assert outbox.dropped is not None and outbox.dropped[0] == CLOSE_SLOW and outbox.gone.is_set()
