"""The server-wide memory budget (app/budget.py): a session's cost derived from its parts, a network that could
never fit refused before it is built, and the registry making room by evicting idle sessions — or refusing with
a 429 that names BACKPROP_VIZ_MEMORY_BUDGET_BYTES when nothing can be evicted."""

from __future__ import annotations

import time

from app import budget

MiB = 1024 * 1024


def test_the_cost_is_derived_from_parameters_optimizer_history_and_checkpoint():
    cost = budget.session_cost(
        [2, 8, 8, 1],
        optimizer="adam",
        dtype="float64",
        batch_size=10,
        samples=400,
        test_samples=100,
        history_bytes=16 * MiB,
        metric_points=1000,
    )
    P = 2 * 8 + 8 + 8 * 8 + 8 + 8 * 1 + 1  # 105 weights and biases
    assert cost.state == P * 8 * 3  # weights, m and v
    assert cost.initial == cost.state and cost.gradients == P * 8 * 2
    assert cost.history == 16 * MiB
    assert cost.checkpoint == (3 * P * 3 + 500 * 3 + 2 * 1000) * budget.EXPORT_NUMBER_BYTES  # small data: lists
    assert cost.total == sum(vars(cost).values())
    sgd32 = budget.session_cost(
        [2, 8, 8, 1],
        optimizer="sgd",
        dtype="float32",
        batch_size=10,
        samples=400,
        test_samples=100,
        history_bytes=16 * MiB,
    )
    assert sgd32.state == P * 4  # no optimizer state, half the bytes per number
    big = budget.session_cost(
        [784, 2048, 1024, 10],
        optimizer="adam",
        dtype="float64",
        batch_size=10,
        samples=0,
        test_samples=0,
        history_bytes=16 * MiB,
    )
    assert big.history == 2 * big.state  # a keyframe larger than the cap: the newest stays, and its successor


def test_a_network_that_could_never_fit_is_refused_before_it_is_built(api_with):
    with api_with(memory_budget_bytes=64 * MiB) as api:
        started = time.perf_counter()
        response = api.client.post(
            "/api/sessions", json={"layers": [784, 1024, 1024, 10], "optimizer": {"name": "adam"}}
        )
        error = api.error(response, 422, "BACKPROP_VIZ_MEMORY_BUDGET_BYTES", "64.0 MiB")
        assert error["field"] == "layers"
        assert time.perf_counter() - started < 5  # nothing was built: no 1.9M weights initialized, no checkpoint
        assert api.client.get("/api/health").json()["sessions"] == 0


def test_idle_sessions_make_room_and_busy_ones_make_the_server_refuse(api_with, client=None):
    with api_with(memory_budget_bytes=64 * MiB, history_bytes=8 * MiB) as api:
        registry = api.client.app.state.registry
        first = api.create()["id"]
        cost = registry.get_quietly(first).cost().total
        fits = (64 * MiB) // cost
        ids = [first] + [api.create()["id"] for _ in range(fits - 1)]
        assert registry.memory_in_use() <= 64 * MiB
        newest = api.create()["id"]  # one more: the session idle longest (the first) makes room
        assert registry.get_quietly(first) is None and registry.get_quietly(newest) is not None
        assert registry.memory_in_use() <= 64 * MiB
        for sid in [*ids[1:], newest]:  # now nothing may be evicted: every session is playing
            registry.get_quietly(sid).playing = True
        refused = api.client.post("/api/sessions", json=api.xor)
        api.error(refused, 429, "BACKPROP_VIZ_MEMORY_BUDGET_BYTES")
        assert len(registry) == fits
        for sid in [*ids[1:], newest]:
            registry.get_quietly(sid).playing = False


def test_an_import_is_counted_against_the_budget_too(api_with):
    with api_with(memory_budget_bytes=64 * MiB, history_bytes=8 * MiB) as api:
        registry = api.client.app.state.registry
        sid = api.create()["id"]
        doc = api.client.get(f"/api/sessions/{sid}/export").json()
        while registry.memory_in_use() + registry.get_quietly(sid).cost().total <= 64 * MiB:
            api.create()
        for session in list(registry):
            session.playing = True
        api.error(api.client.post("/api/sessions/import", json=doc), 429, "BACKPROP_VIZ_MEMORY_BUDGET_BYTES")
        for session in list(registry):
            session.playing = False


def test_a_step_answer_stays_within_its_byte_budget(api_with):
    """A step of many passes answers at most BACKPROP_VIZ_MAX_STEP_ANSWER_BYTES of records (then only the last
    pass's), whatever the record count allows: at the 5,000-record cap a 20,000-weight network answered 1.45 GB."""
    body = {"layers": [2, 40, 40, 1], "dataset": {"builtin": "circles", "samples": 400}, "batch_size": 10}
    with api_with(max_step_answer_bytes=256 * 1024, max_step_records=5_000) as api:
        sid = api.create(body)["id"]
        response = api.client.post(f"/api/sessions/{sid}/step", json={"unit": "pass", "count": 40})
        assert response.status_code == 200
        answer = response.json()
        assert answer["passes"] == 40 and answer["records_omitted"] > 0
        assert len(answer["records"]) >= 8  # at least the last pass's
        assert len(response.content) <= 256 * 1024 + budget.pass_answer_bytes(body["layers"], 10)


BIG = {"layers": [2, 128, 128, 1], "dataset": {"builtin": "xor", "samples": 200}, "batch_size": 10}


def test_a_costlier_optimizer_and_a_rebuild_must_fit_the_budget_too(api_with):
    """A session grows in place when it switches to adam (two more arrays per parameter) or is rebuilt bigger:
    both are checked like a new session — refused with nothing changed when they cannot fit."""
    with api_with(memory_budget_bytes=1024 * MiB, history_bytes=1 * MiB) as api:
        registry = api.client.app.state.registry
        settings = api.client.app.state.settings
        sid = api.create(BIG)["id"]
        session = registry.get_quietly(sid)
        sgd, adam = session.cost().total, session.cost("adam").total
        assert adam > sgd
        settings.memory_budget_bytes = (sgd + adam) // 2  # sgd fits alone, adam never can
        refused = api.client.patch(f"/api/sessions/{sid}", json={"optimizer": {"name": "adam"}})
        api.error(refused, 422, "BACKPROP_VIZ_MEMORY_BUDGET_BYTES", "lighter optimizer")
        assert api.client.get(f"/api/sessions/{sid}").json()["config"]["optimizer"]["name"] == "sgd"

        settings.memory_budget_bytes = 1024 * MiB
        small = registry.get_quietly(api.create()["id"]).cost().total
        settings.memory_budget_bytes = adam + small - 1  # adam fits alone, not beside the small neighbour
        for other in registry:
            other.playing = other is not session  # the small neighbour cannot be evicted
        bigger = {**BIG, "optimizer": {"name": "adam"}}
        refused = api.client.post(f"/api/sessions/{sid}/rebuild", json=bigger)
        api.error(refused, 429, "BACKPROP_VIZ_MEMORY_BUDGET_BYTES")
        assert api.client.get(f"/api/sessions/{sid}").json()["config"]["optimizer"]["name"] == "sgd"
        for other in registry:
            other.playing = False
        rebuilt = api.client.post(f"/api/sessions/{sid}/rebuild", json=bigger)  # the idle neighbour makes room
        assert rebuilt.status_code == 200, rebuilt.text
        assert rebuilt.json()["config"]["optimizer"]["name"] == "adam" and len(registry) == 1
