"""The OpenAPI document states the limits the server enforces, documents 400/413/429, and whole numbers are
strict: `true`, `"3"` and `3.0` are refused where a whole number goes (REST and WebSocket alike)."""

from __future__ import annotations

import pytest


def test_the_schema_states_the_limits_with_this_servers_values(api_with):
    with api_with(max_layers=5, max_layer_width=64, max_job_passes=1000, max_builtin_samples=300) as api:
        schema = api.client.get("/openapi.json").json()
        components = schema["components"]["schemas"]
        layers = components["SessionCreate"]["properties"]["layers"]
        assert layers["maxItems"] == 5 and layers["minItems"] == 2
        assert layers["items"] == {**layers["items"], "type": "integer", "minimum": 1, "maximum": 64}
        train = components["TrainRequest"]
        assert train["oneOf"][:2] == [{"required": ["epochs"]}, {"required": ["passes"]}]  # epochs xor passes
        assert train["oneOf"][2]["required"] == ["stop"]  # or only a stop condition
        assert any(o.get("maximum") == 1000 for o in train["properties"]["passes"]["anyOf"])
        count = components["StepRequest"]["properties"]["count"]
        assert count["x-max-passes"] == 10_000 and "BACKPROP_VIZ_MAX_STEP_PASSES" in count["description"]
        description = schema["info"]["description"]
        for setting in (
            "MAX_JSON_BYTES",
            "MAX_IMPORT_BYTES",
            "MEMORY_BUDGET_BYTES",
            "MAX_STEP_ANSWER_BYTES",
            "MAX_WS_CLIENTS_PER_SESSION",
            "BODY_IDLE_SECONDS",
            "MAX_CONCURRENT_PLAYS",
        ):
            assert setting in description


def test_400_413_and_429_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [("/api/sessions", "post"), ("/api/sessions/import", "post"), ("/api/datasets", "post")]:
        responses = paths[path][method]["responses"]
        assert {"400", "401", "403", "413", "422"} <= set(responses), (path, sorted(responses))
    assert "429" in paths["/api/sessions"]["post"]["responses"]
    assert "429" in paths["/api/sessions/import"]["post"]["responses"]
    assert "429" in paths["/api/sessions/{session_id}/train"]["post"]["responses"]


@pytest.mark.parametrize("value", [True, "3", 3.0])
def test_whole_numbers_are_strict_on_rest(api, value):
    sid = api.create()["id"]
    before = api.state(sid)["counters"]
    response = api.client.post(f"/api/sessions/{sid}/step", json={"unit": "pass", "count": value})
    assert api.error(response, 422, "valid integer")["field"] == "count"
    assert api.state(sid)["counters"] == before
    layers = api.client.post("/api/sessions", json={**api.xor, "layers": [2, value, 1]})
    assert api.error(layers, 422)["field"] == "layers[1]"
    assert api.error(api.client.post(f"/api/sessions/{sid}/train", json={"passes": value}), 422)["field"] == "passes"


def test_whole_numbers_are_strict_on_the_websocket(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        ws.send_json({"type": "focus", "index": True, "request_id": "r1"})
        error = ws.receive_json()
        assert error["type"] == "error" and error["field"] == "index" and error["request_id"] == "r1"


def test_layers_of_zero_neurons_are_refused_by_the_schema(api):
    error = api.error(api.client.post("/api/sessions", json={**api.xor, "layers": [2, 0, 1]}), 422)
    assert error["field"] == "layers[1]" and "greater than or equal to 1" in error["detail"]
