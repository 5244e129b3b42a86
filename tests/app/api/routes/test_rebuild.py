"""POST /api/sessions/{id}/rebuild: the same session (id, lesson progress) with a new configuration and a fresh
history; refused like a new session (422 naming the field) or while a job runs (409), leaving it unchanged."""

from __future__ import annotations


def test_a_rebuild_keeps_the_id_and_starts_the_new_network_at_pass_zero(api):
    sid = api.create()["id"]
    api.step(sid, "pass", 5)
    response = api.client.post(f"/api/sessions/{sid}/rebuild", json={**api.xor, "layers": [2, 3, 3, 1]})
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["id"] == sid and state["config"]["layers"] == [2, 3, 3, 1]
    assert state["counters"]["pass"] == 0 and state["metrics"]["batch_loss"] is None
    assert [len(W) for W in state["weights"]] == [3, 3, 1]
    assert api.client.get(f"/api/sessions/{sid}/metrics").json()["per_pass"]["pass"] == []
    assert api.client.post(f"/api/sessions/{sid}/back", json={"unit": "pass"}).json()["moved"] == 0
    assert api.step(sid, "pass", 1)["state"]["counters"]["pass"] == 1


def test_a_refused_rebuild_leaves_the_session_as_it_was(api):
    sid = api.create()["id"]
    api.step(sid, "pass", 2)
    before = api.state(sid)
    bad = api.client.post(f"/api/sessions/{sid}/rebuild", json={**api.xor, "layers": [3, 2, 1]})
    assert api.error(bad, 422, "2 features")["field"] == "layers"
    invalid = api.client.post(f"/api/sessions/{sid}/rebuild", json={"layers": [2, "x", 1]})
    assert api.error(invalid, 422)["field"] == "layers[1]"
    assert api.state(sid) == before


def test_no_rebuild_while_a_job_runs(api):
    sid = api.create()["id"]
    location = api.train(sid, passes=5_000_000)
    response = api.client.post(f"/api/sessions/{sid}/rebuild", json=api.xor)
    api.error(response, 409, "training job", "wait for it or cancel it")
    api.client.delete(location)
    assert api.wait(location)["status"] == "cancelled"
    assert api.client.post(f"/api/sessions/{sid}/rebuild", json=api.xor).status_code == 200


def test_in_a_lesson_a_rebuild_keeps_the_progress_and_the_lessons_sample(api):
    started = api.client.post("/api/sessions", json={"lesson": "02-xor-hidden-layer"}).json()
    sid = started["id"]
    api.client.post(f"/api/sessions/{sid}/lesson/goto", json={"step": 4})
    progress = api.state(sid)["lesson"]
    config = {**started["config"], "layers": [2, 2, 1], "activations": ["tanh", "sigmoid"], "focus": 3}
    state = api.client.post(f"/api/sessions/{sid}/rebuild", json=config).json()
    assert state["config"]["layers"] == [2, 2, 1] and state["lesson"] == progress
    assert state["focus"] == 0  # the lesson's sample, whatever the body says


def test_rebuilding_an_unknown_session_is_a_404(api):
    assert api.error(api.client.post("/api/sessions/nope/rebuild", json=api.xor), 404)["field"] == "session_id"
