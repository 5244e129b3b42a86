"""Large JSON bodies are parsed and validated off the event loop (app/api/routing.py), answers holding every
weight are built and encoded off it (app/api/answers.py), and no number that is not finite gets into a session
by any way in — JSON's missing NaN/Infinity, or 1e999 (read as infinity) in an imported trainer state."""

from __future__ import annotations

import asyncio
import json

from app.api import routing


def on_the_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_a_large_body_is_parsed_and_validated_in_a_worker_thread(api, monkeypatch):
    seen: list[bool] = []
    parse = routing.parse_json

    def spy(body: bytes):
        seen.append(on_the_loop())
        return parse(body)

    monkeypatch.setattr(routing, "parse_json", spy)
    rows = [[i / 5000, (i % 7) / 7] for i in range(5000)]  # about 200 kB of JSON
    body = {"layers": [2, 3, 1], "dataset": {"inputs": rows, "targets": [[r[0]] for r in rows]}}
    assert len(json.dumps(body)) > routing.OFF_LOOP_BYTES
    assert api.client.post("/api/sessions", json=body).status_code == 201
    assert seen == [False]
    bad = {**body, "dataset": {**body["dataset"], "inputs": [*rows[:-1], [0.5, "x"]]}}
    error = api.error(api.client.post("/api/sessions", json=bad), 422)  # the validation error, found in the thread
    assert error["field"].startswith("dataset") and "inputs" in error["detail"]
    assert seen == [False, False]
    small = api.client.post("/api/sessions", json={"layers": [2, 3, 1]})
    assert small.status_code == 201 and seen == [False, False, True]  # a small body is not worth a thread


def test_nan_and_infinity_are_refused_in_every_json_body(api):
    sid = api.create()["id"]
    for text in ('{"layers": [2, 3, 1], "optimizer": {"learning_rate": NaN}}', '{"inputs": [[Infinity, 0]]}'):
        path = "/api/sessions" if "layers" in text else f"/api/sessions/{sid}/predict"
        response = api.client.post(path, content=text, headers={"content-type": "application/json"})
        api.error(response, 422, "is not a JSON number")


def export(api, sid: str) -> str:
    return api.client.get(f"/api/sessions/{sid}/export").text


def test_an_import_with_a_non_finite_optimizer_state_is_refused(api):
    sid = api.create(optimizer={"name": "adam", "learning_rate": 0.01})["id"]
    api.step(sid, "pass", 3)
    doc = json.loads(export(api, sid))
    doc["trainer"]["state"]["optimizer"]["state"]["m"][0][0][0] = 1.5
    text = json.dumps(doc).replace("1.5", "1e999", 1)  # valid JSON that Python reads as inf
    sessions = api.client.get("/api/health").json()["sessions"]
    response = api.client.post("/api/sessions/import", content=text, headers={"content-type": "application/json"})
    error = api.error(response, 422, "optimizer state", "not finite")
    assert error["field"] == "trainer"
    assert api.client.get("/api/health").json()["sessions"] == sessions


def test_an_import_with_non_finite_weights_metrics_or_accumulators_is_refused(api):
    sid = api.create()["id"]
    api.step(sid, "pass", 3)
    original = json.loads(export(api, sid))
    for path in (
        ("trainer", "state", "W", 0, 0, 0),
        ("trainer", "initial", "b", 0, 0),
        ("trainer", "metrics", "batch_loss", "y", 0),
        ("trainer", "state", "epoch_accumulators", 0),
    ):
        doc = json.loads(json.dumps(original))
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = 1.25e-7
        text = json.dumps(doc).replace("1.25e-07", "-1e999")
        response = api.client.post("/api/sessions/import", content=text, headers={"content-type": "application/json"})
        assert api.error(response, 422, "not finite")["field"] == "trainer", path
    assert api.client.get(f"/api/sessions/{sid}/export").status_code == 200
