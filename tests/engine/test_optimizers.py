"""Optimizers: sgd is the seed's W := W − η ∂J/∂W; momentum and adam follow their rules step by step."""

from __future__ import annotations

import numpy as np
import pytest

from engine.optimizers import SGD, Adam, Momentum, OptimizerConfig, make_optimizer

GRADS = [
    [np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([0.1, -0.3])],
    [np.array([[-0.2, 0.4], [1.5, -0.75]]), np.array([0.05, 0.2])],
    [np.array([[0.3, 0.3], [-2.0, 1e-3]]), np.array([-0.4, 0.0])],
]


def _params() -> list[np.ndarray]:
    return [np.array([[1.0, -0.5], [0.25, 2.0]]), np.array([0.0, 1.0])]


def _run(config: OptimizerConfig, steps: int = 3, reuse_grads: bool = False):
    params = _params()
    opt = make_optimizer(config, params)
    all_steps = []
    for grads in GRADS[:steps]:
        all_steps.append(opt.apply(params, [g.copy() for g in grads], reuse_grads=reuse_grads))
    return params, opt, all_steps


def test_sgd_step_is_exactly_minus_eta_times_gradient() -> None:
    params = _params()
    before = [p.copy() for p in params]
    opt = make_optimizer(OptimizerConfig("sgd", learning_rate=0.3), params)
    steps = opt.apply(params, [g.copy() for g in GRADS[0]])
    for step, grad, param, old in zip(steps, GRADS[0], params, before, strict=True):
        np.testing.assert_array_equal(step, -0.3 * grad)
        np.testing.assert_array_equal(param, old - 0.3 * grad)
    assert opt.t == 1


def test_momentum_matches_hand_computation_over_three_steps() -> None:
    eta, mu = 0.1, 0.8
    params, opt, steps = _run(OptimizerConfig("momentum", learning_rate=eta, momentum=mu))
    expected = _params()
    velocity = [np.zeros_like(p) for p in expected]
    for t, grads in enumerate(GRADS):
        for i, g in enumerate(grads):
            velocity[i] = mu * velocity[i] - eta * g  # v := μ v − η g
            expected[i] = expected[i] + velocity[i]  # θ := θ + v
            np.testing.assert_allclose(steps[t][i], velocity[i], rtol=1e-14)
    for got, want in zip(params, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14)
    for got, want in zip(opt.state["velocity"], velocity, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14)
    assert opt.t == 3


def test_adam_matches_hand_computation_over_three_steps() -> None:
    eta, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    params, opt, steps = _run(OptimizerConfig("adam", learning_rate=eta, beta1=b1, beta2=b2, epsilon=eps))
    expected = _params()
    m = [np.zeros_like(p) for p in expected]
    v = [np.zeros_like(p) for p in expected]
    for t, grads in enumerate(GRADS, start=1):
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            step = -eta * m_hat / (np.sqrt(v_hat) + eps)
            expected[i] = expected[i] + step
            np.testing.assert_allclose(steps[t - 1][i], step, rtol=1e-12)
    for got, want in zip(params, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    for got, want in zip(opt.state["m"] + opt.state["v"], m + v, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert opt.t == 3


def test_adam_first_step_is_eta_times_gradient_sign() -> None:
    _, _, steps = _run(OptimizerConfig("adam", learning_rate=0.05), steps=1)
    # m̂ = g and v̂ = g² after one step, so Δθ = −η g / (|g| + ε) ≈ −η sign(g)
    np.testing.assert_allclose(steps[0][0], -0.05 * np.sign(GRADS[0][0]), rtol=1e-6)
    np.testing.assert_allclose(steps[0][1][0], -0.05, rtol=1e-6)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_writing_steps_into_the_gradients_gives_bitwise_the_same_result(name: str) -> None:
    config = OptimizerConfig(name, learning_rate=0.05)
    params_a, opt_a, steps_a = _run(config, reuse_grads=False)
    params_b, opt_b, steps_b = _run(config, reuse_grads=True)
    flat_a = params_a + [s for steps in steps_a for s in steps]
    flat_b = params_b + [s for steps in steps_b for s in steps]
    for a, b in zip(flat_a, flat_b, strict=True):
        np.testing.assert_array_equal(a, b)
    for key in opt_a.state:
        for a, b in zip(opt_a.state[key], opt_b.state[key], strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_snapshot_and_restore_return_the_state_bitwise(name: str) -> None:
    params, opt, _ = _run(OptimizerConfig(name), steps=2)
    snap = opt.snapshot()
    saved = {key: [s.copy() for s in arrays] for key, arrays in opt.state.items()}
    opt.apply(params, [g.copy() for g in GRADS[2]])
    assert opt.t == 3
    assert not np.array_equal(opt.state[next(iter(opt.state))][0], saved[next(iter(saved))][0])
    opt.restore(snap)
    assert opt.t == 2
    for key in saved:
        for mine, want in zip(opt.state[key], saved[key], strict=True):
            np.testing.assert_array_equal(mine, want)


def test_snapshot_is_a_copy_not_a_view() -> None:
    params, opt, _ = _run(OptimizerConfig("momentum"), steps=1)
    t, state = opt.snapshot()
    before = state["velocity"][0].copy()
    opt.apply(params, [g.copy() for g in GRADS[1]])
    np.testing.assert_array_equal(state["velocity"][0], before)
    assert t == 1


@pytest.mark.parametrize(
    ("name", "cls", "keys"), [("sgd", SGD, []), ("momentum", Momentum, ["velocity"]), ("adam", Adam, ["m", "v"])]
)
def test_make_optimizer_starts_from_zero_state(name: str, cls: type, keys: list[str]) -> None:
    opt = make_optimizer(OptimizerConfig(name), _params())
    assert isinstance(opt, cls)
    assert opt.t == 0
    assert sorted(opt.state) == sorted(keys)
    assert all(not s.any() for arrays in opt.state.values() for s in arrays)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_float32_parameters_keep_float32_steps_and_state(name: str) -> None:
    params = [p.astype(np.float32) for p in _params()]
    opt = make_optimizer(OptimizerConfig(name, learning_rate=0.01), params)
    for grads in GRADS:
        steps = opt.apply(params, [g.astype(np.float32) for g in grads])
        assert all(s.dtype == np.float32 for s in steps)
    assert all(p.dtype == np.float32 for p in params)
    assert all(s.dtype == np.float32 for arrays in opt.state.values() for s in arrays)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "rmsprop"}, r"unknown optimizer 'rmsprop'; choose one of sgd, momentum, adam"),
        ({"learning_rate": 0.0}, r"learning_rate must be a finite number > 0, got 0.0"),
        ({"learning_rate": float("inf")}, r"learning_rate must be a finite number > 0, got inf"),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\), got 1.0"),
        ({"beta2": -0.1}, r"beta2 must be in \[0, 1\), got -0.1"),
        ({"epsilon": 0.0}, r"epsilon must be a finite number > 0, got 0.0"),
    ],
)
def test_config_refuses_bad_hyperparameters(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OptimizerConfig(**changes)


def test_with_changes_returns_a_new_validated_config() -> None:
    config = OptimizerConfig("adam", learning_rate=0.01)
    changed = config.with_changes(learning_rate=0.5)
    assert changed.learning_rate == 0.5 and config.learning_rate == 0.01
    assert changed.to_dict()["name"] == "adam"
    with pytest.raises(ValueError, match="learning_rate"):
        config.with_changes(learning_rate=-1.0)
