"""Diagnostics over REST: GET …/diagnostics (and its history), …/units, …/evaluation, the landscape job
(POST/GET …/landscape, its limit, cancel), and the stop conditions of training jobs."""

from __future__ import annotations

import math

import pytest

from app.schemas import Diagnostics, Evaluation, Landscape, UnitGrid, UnitProjection

DEEP_SIGMOID = {  # lesson 03's network: ‖∂J/∂W¹‖ / ‖∂J/∂W⁵‖ ≈ 5 × 10⁻⁴ after 200 passes
    "layers": [2, 8, 8, 8, 8, 1],
    "activations": ["sigmoid"] * 5,
    "loss": "bce",
    "optimizer": {"name": "sgd", "learning_rate": 0.3},
    "batch_size": 10,
    "init": {"scheme": "xavier", "seed": 0},
    "dataset": {"builtin": "circles", "samples": 200, "noise": 0.05},
}
REGRESSION = {"layers": [1, 6, 1], "activations": ["tanh", "linear"], "dataset": {"builtin": "sine", "samples": 60}}
WIDE = {
    "layers": [3, 4, 1],
    "dataset": {"inputs": [[i, i % 3, i % 5] for i in range(30)], "targets": [[i % 2] for i in range(30)]},
}


def diagnostics(api, sid: str, history: bool = False) -> dict:
    response = api.client.get(f"/api/sessions/{sid}/diagnostics", params={"history": history})
    assert response.status_code == 200, response.text
    return Diagnostics.model_validate(response.json()).model_dump(by_alias=True)


def test_diagnostics_describe_every_layer_on_the_probe(api):
    sid = api.create()["id"]  # xor 2-4-1, 32 training samples
    body = diagnostics(api, sid)
    assert body["pass"] == 0 and body["probe_size"] == 32 and body["history"] is None
    assert [(layer["layer"], layer["units"], layer["activation"]) for layer in body["layers"]] == [
        (1, 4, "tanh"),
        (2, 1, "sigmoid"),
    ]
    weights = api.state(sid)["weights"]
    first = body["layers"][0]
    assert first["weight_norm"] == pytest.approx(math.sqrt(sum(w * w for row in weights[0] for w in row)))
    assert first["update_ratio"] is None and first["dead_fraction"] is None and first["saturated_fraction"] == 0
    assert body["layers"][1]["saturated_fraction"] is not None
    for quantity, count in (("W", 8), ("a", 32 * 4), ("delta", 32 * 4), ("grad_W", 8)):
        histogram = first["histograms"][quantity]
        assert len(histogram["edges"]) == len(histogram["counts"]) + 1 and sum(histogram["counts"]) == count
    api.step(sid, "pass", 1)
    after = diagnostics(api, sid)
    assert after["pass"] == 1 and all(layer["update_ratio"] > 0 for layer in after["layers"])


def test_the_history_has_one_entry_per_measured_pass_on_fixed_bins_and_follows_back(api, client):
    sid = api.create()["id"]
    edges = diagnostics(api, sid)["layers"][0]["histograms"]["W"]["edges"]
    for _ in range(3):
        api.step(sid, "pass", 2)
    history = diagnostics(api, sid, history=True)["history"]
    assert history["passes"] == [0, 2, 4, 6]
    layer1 = history["layers"][0]
    assert len(layer1["grad_norm"]) == 4 and layer1["update_ratio"][0] is None and layer1["dead_fraction"] is None
    W1 = history["histograms"]["W"][0]
    assert W1["layer"] == 1 and len(W1["counts"]) == 4 and all(sum(row) == 8 for row in W1["counts"])
    assert all(min(abs(e - f) for f in W1["edges"]) < 1e-12 for e in edges)  # the first bins kept (or widened)
    client.post(f"/api/sessions/{sid}/back", json={"unit": "pass", "count": 3})
    assert diagnostics(api, sid, history=True)["history"]["passes"] == [0, 2, 3]


def test_a_deep_sigmoid_network_is_flagged_for_vanishing_gradients(api):
    sid = api.create(DEEP_SIGMOID)["id"]
    api.wait(api.train(sid, passes=200))
    flags = diagnostics(api, sid)["flags"]
    vanishing = next(f for f in flags if f["kind"] == "vanishing")
    assert vanishing["layer"] is None and vanishing["value"] < vanishing["threshold"] == 1e-3
    assert vanishing["lesson"] == "03-vanishing-gradients" and "vanishes" in vanishing["message"]


def test_diagnostics_of_an_unknown_session_is_404(api, client):
    api.error(client.get("/api/sessions/nope/diagnostics"), 404, "no session")


def test_units_of_2d_data_are_pictures_on_the_boundary_grid(api, client):
    sid = api.create()["id"]
    response = client.get(f"/api/sessions/{sid}/units", params={"layer": 1})
    view = UnitGrid.model_validate(response.json())
    assert view.kind == "grid" and len(view.units) == 4 and len(view.units[0]) == len(view.ys) == 50
    assert len(view.units[0][0]) == len(view.xs) == 50
    output = client.post(f"/api/sessions/{sid}/predict", json={"inputs": [[view.xs[7], view.ys[3]]]}).json()
    last = UnitGrid.model_validate(client.get(f"/api/sessions/{sid}/units", params={"layer": 2}).json())
    assert last.units[0][3][7] == pytest.approx(output["outputs"][0][0], rel=1e-12)


def test_units_of_other_data_are_the_probe_in_the_layers_space(api, client):
    regression = api.create(REGRESSION)["id"]
    view = UnitProjection.model_validate(client.get(f"/api/sessions/{regression}/units?layer=1").json())
    assert view.kind == "projection" and view.axes == "pca" and len(view.points) == len(view.labels)
    assert len(view.explained) == 2 and 0 <= view.explained[1] <= view.explained[0] <= 1
    again = client.get(f"/api/sessions/{regression}/units?layer=1").json()
    assert again["points"] == [list(p) for p in view.points]  # the same axes, the same weights: the same picture
    output = UnitProjection.model_validate(client.get(f"/api/sessions/{regression}/units?layer=2").json())
    assert output.axes == "units" and output.explained is None and all(p[1] == 0 for p in output.points)
    wide = api.create(WIDE)["id"]
    labelled = client.get(f"/api/sessions/{wide}/units?layer=2").json()
    assert set(labelled["labels"]) <= {0, 1}


@pytest.mark.parametrize("layer", [0, 3, -1])
def test_units_of_an_unknown_layer_are_refused_naming_the_range(api, client, layer):
    sid = api.create()["id"]
    body = api.error(client.get(f"/api/sessions/{sid}/units", params={"layer": layer}), 422, "from 1 to 2")
    assert body["field"] == "layer"


def test_evaluation_of_a_classifier_is_its_confusion_matrices(api, client):
    sid = api.create()["id"]
    body = Evaluation.model_validate(client.get(f"/api/sessions/{sid}/evaluation").json())
    state = api.state(sid)
    assert body.kind == "classification" and body.r2 is None and body.confusion.classes == state["dataset"]["classes"]
    assert sum(map(sum, body.confusion.train)) == state["dataset"]["train_rows"]
    assert sum(map(sum, body.confusion.test)) == state["dataset"]["test_rows"]


def test_evaluation_of_a_regression_is_r2_and_pairs(api, client):
    sid = api.create(REGRESSION)["id"]
    api.wait(api.train(sid, epochs=30))
    body = Evaluation.model_validate(client.get(f"/api/sessions/{sid}/evaluation").json())
    assert body.kind == "regression" and body.confusion is None
    assert -1 < body.r2.train <= 1 and body.r2.test is not None
    assert len(body.pairs.train) == api.state(sid)["dataset"]["train_rows"] and len(body.pairs.train[0]) == 2


def test_no_test_split_gives_null_test_entries(api, client):
    sid = api.create(api.seed)["id"]  # one inline sample, no test split
    body = client.get(f"/api/sessions/{sid}/evaluation").json()
    assert body["kind"] == "regression" and body["r2"]["test"] is None and body["pairs"]["test"] is None


# -- the landscape -----------------------------------------------------------------------------------------
def test_the_landscape_runs_as_a_job_and_its_centre_is_the_current_probe_loss(api, client):
    sid = api.create()["id"]
    api.step(sid, "pass", 20)
    assert api.error(client.get(f"/api/sessions/{sid}/landscape"), 404, "POST").get("field") == "landscape"
    response = client.post(f"/api/sessions/{sid}/landscape", json={"resolution": 7, "span": 0.5, "seed": 3})
    assert response.status_code == 202 and response.json()["kind"] == "landscape"
    job = api.wait(response.headers["location"])
    assert job["status"] == "done" and job["done"] == job["total"] == 7 * 7 + 7 and job["stop_reason"] is None
    landscape = Landscape.model_validate(client.get(f"/api/sessions/{sid}/landscape").json())
    assert landscape.model_dump(by_alias=True) == job["landscape"] | {"pass": job["landscape"]["pass"]}
    assert landscape.pass_index == 20 and landscape.alphas[3] == 0 and landscape.alphas[-1] == 0.5
    probe_loss = diagnostics(api, sid)["probe_loss"]
    assert landscape.center_loss == pytest.approx(probe_loss, abs=1e-12)
    assert landscape.loss[3][3] == pytest.approx(probe_loss, abs=1e-12)
    assert landscape.path[-1] == [0, 0] and landscape.path_passes[-1] == 20 and landscape.path_passes[0] == 0
    assert landscape.slice.loss[0] == pytest.approx(probe_loss, abs=1e-12)


def test_a_landscape_over_the_budget_is_refused_naming_the_limit(api_with):
    with api_with(landscape_max_work=1_000_000) as api:
        sid = api.create({**api.xor, "layers": [2, 64, 64, 1]})["id"]
        response = api.client.post(f"/api/sessions/{sid}/landscape", json={"resolution": 21})
        body = api.error(response, 422, "BACKPROP_VIZ_LANDSCAPE_MAX_WORK", "lower resolution")
        assert body["field"] == "resolution"
        assert api.client.get(f"/api/sessions/{sid}/landscape").status_code == 404  # nothing started


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resolution": 2}, "resolution"),
        ({"resolution": 21.0}, "resolution"),
        ({"span": 0}, "span"),
        ({"seed": -1}, "seed"),
        ({"extra": 1}, "extra"),
    ],
)
def test_invalid_landscape_requests_are_422(api, client, body, field):
    sid = api.create()["id"]
    response = client.post(f"/api/sessions/{sid}/landscape", json=body)
    assert response.status_code == 422 and field in response.text


def test_a_landscape_job_can_be_cancelled_and_answers_409_while_it_runs(api_with):
    with api_with(landscape_max_work=10**13) as api:
        sid = api.create({**api.xor, "layers": [2, 256, 256, 1]})["id"]
        response = api.client.post(f"/api/sessions/{sid}/landscape", json={"resolution": 101})
        location = response.headers["location"]
        api.error(api.client.get(f"/api/sessions/{sid}/landscape"), 409, "being computed")
        api.error(api.client.post(f"/api/sessions/{sid}/step", json={}), 409, "landscape job")
        api.client.delete(location)
        job = api.wait(location)  # a loaded machine may take longer than the cancel's wait
        assert job["status"] == "cancelled" and job["done"] < job["total"]
        assert api.client.get(f"/api/sessions/{sid}/landscape").status_code == 404


# -- stop conditions ---------------------------------------------------------------------------------------
def test_a_job_stops_when_the_training_loss_is_below_the_target(api):
    sid = api.create()["id"]
    job = api.wait(api.train(sid, epochs=2_000, stop={"loss_below": 0.2}))
    assert job["status"] == "done" and job["stop_reason"] == "loss_below" and job["done"] < job["total"]
    metrics = api.client.get(f"/api/sessions/{sid}/metrics").json()
    assert metrics["train_loss"][-1] < 0.2 and all(loss >= 0.2 for loss in metrics["train_loss"][:-1])


def test_patience_stops_when_the_test_loss_no_longer_improves_and_names_the_best_pass(api):
    sid = api.create(api.xor, optimizer={"name": "sgd", "learning_rate": 2.0})["id"]
    job = api.wait(api.train(sid, stop={"patience": 5}))
    assert job["status"] == "done" and job["stop_reason"] == "patience"
    per_epoch = api.client.get(f"/api/sessions/{sid}/metrics").json()["per_epoch"]
    best = per_epoch["test_loss"].index(min(per_epoch["test_loss"]))
    assert job["best_pass"] == per_epoch["pass"][best] and job["best_loss"] == per_epoch["test_loss"][best]
    assert per_epoch["epoch"][-1] - per_epoch["epoch"][best] >= 5


def test_a_job_that_runs_its_course_says_so_and_a_cancelled_one_too(api, client):
    sid = api.create()["id"]
    assert api.wait(api.train(sid, epochs=2))["stop_reason"] == "epochs"
    assert api.wait(api.train(sid, passes=3))["stop_reason"] == "passes"
    location = api.train(sid, passes=10_000_000)
    assert client.delete(location).json()["stop_reason"] == "cancelled"


def test_a_diverging_job_says_it_diverged(api):
    sid = api.create(api.diverging)["id"]
    job = api.wait(api.train(sid, passes=1_000, stop={"loss_below": 1e-9}))
    assert job["status"] == "failed" and job["stop_reason"] == "diverged"


@pytest.mark.parametrize(
    "body",
    [{"stop": {}}, {"stop": {"patience": 0}}, {"stop": {"loss_below": -1}}, {"epochs": 1, "passes": 1}, {}],
)
def test_invalid_stop_conditions_are_422(api, client, body):
    sid = api.create()["id"]
    assert client.post(f"/api/sessions/{sid}/train", json=body).status_code == 422
