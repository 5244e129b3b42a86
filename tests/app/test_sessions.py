"""Session lifecycle over REST: create, read, change hyperparameters, reset, delete — and their refusals."""

from __future__ import annotations

import numpy as np


def test_create_fills_defaults_and_answers_state_with_location(api):
    response = api.client.post("/api/sessions", json={"layers": [2, 8, 1]})
    assert response.status_code == 201
    state = response.json()
    assert response.headers["location"] == f"/api/sessions/{state['id']}"
    assert len(state["id"]) >= 22  # 128 random bits, URL-safe base64
    config = state["config"]
    assert config["activations"] == ["tanh", "sigmoid"]
    assert config["loss"] == "bce"
    assert config["dataset"]["builtin"] == "xor"
    assert config["batch_size"] == 10
    assert [np.shape(W) for W in state["weights"]] == [(8, 2), (1, 8)]
    assert [len(b) for b in state["biases"]] == [8, 1]
    assert state["counters"]["pass"] == 0 and state["counters"]["label"] == "F1"
    assert state["counters"]["timeline"] == ["F1", "F2", "J", "B2", "B1", "U"]
    assert state["dataset"]["classes"] == ["0", "1"]


def test_ids_are_unguessable_and_distinct(api):
    ids = {api.create()["id"] for _ in range(5)}
    assert len(ids) == 5


def test_explicit_init_is_used_exactly_in_the_seed_orientation(api):
    state = api.create(api.seed)
    assert state["weights"] == [[[0.15, 0.2], [0.25, 0.3]], [[0.4, 0.45]]]
    assert state["biases"] == [[0.35, 0.35], [0.6]]
    assert state["config"]["loss"] == "half_sse"


def test_get_answers_the_same_state_as_create(api):
    created = api.create()
    assert api.state(created["id"]) == created


def test_unknown_session_is_404_on_every_route(api):
    missing = "no-such-session"
    client = api.client
    for response in (
        client.get(f"/api/sessions/{missing}"),
        client.patch(f"/api/sessions/{missing}", json={"learning_rate": 0.1}),
        client.delete(f"/api/sessions/{missing}"),
        client.post(f"/api/sessions/{missing}/reset"),
        client.post(f"/api/sessions/{missing}/step", json={}),
        client.post(f"/api/sessions/{missing}/back", json={}),
        client.post(f"/api/sessions/{missing}/train", json={"passes": 1}),
        client.get(f"/api/sessions/{missing}/metrics"),
        client.post(f"/api/sessions/{missing}/predict", json={"inputs": [[0, 0]]}),
        client.get(f"/api/sessions/{missing}/gradcheck"),
        client.get(f"/api/sessions/{missing}/export"),
        client.get(f"/api/sessions/{missing}/jobs/x"),
    ):
        api.error(response, 404, "no session")


def test_create_refusals_name_the_field(api):
    client = api.client
    cases = [
        ({"layers": [3, 4, 1]}, "dataset", "default data set"),
        ({"layers": [2, 4, 1], "dataset": {"builtin": "circles"}, "activations": ["tanh"]}, "activations", "one"),
        ({"layers": [2, 0, 1]}, "layers", "layers[1]"),
        ({"layers": [2, 4, 3], "dataset": {"builtin": "xor"}}, "layers", "output layer"),
        ({"layers": [2, 4, 1], "loss": "hinge"}, "loss", "half_sse"),
        ({"layers": [2, 4, 1], "optimizer": {"name": "sgd", "learning_rate": -1}}, "optimizer.learning_rate", ""),
        ({"layers": [2, 4, 1], "focus": 10_000}, "focus", "training set"),
        ({"layers": [2, 4, 1], "dataset": {"id": "nope"}}, "dataset.id", "upload"),
        ({"layers": [2, 4, 1], "unknown": 1}, "unknown", "extra"),
        ({"layers": [2, 1], "dataset": {"inputs": [[1, 2], [3]], "targets": [1, 2]}}, "dataset", ""),
        ({}, "layers", "required"),
    ]
    for body, field, word in cases:
        response = client.post("/api/sessions", json=body)
        assert 400 <= response.status_code < 500, (body, response.text)
        error = response.json()
        assert error["field"] is not None and error["field"].startswith(field), (body, error)
        assert word.lower() in error["detail"].lower(), (body, error)
    assert client.get("/api/health").json()["sessions"] == 0


def test_body_that_is_not_json_is_422(api):
    response = api.client.post("/api/sessions", content=b"{not json", headers={"content-type": "application/json"})
    api.error(response, 422)


def test_patch_applies_from_the_next_pass(api):
    session = api.create()
    sid = session["id"]
    response = api.client.patch(f"/api/sessions/{sid}", json={"learning_rate": 0.05, "batch_size": 4})
    assert response.status_code == 200
    state = response.json()
    assert state["config"]["optimizer"]["learning_rate"] == 0.05
    assert state["config"]["batch_size"] == 4
    assert state["pending_config"] is False

    api.step(sid, "phase", 2)  # inside a pass now: the change waits for its end
    state = api.client.patch(f"/api/sessions/{sid}", json={"optimizer": {"name": "adam", "learning_rate": 0.01}}).json()
    assert state["pending_config"] is True
    assert state["config"]["optimizer"]["name"] == "adam"
    step = api.step(sid, "pass", 1)
    update = step["records"][-1]
    assert update["phase"] == "update" and update["learning_rate"] == 0.05  # the pass ran with the old rate
    assert step["state"]["pending_config"] is False
    assert step["state"]["config"]["optimizer"] == {
        "name": "adam", "learning_rate": 0.01, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8
    }


def test_patch_refusals_leave_the_session_unchanged(api):
    sid = api.create()["id"]
    before = api.state(sid)
    for body, field in (
        ({}, "body"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"regularization": {"kind": "l3"}}, "regularization.kind"),
        ({"optimizer": {"name": "rmsprop"}}, "optimizer.name"),
    ):
        error = api.error(api.client.patch(f"/api/sessions/{sid}", json=body), 422)
        assert error["field"] == field, error
    assert api.state(sid) == before


def test_reset_returns_to_the_initial_weights_and_pass_zero(api):
    created = api.create()
    sid = created["id"]
    api.step(sid, "pass", 7)
    assert api.state(sid)["weights"] != created["weights"]
    response = api.client.post(f"/api/sessions/{sid}/reset")
    assert response.status_code == 200
    state = response.json()
    assert state["weights"] == created["weights"] and state["biases"] == created["biases"]
    assert state["counters"]["pass"] == 0 and state["counters"]["epoch"] == 0
    assert api.client.get(f"/api/sessions/{sid}/metrics").json()["per_pass"]["batch_loss"] == []


def test_delete_removes_the_session(api):
    sid = api.create()["id"]
    response = api.client.delete(f"/api/sessions/{sid}")
    assert response.status_code == 204 and response.content == b""
    api.error(api.client.get(f"/api/sessions/{sid}"), 404)
    api.error(api.client.delete(f"/api/sessions/{sid}"), 404)


def test_delete_cancels_a_running_job(api):
    sid = api.create()["id"]
    location = api.train(sid, passes=10_000_000)
    assert api.client.delete(f"/api/sessions/{sid}").status_code == 204
    assert api.client.get("/api/health").json()["jobs"] == 0
    api.error(api.client.get(location), 404)


def test_metrics_are_one_point_per_epoch_and_per_pass(api):
    sid = api.create()["id"]  # 32 training rows, batch 8: 4 passes per epoch
    api.step(sid, "epoch", 3)
    metrics = api.client.get(f"/api/sessions/{sid}/metrics").json()
    assert metrics["per_pass"]["pass"] == list(range(1, 13))
    assert len(metrics["per_pass"]["batch_loss"]) == 12
    assert metrics["per_epoch"]["epoch"] == [1, 2, 3]
    assert metrics["per_epoch"]["pass"] == [4, 8, 12]
    assert len(metrics["train_loss"]) == len(metrics["test_loss"]) == len(metrics["train_accuracy"]) == 3
    first_epoch = metrics["per_pass"]["batch_loss"][:4]
    assert metrics["train_loss"][0] == np.mean(first_epoch)  # equal batches: the mean of the batch losses
    assert all(0 <= a <= 1 for a in metrics["test_accuracy"])
    assert api.state(sid)["metrics"]["train_loss"] == metrics["train_loss"][-1]


def test_regression_metrics_have_no_accuracy(api):
    sid = api.create(api.seed)["id"]
    api.step(sid, "epoch", 2)
    metrics = api.client.get(f"/api/sessions/{sid}/metrics").json()
    assert metrics["train_accuracy"] is None and metrics["test_accuracy"] is None
    assert len(metrics["train_loss"]) == 2
