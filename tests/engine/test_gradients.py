"""Analytic gradients of backward() against finite differences of J = total_loss(forward(X), Y), in float64, for
every hidden activation × output activation × loss the engine allows, on networks of several depths.

The numeric derivative is the 6-point central stencil (error O(h⁶)) with h = 3e-3, so truncation is far below
1e-12 and one-ulp noise in J contributes at most ~1e-13. Relative error is |a − n| / max(|a| + |n|, 1e-6): entries
above 1e-6 must agree to a relative 1e-6; smaller ones (e.g. a dead ReLU's exact zero) to an absolute 1e-12.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from engine.activations import ACTIVATIONS
from engine.gradcheck import check_gradients
from engine.initializers import InitSpec
from engine.losses import LOSSES, check_pairing
from engine.network import Network
from engine.regularization import Regularization


def _allowed(output: str, loss: str) -> bool:
    try:
        check_pairing(ACTIVATIONS[output], LOSSES[loss])
    except ValueError:
        return False
    return True


HIDDEN = [name for name, act in ACTIVATIONS.items() if not act.output_only]
OUTPUT_LOSS = [(output, loss) for output in ACTIVATIONS for loss in LOSSES if _allowed(output, loss)]
DEPTHS = [[3, 4, 2], [2, 5, 4, 3], [4, 3, 3, 3, 2]]
H = 3e-3
STENCIL = ((3, 1.0), (2, -9.0), (1, 45.0), (-1, -45.0), (-2, 9.0), (-3, -1.0))  # Σ c·J(θ + s h) / 60h
KINKED = ("relu", "leaky_relu", "elu")  # f (or, for elu, f') has a kink at z = 0
KINK_MARGIN = 0.1  # |z| of their units stays this far from 0, beyond the stencil's reach
FLOOR = 1e-6
TOLERANCE = 1e-6


def numeric_gradient(J: Callable[[], float], param: np.ndarray) -> np.ndarray:
    """∂J/∂param by the 6-point stencil, one entry at a time; the entry is restored exactly afterwards."""
    grad = np.zeros_like(param)  # the same memory order as param, so flat[k] and out[k] are the same entry
    flat, out = param.reshape(-1, order="A"), grad.reshape(-1, order="A")  # views, W being column-major
    for k in range(flat.size):
        original = flat[k]
        total = 0.0
        for shift, coefficient in STENCIL:
            flat[k] = original + shift * H
            total += coefficient * J()
        flat[k] = original
        out[k] = total / (60 * H)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    return float((np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), FLOOR)).max())


def random_case(sizes: list[int], hidden: str, output: str, loss: str, regularization: Regularization, targets):
    """The first seed whose network keeps every pre-activation of a KINKED unit away from its kink and gives
    every layer a non-zero gradient; deterministic, asserted to exist within 200 seeds."""
    activations = [hidden] * (len(sizes) - 2) + [output]
    kinked = [i for i, name in enumerate(activations) if name in KINKED]
    for seed in range(200):
        rng = np.random.default_rng(seed)
        net = Network.build(
            sizes, activations, loss, InitSpec("uniform", seed=seed, low=-1, high=1), regularization=regularization
        )
        X = rng.normal(size=(5, sizes[0]))
        Y = targets(loss, rng, 5, sizes[-1])
        fwd = net.forward(X)
        if any(np.abs(fwd.z[i]).min() < KINK_MARGIN for i in kinked):
            continue
        if regularization.kind == "l1" and min(np.abs(W).min() for W in net.W) < KINK_MARGIN:
            continue
        bwd = net.backward(fwd, Y)
        if all(np.abs(g).max() > 1e-4 for g in bwd.grad_W):
            return net, X, Y, bwd
    raise AssertionError(f"no seed below 200 keeps {activations} away from kinks")


def assert_gradients_match(net: Network, X: np.ndarray, Y: np.ndarray, bwd) -> None:
    def J() -> float:
        return net.total_loss(net.forward(X), Y)

    errors = {}
    for i in range(net.L):
        errors[f"W{i + 1}"] = relative_error(bwd.grad_W[i], numeric_gradient(J, net.W[i]))
        errors[f"b{i + 1}"] = relative_error(bwd.grad_b[i], numeric_gradient(J, net.b[i]))
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, f"∂J/∂{worst} off by a relative {errors[worst]:.2e}; all: {errors}"


def test_every_allowed_output_loss_pairing_is_covered() -> None:
    # Every elementwise activation with half_sse and mse, sigmoid with bce, softmax with all four losses.
    elementwise = [name for name, act in ACTIVATIONS.items() if not act.output_only]
    assert len(OUTPUT_LOSS) == 2 * len(elementwise) + 1 + 4 == 21
    assert ("softmax", "cross_entropy") in OUTPUT_LOSS and ("sigmoid", "bce") in OUTPUT_LOSS


@pytest.mark.parametrize("regularization", [Regularization(), Regularization("l2", 0.1)], ids=["no-reg", "l2"])
@pytest.mark.parametrize("sizes", DEPTHS, ids=["-".join(map(str, s)) for s in DEPTHS])
@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS, ids=[f"{o}+{lo}" for o, lo in OUTPUT_LOSS])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_gradients_equal_finite_differences(
    hidden: str, output: str, loss: str, sizes: list[int], regularization: Regularization, make_targets
) -> None:
    net, X, Y, bwd = random_case(sizes, hidden, output, loss, regularization, make_targets)
    assert_gradients_match(net, X, Y, bwd)


@pytest.mark.parametrize(("output", "loss"), [("sigmoid", "bce"), ("softmax", "cross_entropy"), ("linear", "mse")])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_gradients_with_l1_equal_finite_differences(hidden: str, output: str, loss: str, make_targets) -> None:
    sizes = [3, 4, 3, 2] if output != "sigmoid" else [3, 4, 3, 1]
    net, X, Y, bwd = random_case(sizes, hidden, output, loss, Regularization("l1", 0.05), make_targets)
    assert_gradients_match(net, X, Y, bwd)


def test_a_broken_gradient_is_caught_by_this_check(make_targets) -> None:
    """The comparison is not vacuous: perturbing one analytic entry by 1e-4 relative fails it."""
    net, X, Y, bwd = random_case([3, 4, 2], "tanh", "sigmoid", "bce", Regularization(), make_targets)
    bwd.grad_W[0][1, 2] *= 1 + 1e-4
    with pytest.raises(AssertionError, match="∂J/∂W1"):
        assert_gradients_match(net, X, Y, bwd)


def test_engine_gradcheck_reports_agreement_and_leaves_the_network_unchanged(make_targets) -> None:
    l2 = Regularization("l2", 0.1)
    net, X, Y, _ = random_case([2, 5, 4, 3], "tanh", "softmax", "cross_entropy", l2, make_targets)
    before = net.copy_params()
    report = check_gradients(net, X, Y)
    assert report.max_relative_error < 1e-6
    assert [layer.layer for layer in report.layers] == [1, 2, 3]
    for W, W0 in zip(net.W + net.b, before[0] + before[1], strict=True):
        np.testing.assert_array_equal(W, W0)
