"""bv.connect(): a server started elsewhere (here `backprop-viz serve` in a subprocess), with and without a
token; the client's errors and uploads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from bv_bodies import SEED
from live_server import LiveServer

import backprop_viz as bv
from backprop_viz import server as server_module


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("elsewhere") / "data", persist=False)
    server.start()
    yield server
    server.stop()


def test_connect_drives_a_session_on_another_server(elsewhere: LiveServer) -> None:
    client = bv.connect(elsewhere.base)
    s = client.create(**SEED)
    assert s.url == f"{elsewhere.base}/?session={s.id}"
    assert [r.label for r in s.step("pass")] == ["F1", "F2", "J", "B2", "B1", "U"]
    again = client.session(s.id)  # another handle on the same session
    np.testing.assert_array_equal(again.weights[1], s.weights[1])
    assert again.state().counters.pass_index == 1
    assert httpx.get(f"{elsewhere.base}/api/sessions/{s.id}").json()["counters"]["pass"] == 1
    client.close()


def test_connect_fails_at_once_where_nothing_answers() -> None:
    with pytest.raises(bv.BackpropVizError, match="cannot reach"):
        bv.connect("http://127.0.0.1:9")


def test_a_token_is_presented_on_every_call_and_put_in_the_page_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "_running", None)  # a second server of this process, with a token
    server = bv.serve(token="s3cret")
    try:
        with pytest.raises(bv.BackpropVizError) as refused:
            bv.connect(server.url).create(**SEED)
        assert refused.value.status == 401 and "token" in refused.value.detail
        client = bv.connect(server.url, token="s3cret")
        s = client.create(**SEED)
        assert s.url == f"{server.url}?session={s.id}&token=s3cret"
        assert s.step()[0].label == "F1"
    finally:
        server.stop()


def test_upload_takes_a_path_or_bytes(client: bv.Client, tmp_path: Path) -> None:
    path = tmp_path / "line.csv"
    path.write_text("x,y\n1,2.5\n2,4.1\n3,6.2\n4,8.3\n5,10.4\n")
    by_path = client.upload(path)
    assert by_path.name == "line.csv" and by_path.rows == 5 and by_path.target == "y" and by_path.task == "regression"
    by_bytes = client.upload(path.read_bytes(), target="x", name="other.csv")
    assert by_bytes.target == "x" and by_bytes.name == "other.csv"
    with pytest.raises(bv.BackpropVizError) as bad:
        client.upload(b"x,y\n1,a\n", target="x")
    assert bad.value.status == 422


def test_health_and_catalog_are_typed(client: bv.Client) -> None:
    assert client.health().status == "ok"
    leaky = next(a for a in client.catalog().activations if a.name == "leaky_relu")
    assert leaky.parameters is not None and leaky.parameters[0].name == "slope"
