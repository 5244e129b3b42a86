"""Export and import: a new session in bitwise the exported state, that then steps exactly like the original;
foreign or broken documents are refused with 422, never a 500."""

from __future__ import annotations

import copy
import json

import pytest


def without_id(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "id"}


def export(api, sid: str) -> dict:
    response = api.client.get(f"/api/sessions/{sid}/export")
    assert response.status_code == 200, response.text
    return response.json()


def import_(api, doc) -> dict:
    response = api.client.post("/api/sessions/import", json=doc)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": {"name": "adam", "learning_rate": 0.02}},
        {"optimizer": {"name": "momentum", "learning_rate": 0.1}, "dtype": "float32"},
        {"regularization": {"kind": "l2", "rate": 0.01}, "batch_size": 5, "focus": 3},
    ],
)
def test_import_recreates_the_exported_state_bitwise(api, changes):
    original = api.create(**changes)["id"]
    api.step(original, "pass", 11)  # mid-epoch: the sampler's shuffled order and cursor matter
    doc = export(api, original)
    assert doc["format"] == "backprop-viz-session" and doc["version"] == 1

    imported = import_(api, doc)
    assert imported["id"] != original
    assert without_id(imported) == without_id(api.state(original))
    metrics = api.client.get(f"/api/sessions/{original}/metrics").json()
    assert api.client.get(f"/api/sessions/{imported['id']}/metrics").json() == metrics
    assert export(api, imported["id"]) == doc  # weights, optimizer state, sampler, counters, metrics, data

    # then both step identically, forward and back
    a, b = api.step(original, "pass", 7), api.step(imported["id"], "pass", 7)
    assert a["records"] == b["records"]
    assert without_id(a["state"]) == without_id(b["state"])
    back_a = api.client.post(f"/api/sessions/{original}/back", json={"unit": "pass", "count": 1}).json()
    back_b = api.client.post(f"/api/sessions/{imported['id']}/back", json={"unit": "pass", "count": 1}).json()
    assert without_id(back_a["state"]) == without_id(back_b["state"])


def test_export_inside_a_pass_with_a_pending_change(api):
    original = api.create()["id"]
    api.step(original, "pass", 2)
    api.step(original, "phase", 3)
    api.client.patch(f"/api/sessions/{original}", json={"learning_rate": 0.01})
    doc = export(api, original)
    assert doc["position"] == 3 and doc["pending_config"]["optimizer"]["learning_rate"] == 0.01

    imported = import_(api, doc)
    assert imported["counters"]["label"] == "B2" and imported["pending_config"] is True
    assert without_id(imported) == without_id(api.state(original))
    a, b = api.step(original, "phase", 9), api.step(imported["id"], "phase", 9)
    assert a["records"] == b["records"]
    assert [r["label"] for r in a["records"]] == ["B2", "B1", "U", "F1", "F2", "J", "B2", "B1", "U"]
    assert a["records"][2]["learning_rate"] == 0.5  # the open pass finished with the old rate
    assert a["records"][-1]["learning_rate"] == 0.01  # and the next one used the new
    assert without_id(a["state"]) == without_id(b["state"])


def test_export_is_a_download_and_holds_the_data(api):
    state = api.create()
    response = api.client.get(f"/api/sessions/{state['id']}/export")
    assert "attachment" in response.headers["content-disposition"]
    doc = response.json()
    assert len(doc["dataset"]["X_train"]) == state["dataset"]["train_rows"]
    assert doc["dataset"]["class_names"] == ["0", "1"]
    assert doc["config"]["layers"] == [2, 4, 1]
    assert doc["trainer"]["network"]["weights"] == state["weights"]


def test_import_does_not_need_the_uploaded_data_set(api):
    info = api.client.post(
        "/api/datasets",
        files={"file": ("d.csv", b"a,b,c\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,1,x\n2,3,y\n")},
        headers={"X-Backprop-Viz-Request": "1"},
    ).json()
    sid = api.create({"layers": [2, 3, 1], "dataset": {"id": info["id"], "test_fraction": 0}})["id"]
    api.step(sid, "pass", 2)
    doc = export(api, sid)
    api.client.delete(f"/api/datasets/{info['id']}")
    imported = import_(api, doc)
    assert imported["dataset"]["classes"] == ["x", "y"]
    assert imported["weights"] == api.state(sid)["weights"]


def broken(doc: dict, path: str, value) -> dict:
    """A copy of `doc` with the item at a dotted path replaced (or deleted if value is ...)."""
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


def test_foreign_and_broken_documents_are_422(api):
    sid = api.create(optimizer={"name": "adam", "learning_rate": 0.01})["id"]
    api.step(sid, "pass", 5)
    doc = export(api, sid)
    sessions_before = api.client.get("/api/health").json()["sessions"]
    cases = [
        ({}, "format", "not a backprop-viz session export"),
        ([1, 2, 3], "format", "not a backprop-viz session export"),
        ({"format": "keras", "weights": []}, "format", "keras"),
        (broken(doc, "version", 2), "version", "version"),
        (broken(doc, "trainer", ...), "trainer", "trainer"),
        (broken(doc, "config.layers", "many"), "config.layers", "list"),
        (broken(doc, "dataset.X_train", [[1.0, 2.0]]), "dataset", "dataset"),
        (broken(doc, "trainer.state.W.0", [[1.0]]), "trainer", "trainer"),
        (broken(doc, "trainer.state.optimizer.state", {"velocity": []}), "trainer", "trainer"),
        (broken(doc, "trainer.state.sampler.cursor", 10_000), "trainer.state.sampler", "sampler"),
        (broken(doc, "trainer.state.sampler.cursor", "3"), "trainer.state", "whole numbers"),
        (broken(doc, "trainer.state.sampler.rng_state", {"bit_generator": "MT19937"}), "trainer", "trainer"),
        (broken(doc, "trainer.metrics.batch_loss.y", ["a"]), "trainer", "metrics"),
        (broken(doc, "trainer.format_version", 99), "trainer", "version"),
        (broken(doc, "config.layers", [2, 5, 1]), "trainer.network", "does not match"),
        (broken(doc, "focus", 10_000), "focus", "focus"),
        (broken(doc, "position", 6), "position", "position"),
        (broken(doc, "trainer.state.batch_size", 0), "trainer", "batch_size"),
        # Found by fuzzing: each was accepted (or a 500) and left a session that could not step or export.
        (broken(doc, "trainer.metrics.batch_loss.max_points", [1, 2, 3]), "trainer", "metrics"),
        (broken(doc, "trainer.metrics.batch_loss.stride", {}), "trainer", "metrics"),
        (broken(doc, "trainer.metrics.train_loss.x", [0.5]), "trainer", "metrics"),
        (broken(doc, "dataset.Y_train.0.0", "NaN"), "dataset", "finite"),
        (broken(doc, "dataset.raw_domain.0.0", "-Infinity"), "dataset", "finite"),
        (broken(doc, "trainer.initial.sampler.order", [1e308]), "trainer", "initial"),
    ]
    for body, field, word in cases:
        response = api.client.post("/api/sessions/import", json=body)
        error = api.error(response, 422)
        assert error["field"] is not None and error["field"].startswith(field), (field, error)
        assert word.lower() in error["detail"].lower(), (word, error)
    not_json = api.client.post("/api/sessions/import", content=b"{", headers={"content-type": "application/json"})
    assert api.error(not_json, 422, "not valid JSON")["field"] == "body"
    assert api.client.get("/api/health").json()["sessions"] == sessions_before


def test_import_respects_the_architecture_limits(api, api_with):
    sid = api.create(layers=[2, 30, 1])["id"]
    doc = export(api, sid)
    with api_with(max_layer_width=16) as small:
        small.error(small.client.post("/api/sessions/import", json=doc), 422, "BACKPROP_VIZ_MAX_LAYER_WIDTH")


def test_import_size_limit_is_413(api_with):
    with api_with(max_import_bytes=2000) as api:
        doc = export(api, api.create()["id"])
        api.error(api.client.post("/api/sessions/import", json=doc), 413, "BACKPROP_VIZ_MAX_IMPORT_BYTES")


def test_an_export_is_strict_json(api):
    """The export is parsed by strict JSON readers (allow_nan=False on both ends)."""
    sid = api.create({"layers": [2, 3, 1], "dtype": "float32"})["id"]
    api.step(sid, "pass", 3)
    text = api.client.get(f"/api/sessions/{sid}/export").text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-finite {c} in the export"))


def test_an_export_made_while_the_session_trains_on_imports(api, app, monkeypatch):
    """The export's document is serialized after the session's lock is let go, piece by piece; play (or a job)
    trains meanwhile. The document is the session at one moment all the same: as many loss values as passes."""
    from app import chunkedjson

    sid = api.create()["id"]
    api.step(sid, "pass", 5)
    session = app.state.registry.get(sid)
    dumps = chunkedjson.dumps

    def training_meanwhile(doc):
        session.train_chunk(7)  # what a playing session does between the lock and the serialization
        return dumps(doc)

    monkeypatch.setattr(chunkedjson, "dumps", training_meanwhile)
    doc = export(api, sid)
    losses = doc["trainer"]["metrics"]["batch_loss"]
    assert len(losses["x"]) == len(losses["y"]) == 5
    assert import_(api, doc)["counters"]["pass"] == 5


def test_an_older_export_with_loss_values_written_after_its_passes_still_imports(api):
    """Before the fix above, such an export held a few more loss values than passes (appended while it was
    serialized, after its x values): the first len(x) values are the passes' own, the rest are dropped."""
    sid = api.create()["id"]
    api.step(sid, "pass", 6)
    doc = export(api, sid)
    losses = doc["trainer"]["metrics"]["batch_loss"]
    kept = list(losses["y"])
    losses["y"] = [*kept, 0.5, 0.25, 0.125]  # three passes trained while the document went out
    state = import_(api, doc)
    assert state["counters"]["pass"] == 6
    history = api.client.get(f"/api/sessions/{state['id']}/metrics").json()
    assert history["per_pass"]["batch_loss"] == kept
    doc["trainer"]["metrics"]["batch_loss"]["y"] = kept[:-1]  # fewer values than passes: refused, as before
    response = api.client.post("/api/sessions/import", json=doc)
    assert response.status_code == 422 and "as many y as x" in response.json()["detail"]
