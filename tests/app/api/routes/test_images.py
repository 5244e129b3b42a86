"""Image sessions over REST and the WebSocket: teaching a drawing (its records, its errors, `back` undoing it
exactly), the images of a split with predictions and the confusion matrix, focusing a test image, CSV uploads
declaring an image shape, and sessions on the built-in digits."""

from __future__ import annotations

import numpy as np
import pytest
from ws_helpers import command, types

DIGITS_SESSION = {
    "layers": [64, 16, 10],
    "activations": ["relu", "softmax"],
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "dataset": {"builtin": "digits", "samples": 300, "seed": 2},
    "batch_size": 16,
}
SEVEN = [0.0] * 8 + [0.0, 12.0, 16.0, 16.0, 16.0, 16.0, 8.0, 0.0] + [0.0, 0.0, 0.0, 0.0, 6.0, 16.0, 2.0, 0.0] * 6


def upload(client, text: str, filename: str = "images.csv", **fields: str):
    return client.post("/api/datasets", files={"file": (filename, text.encode(), "text/csv")}, data=fields)


def _everything(api, sid: str) -> dict:
    """What a session is: its state and its whole metrics history."""
    return {"state": api.state(sid), "metrics": api.client.get(f"/api/sessions/{sid}/metrics").json()}


def test_a_digits_session_says_its_data_are_8_by_8_images(api):
    state = api.create(DIGITS_SESSION)
    dataset = state["dataset"]
    assert dataset["image_shape"] == [8, 8] and len(dataset["features"]) == 64
    assert dataset["image"] == {"shape": [8, 8], "pixel_max": 16.0, "drawing": "blocks", "block": 4}
    assert dataset["classes"] == list("0123456789") and dataset["train_rows"] == 240
    assert state["focus_split"] == "train" and state["example"] is None
    assert api.create()["dataset"]["image_shape"] is None  # xor


def test_teach_answers_the_records_of_one_pass_on_the_drawing(api):
    sid = api.create(DIGITS_SESSION)["id"]
    response = api.client.post(f"/api/sessions/{sid}/teach", json={"input": SEVEN, "label": "7"})
    assert response.status_code == 200, response.text
    body = response.json()
    records = body["records"]
    assert [r["label"] for r in records] == ["F1", "F2", "J", "B2", "B1", "U"] and body["passes"] == 1
    assert all(r["focus"] == -1 for r in records)
    loss = records[2]
    assert loss["batch"] == [-1] and loss["focus_in_batch"] is True and loss["y"] == [0.0] * 7 + [1.0, 0.0, 0.0]
    assert loss["loss"] == loss["sample_loss"]  # the drawing is the whole batch
    example = body["state"]["example"]
    assert example["index"] == -1 and example["split"] == "example" and example["label"] == "7"
    np.testing.assert_allclose(example["x_raw"], SEVEN, atol=1e-9)
    np.testing.assert_array_equal(records[0]["a_prev"], example["x"])
    assert body["state"]["counters"]["pass"] == 1 and body["state"]["weights"] == records[-1]["W"]


def test_teach_by_phase_then_step_walks_the_pass(api):
    sid = api.create(DIGITS_SESSION)["id"]
    first = api.client.post(f"/api/sessions/{sid}/teach", json={"input": SEVEN, "label": "7", "unit": "phase"}).json()
    assert [r["label"] for r in first["records"]] == ["F1"] and first["state"]["counters"]["label"] == "F2"
    rest = api.step(sid, "phase", 5)["records"]
    assert [r["label"] for r in rest] == ["F2", "J", "B2", "B1", "U"] and {r["focus"] for r in rest} == {-1}
    after = api.step(sid, "phase")
    assert after["records"][0]["focus"] == 0 and after["state"]["example"] is None


def test_back_undoes_a_teach_exactly(api):
    sid = api.create(DIGITS_SESSION)["id"]
    api.step(sid, "pass", 3)
    before = _everything(api, sid)
    api.client.post(f"/api/sessions/{sid}/teach", json={"input": SEVEN, "label": "7"})
    assert _everything(api, sid) != before
    back = api.client.post(f"/api/sessions/{sid}/back", json={"unit": "pass"}).json()
    assert back["moved"] == 1 and back["state"]["example"] is None
    assert _everything(api, sid) == before


def test_stepping_back_into_a_taught_pass_shows_the_drawing_again(api):
    sid = api.create(DIGITS_SESSION)["id"]
    taught = api.client.post(f"/api/sessions/{sid}/teach", json={"input": SEVEN, "label": "3"}).json()
    api.step(sid, "phase", 1)
    back = api.client.post(f"/api/sessions/{sid}/back", json={"unit": "phase", "count": 2}).json()
    assert back["visible"] == taught["records"][:-1]
    assert back["state"]["example"]["label"] == "3"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"input": [0.0] * 63, "label": "7"}, "input", ["64 numbers", "8 × 8 pixels", "got 63"]),
        ({"input": [0.0] * 64, "label": "seven"}, "label", ["'seven' is not a class", "'0', '1', '2'"]),
        ({"input": [0.0] * 64, "label": "7", "unit": "epoch"}, "unit", ["phase", "pass"]),
        ({"input": [0.0] * 64}, "label", ["label"]),
    ],
)
def test_a_bad_drawing_is_refused_with_the_shape_or_the_classes(api, body, field, words):
    sid = api.create(DIGITS_SESSION)["id"]
    before = _everything(api, sid)
    error = api.error(api.client.post(f"/api/sessions/{sid}/teach", json=body), 422, *words)
    assert error["field"] == field
    assert _everything(api, sid) == before


def test_teach_on_a_session_that_is_not_of_images_is_refused(api):
    sid = api.create()["id"]
    response = api.client.post(f"/api/sessions/{sid}/teach", json={"input": [0.1, 0.2], "label": "1"})
    assert api.error(response, 422, "not one of images", "digits", "image_shape")["field"] == "input"


def test_teach_on_a_network_too_big_to_step_is_refused(api_with):
    with api_with(max_interactive_parameters=100) as api:
        sid = api.create(DIGITS_SESSION)["id"]
        response = api.client.post(f"/api/sessions/{sid}/teach", json={"input": SEVEN, "label": "7"})
        api.error(response, 422, "limited to 100", "/train")


def test_the_websocket_teach_streams_phase_events_and_the_state(client, api):
    over_rest, over_ws = api.create(DIGITS_SESSION)["id"], api.create(DIGITS_SESSION)["id"]
    rest = client.post(f"/api/sessions/{over_rest}/teach", json={"input": SEVEN, "label": "7"}).json()
    with client.websocket_connect(f"/ws/sessions/{over_ws}") as ws:
        ws.receive_json()
        events = command(ws, "teach", input=SEVEN, label="7", unit="phase")
        assert types(events) == ["phase", "state"]
        assert events[0]["record"] == rest["records"][0]
        assert events[-1]["state"]["example"]["label"] == "7"
        events = command(ws, "step", unit="phase", count=5)
        assert [e["record"] for e in events if e["type"] == "phase"] == rest["records"][1:]
        assert events[-1]["state"]["weights"] == rest["state"]["weights"]
        refused = command(ws, "teach", input=[1.0], label="7")
        assert types(refused) == ["error"] and refused[0]["field"] == "input" and "64 numbers" in refused[0]["message"]


def test_images_answers_a_page_of_the_split_with_predictions_and_the_confusion(api):
    sid = api.create(DIGITS_SESSION)["id"]
    assert api.wait(api.train(sid, epochs=30))["status"] == "done"  # the pictures below need the trained weights
    page = api.client.get(f"/api/sessions/{sid}/images", params={"limit": 7, "offset": 2}).json()
    assert page["split"] == "test" and page["total"] == 60 and page["matching"] == 60
    assert page["indices"] == [2, 3, 4, 5, 6, 7, 8] and len(page["pixels"]) == 7 and len(page["pixels"][0]) == 64
    assert all(v == int(v) and 0 <= v <= 16 for row in page["pixels"] for v in row)
    confusion = np.array(page["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == 60
    assert page["accuracy"] == pytest.approx(np.trace(confusion) / 60)
    assert all(0 < c <= 1 for c in page["confidence"])
    focus = api.client.post(f"/api/sessions/{sid}/predict", json={"inputs": page["pixels"][:1]}).json()
    assert focus["predicted"][0] == page["predicted"][0]
    mistakes = api.client.get(f"/api/sessions/{sid}/images", params={"mistakes": True, "pixels": False}).json()
    assert mistakes["pixels"] is None and mistakes["matching"] == 60 - np.trace(confusion)
    assert all(t != p for t, p in zip(mistakes["labels"], mistakes["predicted"], strict=True))
    train = api.client.get(f"/api/sessions/{sid}/images", params={"split": "train", "limit": 0}).json()
    assert train["total"] == 240 and train["indices"] == [] and np.sum(train["confusion"]) == 240


def test_images_of_a_session_that_is_not_of_images_is_refused(api):
    sid = api.create()["id"]
    api.error(api.client.get(f"/api/sessions/{sid}/images"), 422, "not one of images")
    api.error(api.client.get(f"/api/sessions/{sid}/images", params={"limit": 100_000}), 422, "limit")


def test_focus_on_a_test_image_over_the_websocket(client, api):
    sid = api.create(DIGITS_SESSION)["id"]
    pixels = client.get(f"/api/sessions/{sid}/images", params={"limit": 6}).json()["pixels"][5]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        events = command(ws, "focus", index=5, split="test")
        state = events[-1]
        assert state["state"]["focus"] == 5 and state["state"]["focus_split"] == "test"
        assert state["focus"]["split"] == "test" and state["focus"]["x_raw"] == pytest.approx(pixels, abs=1e-9)
        records = [e["record"] for e in command(ws, "step", unit="phase", count=3) if e["type"] == "phase"]
        assert records[2]["focus_in_batch"] is False and records[0]["a_prev"] == state["focus"]["x"]


def test_a_session_focused_on_a_test_image_exports_and_imports(client, api):
    sid = api.create(DIGITS_SESSION)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        command(ws, "focus", index=3, split="test")
        command(ws, "teach", input=SEVEN, label="7", unit="phase")
    document = client.get(f"/api/sessions/{sid}/export").json()
    assert document["focus_split"] == "test" and document["dataset"]["image"]["shape"] == [8, 8]
    imported = client.post("/api/sessions/import", json=document).json()
    assert imported["focus"] == 3 and imported["focus_split"] == "test"
    assert imported["example"] == api.state(sid)["example"] and imported["dataset"]["image_shape"] == [8, 8]
    assert api.step(imported["id"], "phase", 5)["records"] == api.step(sid, "phase", 5)["records"]


# -- CSV uploads of images ----------------------------------------------------------------------------------
def _mnist_like(rows: int, side: int = 4) -> str:
    rng = np.random.default_rng(0)
    lines = ["label," + ",".join(f"pixel{k}" for k in range(side * side))]
    for i in range(rows):
        lines.append(",".join([str(i % 3), *map(str, rng.integers(0, 256, side * side))]))
    return "\n".join(lines) + "\n"


def test_an_upload_with_image_shape_is_a_set_of_images(api):
    response = upload(api.client, _mnist_like(30), filename="mnist.csv", image_shape="4,4")
    assert response.status_code == 201, response.text
    info = response.json()
    assert info["image_shape"] == [4, 4] and info["target"] == "label" and info["classes"] == ["0", "1", "2"]
    assert info["summary"]["image_shape"] == [4, 4]
    state = api.create({"layers": [16, 3], "activations": ["softmax"], "dataset": {"id": info["id"]}})
    assert state["dataset"]["image_shape"] == [4, 4] and state["dataset"]["image"]["drawing"] == "centred"
    assert state["dataset"]["image"]["pixel_max"] == 255.0
    taught = api.client.post(f"/api/sessions/{state['id']}/teach", json={"input": [0.0] * 16, "label": "2"})
    assert taught.status_code == 200, taught.text
    assert api.client.get(f"/api/datasets/{info['id']}").json()["image_shape"] == [4, 4]


@pytest.mark.parametrize(
    ("shape", "words"),
    [("4,5", ["image_shape 4,5 means 20 pixel columns", "16 feature columns"]), ("four", ["image_shape must be"])],
)
def test_an_upload_whose_image_shape_does_not_fit_is_refused(api, shape, words):
    response = upload(api.client, _mnist_like(5), image_shape=shape)
    assert api.error(response, 422, *words)["field"] == "image_shape"
    assert api.client.get("/api/datasets").json()["uploaded"] == []


def test_an_upload_without_image_shape_is_not_images(api):
    info = upload(api.client, _mnist_like(5), target="label").json()
    assert info["image_shape"] is None


# -- adding a drawing to the training data ------------------------------------------------------------------
def test_an_example_added_to_the_training_data_is_trained_on_and_back_stops_there(api):
    sid = api.create(DIGITS_SESSION)["id"]
    api.step(sid, "pass", 2)
    response = api.client.post(f"/api/sessions/{sid}/examples", json={"input": SEVEN, "label": "7"})
    assert response.status_code == 201, response.text
    state = response.json()
    assert state["dataset"]["train_rows"] == 241 and state["counters"]["pass"] == 2
    back = api.client.post(f"/api/sessions/{sid}/back", json={"unit": "pass"}).json()
    assert back["moved"] == 0 and "a sample was added to the training set at pass 3" in back["limit"]
    assert api.state(sid)["counters"]["pass"] == 2
    batches = [r["batch"] for r in api.step(sid, "epoch", 1)["records"] if r["phase"] == "loss"]
    assert batches[-1][-1] == 240  # the rest of this epoch ends with the drawing (training row 240)
    document = api.client.get(f"/api/sessions/{sid}/export").json()
    norm = document["dataset"]["normalization"]
    expected = (np.array(SEVEN) - np.array(norm["mean"])) / np.array(norm["std"])
    assert len(document["dataset"]["X_train"]) == 241  # standardized as the rest
    np.testing.assert_allclose(document["dataset"]["X_train"][240], expected, rtol=1e-12)
    assert api.create(DIGITS_SESSION)["dataset"]["train_rows"] == 240  # the built-in set itself is unchanged


def test_adding_a_bad_example_is_refused_and_changes_nothing(api):
    sid = api.create(DIGITS_SESSION)["id"]
    before = _everything(api, sid)
    api.error(api.client.post(f"/api/sessions/{sid}/examples", json={"input": [1.0], "label": "7"}), 422, "64 numbers")
    api.error(api.client.post(f"/api/sessions/{sid}/examples", json={"input": SEVEN, "label": "x"}), 422, "not a class")
    assert _everything(api, sid) == before
    xor = api.create()["id"]
    api.error(api.client.post(f"/api/sessions/{xor}/examples", json={"input": [0.0, 0.0], "label": "1"}), 422, "images")


def test_image_data_sets_and_added_examples_survive_a_restart(tmp_path):
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    settings = Settings(data_dir=tmp_path / "data", persist=True)
    with TestClient(create_app(settings), headers={"X-Backprop-Viz-Request": "1"}) as client:
        info = upload(client, _mnist_like(20), image_shape="4,4").json()
        body = {"layers": [16, 3], "activations": ["softmax"], "dataset": {"id": info["id"]}}
        sid = client.post("/api/sessions", json=body).json()["id"]
        client.post(f"/api/sessions/{sid}/step", json={"unit": "pass"})
        added = client.post(f"/api/sessions/{sid}/examples", json={"input": [255.0] * 16, "label": "1"}).json()
        taught = client.post(f"/api/sessions/{sid}/teach", json={"input": [0.0] * 16, "label": "2", "unit": "phase"})
        assert taught.status_code == 200
        state = client.get(f"/api/sessions/{sid}").json()
    with TestClient(create_app(settings), headers={"X-Backprop-Viz-Request": "1"}) as client:
        again = client.get(f"/api/sessions/{sid}").json()
        assert again == state and again["dataset"]["train_rows"] == added["dataset"]["train_rows"] == 17
        assert again["example"]["label"] == "2"
        assert client.get(f"/api/datasets/{info['id']}").json()["image_shape"] == [4, 4]
