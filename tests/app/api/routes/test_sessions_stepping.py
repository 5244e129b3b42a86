"""Stepping forward and back over REST: the records carry the seed's numbers, back is bitwise exact, a
diverging pass is refused with the state before it, and steps too big or too long to answer are refused."""

from __future__ import annotations

import numpy as np
import pytest

WRITE = {"X-Backprop-Viz-Request": "1"}  # a POST without a JSON body needs it (no cross-site writes)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def test_phase_records_carry_the_seed_equations_numbers(api):
    sid = api.create(api.seed)["id"]
    x, y = np.array([0.05, 0.1]), np.array([0.01])
    W1, b1 = np.array([[0.15, 0.2], [0.25, 0.3]]), np.array([0.35, 0.35])
    W2, b2 = np.array([[0.4, 0.45]]), np.array([0.6])

    records = api.step(sid, "phase", 6)["records"]
    assert [r["label"] for r in records] == ["F1", "F2", "J", "B2", "B1", "U"]
    f1, f2, loss, b2_rec, b1_rec, update = records

    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    a2 = sigmoid(z2)
    np.testing.assert_allclose(f1["z"], z1, rtol=1e-15)
    np.testing.assert_allclose(f1["a"], a1, rtol=1e-15)
    np.testing.assert_allclose(f2["z"], z2, rtol=1e-15)
    np.testing.assert_allclose(loss["loss"], 0.5 * np.sum((a2 - y) ** 2), rtol=1e-14)

    delta2 = (a2 - y) * a2 * (1 - a2)  # δ^L = (a^L − y) ⊙ f'(z^L)
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)  # δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ f'(z^l)
    np.testing.assert_allclose(b2_rec["delta"], delta2, rtol=1e-14)
    np.testing.assert_allclose(b2_rec["grad_W"], np.outer(delta2, a1), rtol=1e-14)
    np.testing.assert_allclose(b1_rec["delta"], delta1, rtol=1e-14)
    np.testing.assert_allclose(b1_rec["grad_W"], np.outer(delta1, x), rtol=1e-13)

    np.testing.assert_allclose(update["W"][1], W2 - 0.5 * np.outer(delta2, a1), rtol=1e-15)
    np.testing.assert_allclose(update["W"][0], W1 - 0.5 * np.outer(delta1, x), rtol=1e-15)


def test_update_record_equals_the_state_weights(api):
    sid = api.create()["id"]
    for _ in range(3):
        step = api.step(sid, "pass", 1)
        update = step["records"][-1]
        state = api.state(sid)
        assert update["phase"] == "update"
        assert update["W"] == state["weights"] == step["state"]["weights"]
        assert update["b"] == state["biases"]
        assert state["counters"]["pass"] == update["pass"] + 1


def test_weights_change_only_at_the_update(api):
    created = api.create()
    sid = created["id"]
    step = api.step(sid, "phase", 5)  # F1 F2 J B2 B1: no update yet
    assert step["state"]["weights"] == created["weights"]
    assert step["state"]["counters"]["label"] == "U" and step["state"]["counters"]["position"] == 5
    assert step["passes"] == 0


def test_back_restores_weights_bitwise(api):
    sid = api.create(optimizer={"name": "adam", "learning_rate": 0.05})["id"]
    api.step(sid, "pass", 3)
    at_three = api.state(sid)
    metrics_at_three = api.client.get(f"/api/sessions/{sid}/metrics").json()
    api.step(sid, "pass", 5)
    response = api.client.post(f"/api/sessions/{sid}/back", json={"unit": "pass", "count": 5})
    assert response.status_code == 200
    back = response.json()
    assert back["moved"] == 5 and back["limit"] is None and back["visible"] == []
    assert back["state"] == at_three
    assert api.client.get(f"/api/sessions/{sid}/metrics").json() == metrics_at_three
    # and going forward again retraces the same passes exactly
    again = api.step(sid, "pass", 5)["state"]
    api.client.post(f"/api/sessions/{sid}/back", json={"unit": "pass", "count": 5})
    assert api.step(sid, "pass", 5)["state"]["weights"] == again["weights"]


def test_back_one_phase_across_a_pass_boundary_reopens_the_pass(api):
    sid = api.create()["id"]
    before = api.state(sid)
    records = api.step(sid, "pass", 1)["records"]
    back = api.client.post(f"/api/sessions/{sid}/back", json={"unit": "phase", "count": 1}).json()
    assert back["moved"] == 1
    assert back["visible"] == records[:-1]  # F1 … B1 shown again, the update undone
    assert back["state"]["weights"] == before["weights"]
    assert back["state"]["counters"]["label"] == "U"
    step = api.step(sid, "phase", 1)
    assert step["records"] == records[-1:]


def test_back_at_the_start_says_why_it_stopped(api):
    sid = api.create()["id"]
    before = api.state(sid)
    back = api.client.post(f"/api/sessions/{sid}/back", json={"unit": "pass", "count": 3}).json()
    assert back["moved"] == 0
    assert "start" in back["limit"]
    assert back["state"] == before


def test_step_without_a_body_is_one_phase(api):
    sid = api.create()["id"]
    response = api.client.post(f"/api/sessions/{sid}/step", headers=WRITE)
    assert response.status_code == 200
    assert [r["label"] for r in response.json()["records"]] == ["F1"]


def test_epoch_step_keeps_only_the_last_pass_records_over_the_limit(api_with):
    with api_with(max_step_records=20) as api:
        sid = api.create()["id"]  # 32 training rows, batch 8: 4 passes × 6 phases per epoch
        step = api.step(sid, "epoch", 2)
        assert step["passes"] == 8
        assert [r["label"] for r in step["records"]] == ["F1", "F2", "J", "B2", "B1", "U"]
        assert step["records_omitted"] == 8 * 6 - 6
        assert step["records"][-1]["pass"] == 7
        assert step["state"]["counters"]["epoch"] == 2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the engine's overflow, which is the point
def test_diverging_pass_is_refused_with_the_state_before_it(api):
    sid = api.create(api.diverging)["id"]
    step = api.step(sid, "pass", 1000)
    diverged = step["diverged"]
    assert diverged is not None
    refused = diverged["pass"]
    assert step["passes"] == refused
    assert f"pass {refused + 1} diverged" in diverged["message"]
    assert "learning rate" in diverged["hint"]
    state = api.state(sid)
    assert state == step["state"]
    assert state["counters"]["pass"] == refused and state["counters"]["position"] == 0
    assert all(np.isfinite(w) for W in state["weights"] for row in W for w in row)
    # stepping again refuses the same pass and changes nothing
    again = api.step(sid, "phase", 10)
    assert again["diverged"]["pass"] == refused
    assert [r["label"] for r in again["records"]] == ["F1"]  # refused at J, rewound to the pass's start
    assert api.state(sid) == state


def test_step_and_back_refusals_leave_the_session_unchanged(api):
    sid = api.create()["id"]
    api.step(sid, "phase", 2)
    before = api.state(sid)
    client = api.client
    for path, body, field in (
        ("step", {"unit": "week"}, "unit"),
        ("step", {"count": 0}, "count"),
        ("step", {"count": 10**9}, "count"),
        ("step", {"unit": "pass", "extra": True}, "extra"),
        ("back", {"unit": "epoch"}, "unit"),
        ("back", {"count": -1}, "count"),
        ("step", [1, 2], "body"),
    ):
        error = api.error(client.post(f"/api/sessions/{sid}/{path}", json=body), 422)
        assert error["field"] == field, (body, error)
    assert api.state(sid) == before


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
