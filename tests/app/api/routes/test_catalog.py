"""GET /api/catalog serves the engine's registries with formulas in TeX and MathML, and the schema takes the
same names."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from engine.activations import ACTIVATIONS
from engine.datasets.builtin import BUILTINS
from engine.losses import LOSSES


def test_catalog_names_what_the_engine_offers(client: TestClient) -> None:
    body = client.get("/api/catalog").json()
    assert [a["name"] for a in body["activations"]] == list(ACTIVATIONS)
    assert [loss["name"] for loss in body["losses"]] == list(LOSSES)
    assert body["datasets"] == list(BUILTINS)
    defaults = body["defaults"]["output_activation"]
    assert defaults == {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}


def test_catalog_formulas_come_as_tex_and_mathml(client: TestClient) -> None:
    sigmoid = next(a for a in client.get("/api/catalog").json()["activations"] if a["name"] == "sigmoid")
    assert sigmoid["formula"]["tex"].startswith(r"\sigma(z)")
    assert sigmoid["formula"]["mathml"].startswith("<math")
    assert "<mfrac>" in sigmoid["formula"]["mathml"]
    assert sigmoid["short"] == "σ"
    assert sigmoid["derivative"]["tex"] == r"a\,(1 - a)"


def test_closed_form_delta_is_listed_with_its_formula(client: TestClient) -> None:
    body = client.get("/api/catalog").json()
    pairs = {(p["activation"], p["loss"]) for p in body["closed_form_deltas"]}
    assert pairs == {("sigmoid", "bce"), ("softmax", "cross_entropy")}
    assert body["closed_form_deltas"][0]["formula"]["tex"] == r"\delta^L = a^L - y"


def test_a_session_refuses_an_activation_the_catalog_does_not_list(client: TestClient) -> None:
    response = client.post("/api/sessions", json={"layers": [2, 2, 1], "activations": ["swish", "sigmoid"]})
    assert response.status_code == 422
    assert "activations[0]" in response.json()["field"]


@pytest.mark.parametrize("name", ["elu", "softplus", "gelu"])
def test_an_activation_added_to_the_engine_is_served_and_trains_end_to_end(name: str, api) -> None:
    """One registry entry is all it takes: the catalog lists it with its formulas, a session accepts it, and a
    pass steps through every phase with finite numbers."""
    entry = next(a for a in api.client.get("/api/catalog").json()["activations"] if a["name"] == name)
    assert entry["hidden"] is True and entry["short"]
    assert entry["formula"]["mathml"].startswith("<math") and entry["derivative"]["mathml"].startswith("<math")
    session = api.create(activations=[name, "sigmoid"])
    assert session["config"]["activations"] == [name, "sigmoid"]
    step = api.step(session["id"], "pass", 1)
    assert [r["label"] for r in step["records"]] == ["F1", "F2", "J", "B2", "B1", "U"]
    hidden = step["records"][0]
    assert all(v is not None for v in hidden["a"]) and step["diverged"] is None
    backward = step["records"][4]
    assert all(v is not None for row in backward["grad_W"] for v in row)


def test_catalog_serves_the_flags_and_defaults_the_page_reads(client: TestClient) -> None:
    body = client.get("/api/catalog").json()
    softmax = next(a for a in body["activations"] if a["name"] == "softmax")
    assert softmax["elementwise"] is False and softmax["hidden"] is False
    sgd = next(o for o in body["optimizers"] if o["name"] == "sgd")
    assert sgd["seed_rule"] is True
    half_sse = next(loss for loss in body["losses"] if loss["name"] == "half_sse")
    assert half_sse["derivative"]["tex"] == r"\frac{\partial J}{\partial a_k} = \hat{y}_k - y_k"
    assert {k: body["defaults"][k] for k in ("optimizer", "initializer", "regularization")} == {
        "optimizer": "sgd",
        "initializer": "xavier",
        "regularization": "none",
    }


def test_activations_list_their_parameters_with_range_and_symbol(client: TestClient) -> None:
    entries = {a["name"]: a for a in client.get("/api/catalog").json()["activations"]}
    (slope,) = entries["leaky_relu"]["parameters"]
    assert slope["name"] == "slope" and slope["default"] == 0.01 and (slope["min"], slope["max"]) == (-1000, 1000)
    assert slope["symbol"]["tex"] == r"\alpha" and slope["symbol"]["mathml"].startswith("<math")
    assert entries["leaky_relu"]["formula"]["tex"] == r"\max(\alpha\,z, z)"
    assert [p["name"] for p in entries["elu"]["parameters"]] == ["alpha"]
    assert entries["tanh"]["parameters"] is None
