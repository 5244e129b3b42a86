"""bv.Session against the in-process server: the seed's example stepped from code (records as NumPy arrays in
the seed's names), back, train with a progress bar that Ctrl-C cancels, predict, weights, metrics, export and
import, the data out, save_npz — and the page and the code in step both ways (over the page's WebSocket)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bv_bodies import SEED, XOR
from websockets.sync.client import connect as ws_connect

import backprop_viz as bv
from backprop_viz import session as session_module

W1 = np.array([[0.15, 0.2], [0.25, 0.3]])
B1 = np.array([0.35, 0.35])
W2 = np.array([[0.4, 0.45]])
B2 = np.array([0.6])
X = np.array([0.05, 0.1])
Y = np.array([0.01])
ETA = 0.5


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def seed_by_hand() -> dict[str, np.ndarray]:
    """The seed's equations for its one sample, written out."""
    z1 = W1 @ X + B1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + B2
    a2 = sigmoid(z2)
    delta2 = (a2 - Y) * a2 * (1 - a2)
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "delta2": delta2, "delta1": delta1}


@pytest.fixture
def seed(client: bv.Client) -> bv.Session:
    return client.create(**SEED)


def test_step_answers_the_seed_example_as_numpy_arrays(seed: bv.Session) -> None:
    want = seed_by_hand()
    f1, f2, loss, b2, b1, update = seed.step("phase", 6)
    assert [r.label for r in (f1, f2, loss, b2, b1, update)] == ["F1", "F2", "J", "B2", "B1", "U"]
    assert isinstance(f1.z, np.ndarray) and f1.z.dtype == np.float64
    np.testing.assert_allclose(f1.z, want["z1"], rtol=1e-15)
    np.testing.assert_allclose(f1.a, want["a1"], rtol=1e-15)
    np.testing.assert_array_equal(f1.W, W1)
    assert f2.a[0] == pytest.approx(0.75136507, abs=1e-8)  # the seed's published ŷ
    np.testing.assert_allclose(loss.delta, want["delta2"], rtol=1e-14)
    assert loss.loss == pytest.approx(0.5 * (want["a2"][0] - 0.01) ** 2, rel=1e-14)
    np.testing.assert_allclose(b2.grad_W, np.outer(want["delta2"], want["a1"]), rtol=1e-14)
    np.testing.assert_allclose(b1.delta, want["delta1"], rtol=1e-14)
    np.testing.assert_allclose(b1.grad_W, np.outer(want["delta1"], X), rtol=1e-14)
    assert isinstance(update.W, list) and len(update.W) == 2
    np.testing.assert_allclose(update.W[1], W2 - ETA * np.outer(want["delta2"], want["a1"]), rtol=1e-14)
    assert update.learning_rate == ETA
    np.testing.assert_allclose(seed.weights[0], W1 - ETA * np.outer(want["delta1"], X), rtol=1e-14)
    np.testing.assert_allclose(seed.biases[1], B2 - ETA * want["delta2"], rtol=1e-14)


def test_back_returns_the_open_pass_and_restores_the_weights_bitwise(seed: bv.Session) -> None:
    before = seed.weights
    seed.step("pass")
    visible = seed.back("phase", 2)
    assert [r.label for r in visible] == ["F1", "F2", "J", "B2"]
    assert seed.state().counters.label == "B1"
    seed.back("phase", 4)
    for got, want in zip(seed.weights, before, strict=True):
        np.testing.assert_array_equal(got, want)
    assert seed.state().counters.pass_index == 0


def test_train_runs_a_job_to_the_end_with_a_progress_bar(client: bv.Client, capsys: pytest.CaptureFixture) -> None:
    s = client.create(**XOR)
    job = s.train(epochs=30)
    assert job.status == "done" and job.done == job.total == 30 * 4  # 32 training samples in batches of 8
    err = capsys.readouterr().err
    assert "training" in err and f"{job.total}/{job.total}" in err
    metrics = s.metrics
    assert metrics["epoch"][-1] == 30 and len(metrics["train_loss"]) == 30
    assert metrics["train_loss"][-1] < metrics["train_loss"][0]
    assert len(metrics["batch_loss"]) == len(metrics["batch_pass"]) > 0
    assert s.state().counters.epoch == 30
    with pytest.raises(ValueError, match="exactly one"):
        s.train()


def test_keyboard_interrupt_cancels_the_job(client: bv.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    s = client.create(**XOR)

    def interrupted(seconds: float) -> None:  # Ctrl-C (or the notebook's stop button) while it waits
        raise KeyboardInterrupt

    monkeypatch.setattr(session_module.time, "sleep", interrupted)
    with pytest.raises(KeyboardInterrupt):
        s.train(passes=10_000_000)
    job = s.state().job
    assert job is not None and job.status == "cancelled" and job.done < job.total
    assert s.cancel() is None  # nothing runs any more


def test_a_diverging_job_raises_the_servers_reason(client: bv.Client) -> None:
    s = client.create(
        layers=[1, 1],
        activations=["linear"],
        loss="mse",
        optimizer={"name": "sgd", "learning_rate": 50},
        init={"weights": [[[0.5]]], "biases": [[0.0]]},
        dataset={"inputs": [[1.0], [2.0], [3.0]], "targets": [[1.0], [2.0], [3.0]]},
    )
    with pytest.raises(bv.BackpropVizError, match="learning rate"):
        s.train(passes=1_000, progress=False)


def test_predict_and_classify_take_raw_rows(client: bv.Client) -> None:
    s = client.create(**XOR)
    s.train(epochs=200, progress=False)
    outputs = s.predict([[0.9, 0.9], [-0.9, 0.9]])
    assert outputs.shape == (2, 1)
    assert outputs[1, 0] > 0.5 > outputs[0, 0]  # xor: class 1 where the signs differ
    assert s.classify([[0.9, 0.9], [-0.9, 0.9]]) == ["0", "1"]
    np.testing.assert_array_equal(s.predict([0.9, 0.9]), outputs[:1])


def test_errors_carry_the_servers_detail_and_field(client: bv.Client) -> None:
    with pytest.raises(bv.BackpropVizError) as caught:
        client.create(layers=[3, 2, 1])
    assert caught.value.status == 422 and caught.value.field == "dataset" and "xor" in caught.value.detail
    with pytest.raises(bv.BackpropVizError) as missing:
        client.session("no-such-session")
    assert missing.value.status == 404


def test_export_and_import_continue_exactly(seed: bv.Session) -> None:
    seed.step("phase", 3)
    doc = seed.export()
    assert json.loads(json.dumps(doc)) == doc
    copy = bv.Session.import_(doc)
    assert copy.id != seed.id
    assert [r.label for r in copy.step("phase", 3)] == ["B2", "B1", "U"]
    seed.step("phase", 3)
    for a, b in zip(copy.weights, seed.weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_dataset_gives_the_raw_rows_in_the_sessions_order(client: bv.Client, tmp_path: Path) -> None:
    rows = [[5.1, 3.5, "setosa"], [4.9, 3.0, "setosa"], [7.0, 3.2, "versicolor"], [6.4, 3.2, "versicolor"]]
    rows += [[6.3, 3.3, "virginica"], [5.8, 2.7, "virginica"], [5.0, 3.6, "setosa"], [6.9, 3.1, "versicolor"]]
    rows += [[7.1, 3.0, "virginica"], [5.4, 3.9, "setosa"]]
    csv_path = tmp_path / "flowers.csv"
    csv_path.write_text("length,width,species\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    info = client.upload(csv_path, target="species")
    s = client.create(layers=[2, 4, 3], dataset={"id": info.id, "test_fraction": 0.3, "seed": 3})
    data = s.dataset()
    assert data.features == ("length", "width") and data.classes == ("setosa", "versicolor", "virginica")
    assert data.X_train.shape == (7, 2) and data.X_test.shape == (3, 2)
    given = {(a, b): c for a, b, c in rows}
    for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
        for (a, b), k in zip(X.tolist(), y.tolist(), strict=True):
            assert given[(a, b)] == data.classes[k]  # exactly the values written in the file
    focus = s.state().focus
    assert s.step("phase")[0].a_prev.shape == (2,)  # the network sees them standardized …
    assert data.X_train[focus].tolist() in [[a, b] for a, b, _ in rows]  # … the data out is as given
    assert s.dataset_csv("test").splitlines()[0] == "length,width,species,split"


def test_save_npz_holds_the_seed_named_arrays(seed: bv.Session, tmp_path: Path) -> None:
    seed.step("pass")
    path = seed.save_npz(tmp_path / "net")
    assert path.name == "net.npz"
    saved = np.load(path)
    np.testing.assert_array_equal(saved["W1"], seed.weights[0])
    np.testing.assert_array_equal(saved["b2"], seed.biases[1])
    assert saved["layers"].tolist() == [2, 2, 1]
    assert saved["activations"].tolist() == ["sigmoid", "sigmoid"]
    assert str(saved["loss"]) == "half_sse"


def test_set_and_reset(seed: bv.Session) -> None:
    seed.set(learning_rate=0.25)
    assert seed.config.optimizer.learning_rate == 0.25
    seed.step("pass")
    seed.reset()
    np.testing.assert_array_equal(seed.weights[0], W1)


def _receive(ws: Any, wanted: str) -> dict[str, Any]:
    for _ in range(200):
        event = json.loads(ws.recv(timeout=30))
        if event["type"] == wanted:
            return event
    raise AssertionError(f"no {wanted} event")


def test_the_page_and_the_code_stay_in_step(server: bv.Server, seed: bv.Session) -> None:
    """What the page's WebSocket hears when code steps, and what `state()` reads after the page steps."""
    url = server.url.replace("http://", "ws://") + f"ws/sessions/{seed.id}"
    with ws_connect(url) as ws:
        assert _receive(ws, "snapshot")["state"]["counters"]["label"] == "F1"
        seed.step("phase")  # from code: the page is told, with the records of the open pass to draw
        event = _receive(ws, "state")
        assert event["state"]["counters"]["label"] == "F2"
        assert [r["label"] for r in event["visible"]] == ["F1"]
        ws.send(json.dumps({"type": "step", "unit": "phase", "count": 2, "request_id": "page"}))  # from the page
        _receive(ws, "state")
        assert seed.state().counters.label == "B2"
        ws.send(json.dumps({"type": "focus", "index": 0, "request_id": "page2"}))
        _receive(ws, "state")
    assert seed.state().focus == 0


def test_url_names_the_session_for_a_browser(server: bv.Server, seed: bv.Session) -> None:
    assert seed.url == f"{server.url}?session={seed.id}"
    assert repr(seed).startswith(f"<backprop_viz.Session {seed.id} layers=[2, 2, 1]")
