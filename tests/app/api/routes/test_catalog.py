"""GET /api/catalog serves the engine's registries with formulas in TeX and MathML, and the schema takes the
same names."""

from __future__ import annotations

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
