"""Background training over REST (POST .../train, GET and DELETE .../jobs/{id}): same result as stepping,
progress, cancel, limits, divergence, and no stalls of other sessions or the health check while one trains."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest

WRITE = {"X-Backprop-Viz-Request": "1"}  # a POST without a JSON body needs it (no cross-site writes)

LONG = 10_000_000  # passes: a job that runs until it is cancelled


def wait_until(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)
    return value


def test_job_trains_the_same_weights_as_stepping(api):
    trained = api.create()["id"]
    stepped = api.create()["id"]
    location = api.train(trained, passes=200)
    assert location.startswith(f"/api/sessions/{trained}/jobs/")
    job = api.wait(location)
    assert job["status"] == "done" and job["done"] == job["total"] == 200
    assert job["eta_seconds"] is None

    api.step(stepped, "pass", 200)
    a, b = api.state(trained), api.state(stepped)
    assert a["weights"] == b["weights"] and a["biases"] == b["biases"]
    assert a["counters"] == b["counters"]
    metrics = api.client.get(f"/api/sessions/{trained}/metrics").json()
    assert metrics == api.client.get(f"/api/sessions/{stepped}/metrics").json()
    assert job["loss"] == metrics["per_pass"]["batch_loss"][-1]  # the job's loss is the last batch loss
    assert a["job"]["id"] == location.rsplit("/", 1)[1] and a["job"]["status"] == "done"


def test_epochs_count_whole_epochs_in_passes(api):
    sid = api.create()["id"]  # 32 training rows, batch 8
    response = api.client.post(f"/api/sessions/{sid}/train", json={"epochs": 3})
    assert response.status_code == 202
    assert response.json()["total"] == 12
    job = api.wait(response.headers["location"])
    assert job["done"] == 12
    state = api.state(sid)
    assert state["counters"]["epoch"] == 3 and state["counters"]["pass"] == 12


def test_cancel_stops_the_job_and_keeps_its_passes(api):
    sid = api.create()["id"]
    location = api.train(sid, passes=LONG)
    running = api.client.get(location).json()
    assert running["status"] == "running" and running["total"] == LONG
    assert api.client.get("/api/health").json()["jobs"] == 1
    wait_until(lambda: api.client.get(location).json()["done"] > 0, what="the first chunk")

    response = api.client.delete(location)
    assert response.status_code == 200
    job = response.json()
    assert job["status"] == "cancelled" and 0 < job["done"] < LONG
    state = api.state(sid)
    assert state["counters"]["pass"] == job["done"]
    assert state["job"]["status"] == "cancelled"
    assert api.client.get("/api/health").json()["jobs"] == 0
    # cancelling again answers the job as it is; the session takes a new job
    assert api.client.delete(location).json() == job
    assert api.wait(api.train(sid, passes=4))["status"] == "done"


def test_unknown_job_is_404(api):
    sid = api.create()["id"]
    api.error(api.client.get(f"/api/sessions/{sid}/jobs/nope"), 404, "no job")
    api.error(api.client.delete(f"/api/sessions/{sid}/jobs/nope"), 404, "no job")


def test_commands_that_change_weights_wait_for_the_job(api):
    sid = api.create()["id"]
    location = api.train(sid, passes=LONG)
    client = api.client
    for response in (
        client.post(f"/api/sessions/{sid}/step", json={}),
        client.post(f"/api/sessions/{sid}/back", json={}),
        client.post(f"/api/sessions/{sid}/reset", headers=WRITE),
        client.post(f"/api/sessions/{sid}/train", json={"passes": 5}),
    ):
        api.error(response, 409, "cancel")
    # reading and predicting go on while it trains
    assert client.get(f"/api/sessions/{sid}/metrics").status_code == 200
    assert client.post(f"/api/sessions/{sid}/predict", json={"inputs": [[0.5, 0.5]]}).status_code == 200
    assert client.delete(location).json()["status"] == "cancelled"


def test_concurrent_jobs_are_capped(api_with):
    with api_with(max_concurrent_jobs=1) as api:
        a, b = api.create()["id"], api.create()["id"]
        location = api.train(a, passes=LONG)
        error = api.error(api.client.post(f"/api/sessions/{b}/train", json={"passes": 5}), 429)
        assert "BACKPROP_VIZ_MAX_CONCURRENT_JOBS" in error["detail"]
        api.client.delete(location)
        assert api.wait(api.train(b, passes=5))["status"] == "done"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the engine's overflow, which is the point
def test_divergence_fails_the_job_naming_the_pass(api):
    sid = api.create(api.diverging)["id"]
    job = api.wait(api.train(sid, passes=1000))
    assert job["status"] == "failed"
    refused = job["done"]
    assert f"pass {refused + 1} diverged" in job["message"]
    assert "learning rate" in job["message"]
    assert api.state(sid)["counters"]["pass"] == refused


def test_train_request_refusals(api_with):
    with api_with(max_job_passes=100) as api:
        sid = api.create()["id"]
        client = api.client
        for body, field in (
            ({}, "body"),
            ({"epochs": 1, "passes": 1}, "body"),
            ({"passes": 0}, "passes"),
            ({"passes": 101}, "passes"),
            ({"epochs": 26}, "epochs"),  # 26 epochs × 4 passes > 100
        ):
            error = api.error(client.post(f"/api/sessions/{sid}/train", json=body), 422)
            assert error["field"] == field, (body, error)
        assert api.state(sid)["job"] is None
        assert api.client.get("/api/health").json()["jobs"] == 0


def test_one_session_training_never_stalls_another_or_health(api):
    # a bigger network so that each chunk does real work
    trainer = api.create(layers=[2, 64, 64, 1], batch_size=32, dataset={"builtin": "xor", "samples": 400})["id"]
    stepper = api.create()["id"]
    location = api.train(trainer, passes=LONG)
    wait_until(lambda: api.client.get(location).json()["done"] > 0, what="the first chunk")

    with ThreadPoolExecutor(max_workers=1) as pool:
        for _ in range(20):
            step = pool.submit(api.client.post, f"/api/sessions/{stepper}/step", json={"unit": "pass"})
            assert step.result(timeout=5).status_code == 200
            health = pool.submit(api.client.get, "/api/health")
            assert health.result(timeout=5).json()["jobs"] == 1
    assert api.state(stepper)["counters"]["pass"] == 20
    assert api.client.get(location).json()["status"] == "running"  # all of that happened while A trained
    assert api.client.delete(location).json()["status"] == "cancelled"


def test_progress_listeners_hear_at_most_ten_a_second_and_the_end(app, api):
    calls: list[tuple[float, str, int]] = []
    lock = threading.Lock()

    def listener(session, job):
        with lock:
            calls.append((time.monotonic(), job.status, job.done))

    app.state.jobs.on_progress.append(listener)
    sid = api.create()["id"]
    location = api.train(sid, passes=LONG)
    wait_until(lambda: len(calls) >= 3, what="three progress calls")
    final = api.client.delete(location).json()
    with lock:
        assert calls[-1][1] == "cancelled" and calls[-1][2] == final["done"]
        progress = [t for t, status, _ in calls if status == "running"]
    gaps = [b - a for a, b in pairwise(progress)]
    assert gaps and min(gaps) >= 0.099
    assert all(done <= final["done"] for _, _, done in calls)
