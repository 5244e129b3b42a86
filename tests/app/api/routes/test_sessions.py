"""The session resource over REST: create, read, change hyperparameters, reset, delete, metrics — their refusals,
the limits on sessions (cap, eviction, TTL, architecture, built-in samples) and numbers a session cannot hold."""

from __future__ import annotations

import time

import numpy as np
import pytest

WRITE = {"X-Backprop-Viz-Request": "1"}  # a POST without a JSON body needs it (no cross-site writes)

FLOAT32_SESSION = {"layers": [2, 3, 1], "dtype": "float32"}


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
        client.post(f"/api/sessions/{missing}/reset", headers=WRITE),
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
        "name": "adam",
        "learning_rate": 0.01,
        "momentum": 0.9,
        "beta1": 0.9,
        "beta2": 0.999,
        "epsilon": 1e-8,
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
    response = api.client.post(f"/api/sessions/{sid}/reset", headers=WRITE)
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


# Limits (each with a small setting)
def sessions_live(api) -> int:
    return api.client.get("/api/health").json()["sessions"]


def test_the_session_idle_longest_is_evicted_at_the_cap(api_with):
    with api_with(max_sessions=2) as api:
        a = api.create()["id"]
        b = api.create()["id"]
        api.state(a)  # a is used again: b is now the one idle longest
        c = api.create()["id"]
        api.error(api.client.get(f"/api/sessions/{b}"), 404, "expired")
        assert api.state(a)["id"] == a and api.state(c)["id"] == c
        assert sessions_live(api) == 2


def test_busy_sessions_are_never_evicted(api_with):
    with api_with(max_sessions=1) as api:
        a = api.create()["id"]
        location = api.train(a, passes=10_000_000)
        error = api.error(api.client.post("/api/sessions", json=api.xor), 429, "BACKPROP_VIZ_MAX_SESSIONS")
        assert error["detail"]
        api.client.delete(location)
        assert api.client.post("/api/sessions", json=api.xor).status_code == 201  # a is idle now: evicted
        api.error(api.client.get(f"/api/sessions/{a}"), 404)


def test_idle_sessions_expire_after_the_ttl_but_training_ones_stay(api_with):
    with api_with(session_ttl_seconds=0.3) as api:
        training = api.create()["id"]
        location = api.train(training, passes=10_000_000)
        api.create()  # idle: the lifespan's periodic task removes it
        deadline = time.monotonic() + 10
        while sessions_live(api) == 2:  # polling health does not touch sessions
            assert time.monotonic() < deadline, "the idle session never expired"
            time.sleep(0.01)
        assert api.state(training)["job"]["status"] == "running"
        api.client.delete(location)


def test_architecture_limits(api_with):
    with api_with(max_layers=3, max_layer_width=8, max_parameters=50) as api:
        client = api.client
        api.error(client.post("/api/sessions", json={"layers": [2, 4, 4, 1]}), 422, "BACKPROP_VIZ_MAX_LAYERS")
        api.error(client.post("/api/sessions", json={"layers": [2, 9, 1]}), 422, "BACKPROP_VIZ_MAX_LAYER_WIDTH")
        api.create(layers=[2, 8, 1])  # 33 parameters
    with api_with(max_parameters=50) as api:
        error = api.error(api.client.post("/api/sessions", json={"layers": [2, 20, 1]}), 422, "81")
        assert "BACKPROP_VIZ_MAX_PARAMETERS" in error["detail"] and error["field"] == "layers"
        api.create(layers=[2, 10, 1])  # 41 parameters


def test_builtin_samples_limit(api_with):
    with api_with(max_builtin_samples=100) as api:
        body = {"layers": [2, 1], "dataset": {"builtin": "xor", "samples": 101}}
        response = api.client.post("/api/sessions", json=body)
        error = api.error(response, 422, "BACKPROP_VIZ_MAX_BUILTIN_SAMPLES")
        assert error["field"] == "dataset.samples"
        api.create(layers=[2, 1], dataset={"builtin": "xor", "samples": 100})


# Numbers a session cannot hold (found by fuzzing): a 422, never a 500 or a session that cannot be exported
def raw_post(api, path: str, text: str):
    return api.client.post(path, content=text.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({**FLOAT32_SESSION, "init": {"weights": [[[1e300, 0], [0, 0], [0, 0]], [[0, 0, 0]]]}}, "weights", ["float32"]),
        ({"layers": [2, 3, 1], "init": {"scheme": "uniform", "low": -1e308, "high": 1e308}}, "init", ["-1000000"]),
        (
            {**FLOAT32_SESSION, "dataset": {"inputs": [[1e300, 0], [0, 1]], "targets": [[1], [0]]}},
            "dataset",
            ["not finite in float32", "float64"],
        ),
    ],
    ids=["float32-explicit-weights", "uniform-span-overflows", "float32-data"],
)
def test_numbers_beyond_the_dtype_are_refused_at_create(api, body, field, words):
    error = api.error(api.client.post("/api/sessions", json=body), 422, *words)
    assert error["field"].startswith(field), error


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN"])
def test_non_finite_json_numbers_in_hyperparameters_are_refused(api, number):
    optimizer = '{"name": "adam", "epsilon": NUMBER}'.replace("NUMBER", number)
    assert raw_post(api, "/api/sessions", '{"layers": [2, 3, 1], "optimizer": ' + optimizer + "}").status_code == 422
    sid = api.create()["id"]
    before = api.state(sid)
    patch = api.client.patch(
        f"/api/sessions/{sid}",
        content=('{"optimizer": ' + optimizer + "}").encode(),
        headers={"content-type": "application/json"},
    )
    assert api.error(patch, 422, f"{number.lstrip('-')} is not a JSON number")["field"] == "body"
    assert api.state(sid) == before
    assert api.client.get(f"/api/sessions/{sid}/export").status_code == 200


def test_activation_options_set_each_layers_parameter_and_survive_export(api) -> None:
    body = {**api.xor, "activations": ["leaky_relu", "sigmoid"], "activation_options": [{"slope": 0.3}, None]}
    session = api.create(body)
    assert session["config"]["activation_options"] == [{"slope": 0.3}, None]
    records = api.step(session["id"], "phase", 1)["records"]
    assert records[0]["a"] == [z if z > 0 else 0.3 * z for z in records[0]["z"]]
    doc = api.client.get(f"/api/sessions/{session['id']}/export").json()
    assert doc["trainer"]["network"]["activation_options"] == [{"slope": 0.3}, None]
    copy = api.client.post("/api/sessions/import", json=doc).json()
    assert copy["config"]["activation_options"] == [{"slope": 0.3}, None]
    doc["config"]["activation_options"] = None  # config and network disagree: refused, naming both
    api.error(api.client.post("/api/sessions/import", json=doc), 422, "activation options")


def test_activation_options_are_checked_by_the_engine(api) -> None:
    bad = api.client.post("/api/sessions", json={**api.xor, "activation_options": [{"slope": 0.3}, None]})
    body = api.error(bad, 422, "tanh takes no options")
    assert body["field"] == "activation_options"
    far = {**api.xor, "activations": ["leaky_relu", "sigmoid"], "activation_options": [{"slope": 1e9}, None]}
    api.error(api.client.post("/api/sessions", json=far), 422, "slope must be a number from -1000 to 1000")
    short = {**api.xor, "activations": ["leaky_relu", "sigmoid"], "activation_options": [{"slope": 0.2}]}
    api.error(api.client.post("/api/sessions", json=short), 422, "one entry (or null) per non-input layer")


def test_a_session_without_options_exports_as_before(api) -> None:
    session = api.create(api.xor)
    assert session["config"]["activation_options"] is None
    doc = api.client.get(f"/api/sessions/{session['id']}/export").json()
    assert "activation_options" not in doc["trainer"]["network"]


def test_metrics_can_be_asked_for_at_most_n_points_a_series(api):
    sid = api.create()["id"]
    api.wait(api.train(sid, passes=3_000))
    every = api.client.get(f"/api/sessions/{sid}/metrics").json()
    some = api.client.get(f"/api/sessions/{sid}/metrics?points=500").json()
    assert len(every["per_pass"]["pass"]) == 3_000
    passes = some["per_pass"]["pass"]
    assert len(passes) <= 500 and passes[0] == 1 and passes[-1] == 3_000
    losses = dict(zip(every["per_pass"]["pass"], every["per_pass"]["batch_loss"], strict=True))
    assert some["per_pass"]["batch_loss"] == [losses[p] for p in passes]  # the engine's own values
    assert len(some["per_epoch"]["epoch"]) <= 500 and some["train_loss"] == some["per_epoch"]["train_loss"]
    body = api.error(api.client.get(f"/api/sessions/{sid}/metrics?points=2"), 422, "points")
    assert "3" in body["detail"]


def test_a_watcher_can_ask_for_at_most_n_points_too(api):
    sid = api.create()["id"]
    api.wait(api.train(sid, passes=1_000))
    token = api.client.post(f"/api/sessions/{sid}/watch", json={}).json()["token"]
    some = api.client.get(f"/api/watch/{token}/metrics?points=100").json()
    assert len(some["per_pass"]["pass"]) <= 100 and some["per_pass"]["pass"][-1] == 1_000
