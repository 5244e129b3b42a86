"""Losses: J averaged over the batch, stable at saturation, the seed's closed forms of δ^L, and the pairings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine.activations import ACTIVATIONS, get_activation
from engine.losses import LOSSES, check_pairing, get_loss, output_delta
from engine.network import Network

SIGMOID = get_activation("sigmoid")
SOFTMAX = get_activation("softmax")
LINEAR = get_activation("linear")


def _value(loss: str, z: np.ndarray, y: np.ndarray, activation: str = "linear") -> float:
    act = get_activation(activation)
    return get_loss(loss).value(act.f(z), y, z, act)


def test_half_sse_is_half_the_summed_squares_averaged_over_samples() -> None:
    a = np.array([[0.2, 0.7], [1.0, -1.0]])
    y = np.array([[0.0, 1.0], [1.0, 1.0]])
    expected = np.mean([0.5 * (0.2**2 + 0.3**2), 0.5 * (0.0 + 4.0)])
    assert _value("half_sse", a, y) == pytest.approx(expected, rel=1e-15)


def test_mse_averages_over_outputs_and_samples() -> None:
    a = np.array([[0.2, 0.7], [1.0, -1.0]])
    y = np.array([[0.0, 1.0], [1.0, 1.0]])
    expected = np.mean([(0.2**2 + 0.3**2) / 2, (0.0 + 4.0) / 2])
    assert _value("mse", a, y) == pytest.approx(expected, rel=1e-15)


def test_bce_of_sigmoid_matches_the_seed_formula() -> None:
    z = np.array([[0.3], [-1.2], [2.0]])
    y = np.array([[1.0], [0.0], [1.0]])
    p = 1 / (1 + np.exp(-z))
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert _value("bce", z, y, "sigmoid") == pytest.approx(expected, rel=1e-14)


def test_bce_of_softmax_outputs_uses_the_probabilities() -> None:
    z = np.array([[0.3, -0.2], [1.0, 2.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p), axis=1))
    assert _value("bce", z, y, "softmax") == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_is_minus_log_of_the_true_class_probability() -> None:
    z = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]])
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean([np.log(p[0, 1]), np.log(p[1, 0])])
    assert _value("cross_entropy", z, y, "softmax") == pytest.approx(expected, rel=1e-14)


def test_loss_of_an_empty_batch_is_nan() -> None:
    empty = np.empty((0, 1))
    assert np.isnan(get_loss("half_sse").value(empty, empty, empty, LINEAR))


def test_bce_with_saturated_sigmoid_is_finite_and_exact_without_warnings() -> None:
    z = np.array([[1000.0], [-1000.0], [1000.0], [-1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wrong = _value("bce", z[:2], np.array([[0.0], [1.0]]), "sigmoid")
        right = _value("bce", z[2:], np.array([[1.0], [0.0]]), "sigmoid")
    # −log σ(−1000) = 1000 exactly in the stable form; the naive form would give log 0 = −inf.
    assert wrong == pytest.approx(1000.0, rel=1e-15)
    assert right == 0.0


def test_bce_with_saturated_softmax_is_finite() -> None:
    z = np.array([[1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = _value("bce", z, np.array([[0.0, 1.0]]), "softmax")
    assert np.isfinite(loss)
    assert loss > 30  # clipped at machine epsilon, -2 log(eps) ≈ 72


def test_cross_entropy_of_huge_logits_is_finite_and_exact() -> None:
    z = np.array([[1000.0, 0.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wrong = _value("cross_entropy", z, np.array([[0.0, 1.0, 0.0]]), "softmax")
        right = _value("cross_entropy", z, np.array([[1.0, 0.0, 0.0]]), "softmax")
    assert wrong == pytest.approx(1000.0, rel=1e-15)
    assert right == 0.0


@pytest.mark.parametrize("name", ["half_sse", "mse", "bce", "cross_entropy"])
def test_per_sample_gradient_matches_central_difference_in_a(name: str) -> None:
    loss = get_loss(name)
    rng = np.random.default_rng(2)
    a = rng.uniform(0.1, 0.9, size=(3, 4))
    y = np.eye(4)[[0, 2, 3]] if name == "cross_entropy" else rng.integers(0, 2, (3, 4)).astype(float)
    h = 1e-6
    numeric = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        row = index[0]
        plus, minus = a.copy(), a.copy()
        plus[index] += h
        minus[index] -= h
        if name == "cross_entropy":  # its per_sample reads z (log-softmax), so differentiate −Σ y log a directly
            j_plus = -np.sum(y[row] * np.log(plus[row]))
            j_minus = -np.sum(y[row] * np.log(minus[row]))
        else:
            j_plus = loss.per_sample(plus, y, plus, LINEAR)[row]
            j_minus = loss.per_sample(minus, y, minus, LINEAR)[row]
        numeric[index] = (j_plus - j_minus) / (2 * h)
    np.testing.assert_allclose(loss.grad(a, y), numeric, rtol=1e-7, atol=1e-9)


def test_sigmoid_bce_output_delta_is_a_minus_y() -> None:
    z = np.array([[0.4, -2.0], [3.0, 0.1]])
    a = SIGMOID.f(z)
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(output_delta(SIGMOID, get_loss("bce"), z, a, y), a - y)
    # and the closed form is what the chain rule gives
    chain = SIGMOID.backward(z, a, get_loss("bce").grad(a, y))
    np.testing.assert_allclose(chain, a - y, rtol=1e-12)


def test_softmax_cross_entropy_output_delta_is_a_minus_y() -> None:
    z = np.array([[0.4, -2.0, 1.0], [3.0, 0.1, 0.0]])
    a = SOFTMAX.f(z)
    y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(output_delta(SOFTMAX, get_loss("cross_entropy"), z, a, y), a - y)
    chain = SOFTMAX.backward(z, a, get_loss("cross_entropy").grad(a, y))
    np.testing.assert_allclose(chain, a - y, rtol=1e-12, atol=1e-15)


def test_sigmoid_half_sse_output_delta_is_the_seeds_formula() -> None:
    z = np.array([[0.4], [-2.0], [3.0]])
    yhat = SIGMOID.f(z)
    y = np.array([[0.01], [0.99], [0.5]])
    expected = (yhat - y) * yhat * (1 - yhat)  # δ2 = (ŷ − y) · ŷ(1 − ŷ)
    np.testing.assert_allclose(output_delta(SIGMOID, get_loss("half_sse"), z, yhat, y), expected, rtol=1e-15)


def test_linear_mse_output_delta_is_two_over_n_times_error() -> None:
    z = np.array([[1.0, 2.0, 3.0, 4.0]])
    y = np.zeros((1, 4))
    np.testing.assert_allclose(output_delta(LINEAR, get_loss("mse"), z, z, y), z / 2, rtol=1e-15)


def test_allowed_pairings_are_bce_after_sigmoid_or_softmax_and_cross_entropy_after_softmax() -> None:
    allowed = set()
    for act_name, act in ACTIVATIONS.items():
        for loss_name, loss in LOSSES.items():
            try:
                check_pairing(act, loss)
            except ValueError:
                continue
            allowed.add((act_name, loss_name))
    expected = {(act, loss) for act in ACTIVATIONS for loss in ("half_sse", "mse")}
    expected |= {("sigmoid", "bce"), ("softmax", "bce"), ("softmax", "cross_entropy")}
    assert allowed == expected


@pytest.mark.parametrize("output", ["tanh", "relu", "leaky_relu", "linear"])
def test_bce_after_a_non_probability_output_is_refused_with_the_fix(output: str) -> None:
    with pytest.raises(ValueError, match=rf"'bce' needs outputs in \(0, 1\) from a sigmoid or softmax.*'{output}'"):
        Network.build([2, 3, 1], ["tanh", output], "bce")
    with pytest.raises(ValueError, match="change the output activation or the loss"):
        Network.build([2, 3, 1], ["tanh", output], "bce")


@pytest.mark.parametrize("output", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
def test_cross_entropy_without_softmax_is_refused_naming_softmax(output: str) -> None:
    with pytest.raises(ValueError, match=r"'cross_entropy' needs .* from a softmax output layer.*change the output"):
        Network.build([2, 3, 2], ["tanh", output], "cross_entropy")


def test_softmax_in_a_hidden_layer_is_refused_naming_the_layer() -> None:
    with pytest.raises(ValueError, match="softmax is for the output layer only, but layer 2 uses it"):
        Network.build([2, 3, 3, 2], ["tanh", "softmax", "softmax"], "cross_entropy")


def test_unknown_loss_error_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'.*half_sse.*cross_entropy"):
        get_loss("hinge")


def test_bce_from_logits_equals_the_seeds_formula_where_that_is_finite() -> None:
    rng = np.random.default_rng(6)
    z = rng.normal(size=(50, 3)) * 4
    y = rng.uniform(size=(50, 3))  # soft targets too
    yhat = 1 / (1 + np.exp(-z))
    seed = -np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat), axis=1)
    np.testing.assert_allclose(get_loss("bce").per_sample(yhat, y, z, SIGMOID), seed, rtol=1e-12)
