"""Using a session's network: predictions on raw inputs (normalized by the session) and the gradient check."""

from __future__ import annotations

import numpy as np
import pytest

XOR_LEARNER = {
    "layers": [2, 8, 1],
    "activations": ["tanh", "sigmoid"],
    "optimizer": {"name": "adam", "learning_rate": 0.05},
    "batch_size": 20,
    "dataset": {"builtin": "xor", "samples": 200, "noise": 0.0, "seed": 3},
    "init": {"scheme": "xavier", "seed": 1},
}


def test_predict_on_xor_after_training_gives_the_right_classes(api):
    sid = api.create(XOR_LEARNER)["id"]
    job = api.wait(api.train(sid, epochs=60))
    assert job["status"] == "done"
    inputs = [[0.5, 0.5], [-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.9, 0.2], [-0.3, 0.8]]
    response = api.client.post(f"/api/sessions/{sid}/predict", json={"inputs": inputs})
    assert response.status_code == 200
    prediction = response.json()
    assert prediction["classes"] == ["0", "1"]
    assert prediction["predicted"] == ["0", "0", "1", "1", "0", "1"]  # class 1: exactly one coordinate positive
    probabilities = np.array(prediction["probabilities"])
    outputs = np.array(prediction["outputs"])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(probabilities[:, 1], outputs[:, 0])
    assert api.state(sid)["metrics"]["test_accuracy"] >= 0.95


def test_predict_normalizes_raw_inputs_with_the_session_statistics(api):
    csv = "x,y\n" + "".join(f"{x},{2 * x + 1}\n" for x in (10, 20, 30, 40, 50))
    info = api.client.post(
        "/api/datasets",
        files={"file": ("line.csv", csv.encode())},
        data={"task": "regression"},
        headers={"X-Backprop-Viz-Request": "1"},
    ).json()
    sid = api.create({"layers": [1, 1], "activations": ["linear"], "dataset": {"id": info["id"]}})["id"]
    api.step(sid, "pass", 3)
    state = api.state(sid)
    norm = api.client.get(f"/api/sessions/{sid}/export").json()["dataset"]["normalization"]
    assert norm["mean"][0] != 0 and norm["std"][0] != 1  # the CSV's inputs are standardized
    W, b = state["weights"][0][0][0], state["biases"][0][0]
    prediction = api.client.post(f"/api/sessions/{sid}/predict", json={"inputs": [[25.0], [60.0]]}).json()
    expected = [W * (x - norm["mean"][0]) / norm["std"][0] + b for x in (25.0, 60.0)]
    np.testing.assert_allclose([o[0] for o in prediction["outputs"]], expected, rtol=1e-12)
    assert prediction["classes"] is None and prediction["predicted"] is None


def test_predict_refusals_name_the_inputs(api_with):
    with api_with(max_upload_rows=3) as api:
        sid = api.create()["id"]
        before = api.state(sid)
        for inputs, word in (
            ([[1.0, 2.0, 3.0]], "rows of 2 numbers"),
            ([[1.0, 2.0], [1.0]], "rows of 2 numbers"),
            ([], "at least 1"),
            ([["a", 1.0]], "number"),
            ([[0.0, 0.0]] * 4, "at most 3"),
        ):
            response = api.client.post(f"/api/sessions/{sid}/predict", json={"inputs": inputs})
            error = api.error(response, 422, word)
            assert error["field"].startswith("inputs"), error
        assert api.state(sid) == before


def test_gradcheck_agrees_with_backprop(api):
    sid = api.create(layers=[2, 5, 3, 1])["id"]
    api.step(sid, "pass", 2)
    response = api.client.get(f"/api/sessions/{sid}/gradcheck")
    assert response.status_code == 200
    check = response.json()
    assert [layer["layer"] for layer in check["layers"]] == [1, 2, 3]
    assert check["samples"] == 8 and check["epsilon"] > 0
    assert check["max_relative_error"] < 1e-6
    assert check["max_relative_error"] == pytest.approx(
        max(max(layer["max_relative_error_W"], layer["max_relative_error_b"]) for layer in check["layers"])
    )


def test_gradcheck_refuses_large_networks(api):
    sid = api.create(layers=[2, 100, 100, 1])["id"]
    api.error(api.client.get(f"/api/sessions/{sid}/gradcheck"), 422, "5,000")
