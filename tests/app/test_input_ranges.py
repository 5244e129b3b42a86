"""Numbers a session cannot hold are refused with a 422 or an error event, never a 500 or a session that can no
longer be exported or restored: non-finite JSON numbers, values beyond float32's range, bounds whose span
overflows, messages nested too deeply, and steps too long to answer in seconds (all found by fuzzing)."""

from __future__ import annotations

import json

import pytest
from ws_helpers import command, types

FLOAT32_SESSION = {"layers": [2, 3, 1], "dtype": "float32"}


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
        f"/api/sessions/{sid}", content=('{"optimizer": ' + optimizer + "}").encode(),
        headers={"content-type": "application/json"},
    )
    assert api.error(patch, 422)["field"].startswith("optimizer")
    assert api.state(sid) == before
    assert api.client.get(f"/api/sessions/{sid}/export").status_code == 200


def test_a_float32_weight_edited_beyond_its_range_is_an_error_event(client, api):
    sid = api.create(FLOAT32_SESSION)["id"]
    before = api.state(sid)
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        ws.send_json({"type": "edit_weight", "layer": 1, "row": 0, "column": 0, "value": 1e300})
        error = ws.receive_json()
        assert error["type"] == "error" and "float32" in error["message"], error
        assert types(command(ws, "step")) == ["phase", "state"]
    assert api.state(sid)["weights"] == before["weights"]
    assert api.client.get(f"/api/sessions/{sid}/export").status_code == 200


def test_a_message_nested_too_deeply_is_an_error_event_and_the_socket_stays_open(client, api):
    sid = api.create()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        ws.send_text("[" * 100_000 + "]" * 100_000)
        error = ws.receive_json()
        assert error["type"] == "error" and "too deeply" in error["message"], error
        assert types(command(ws, "step")) == ["phase", "state"]


@pytest.mark.parametrize(("unit", "count"), [("pass", 6), ("phase", 6 * 6 + 1), ("epoch", 2)])
def test_a_step_through_more_passes_than_the_limit_is_refused_and_changes_nothing(api_with, unit, count):
    with api_with(max_step_passes=5) as api:
        sid = api.create()["id"]  # 32 training rows, batch 8: 4 passes (6 phases each) per epoch
        before = api.state(sid)
        error = api.error(
            api.client.post(f"/api/sessions/{sid}/step", json={"unit": unit, "count": count}),
            422,
            "BACKPROP_VIZ_MAX_STEP_PASSES",
            "/train",
        )
        assert error["field"] == "count"
        assert api.state(sid) == before
        assert api.step(sid, "pass", 5)["passes"] == 5  # at the limit is fine


def test_an_export_is_strict_json(api):
    """The export is parsed by strict JSON readers (allow_nan=False on both ends)."""
    sid = api.create(FLOAT32_SESSION)["id"]
    api.step(sid, "pass", 3)
    text = api.client.get(f"/api/sessions/{sid}/export").text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-finite {c} in the export"))
