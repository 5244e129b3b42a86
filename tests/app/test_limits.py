"""Every limit from Settings, each with a small setting: sessions (cap, eviction, TTL), architecture, interactive
stepping, built-in samples, stored data sets. (Upload size/rows/columns: test_datasets_routes; jobs and job
passes: test_train_jobs; records per step: test_step_back.)"""

from __future__ import annotations

import time


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


def test_large_networks_train_but_do_not_step(api_with):
    with api_with(max_interactive_parameters=20) as api:
        sid = api.create(layers=[2, 8, 1])["id"]  # 33 parameters
        before = api.state(sid)
        for path in ("step", "back"):
            response = api.client.post(f"/api/sessions/{sid}/{path}", json={})
            error = api.error(response, 422, "BACKPROP_VIZ_MAX_INTERACTIVE_PARAMETERS", "/train")
            assert error["field"] == "unit"
        assert api.state(sid) == before
        assert api.wait(api.train(sid, passes=20))["done"] == 20


def test_builtin_samples_limit(api_with):
    with api_with(max_builtin_samples=100) as api:
        body = {"layers": [2, 1], "dataset": {"builtin": "xor", "samples": 101}}
        response = api.client.post("/api/sessions", json=body)
        error = api.error(response, 422, "BACKPROP_VIZ_MAX_BUILTIN_SAMPLES")
        assert error["field"] == "dataset.samples"
        api.create(layers=[2, 1], dataset={"builtin": "xor", "samples": 100})


def test_the_oldest_upload_is_dropped_at_the_data_set_cap(api_with):
    with api_with(max_datasets=2) as api:
        ids = [
            api.client.post("/api/datasets", files={"file": (f"{i}.csv", b"a,b\n1,2\n3,4\n5,6\n")}).json()["id"]
            for i in range(3)
        ]
        api.error(api.client.get(f"/api/datasets/{ids[0]}"), 404)
        assert [d["id"] for d in api.client.get("/api/datasets").json()["uploaded"]] == ids[1:]
