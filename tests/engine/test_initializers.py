"""Initializers: deterministic per seed, the schemes' ranges and spreads, and explicit weights used exactly."""

from __future__ import annotations

import numpy as np
import pytest

from engine.initializers import InitSpec, init_params
from engine.network import Network


@pytest.mark.parametrize("scheme", ["xavier", "he", "uniform", "zeros"])
def test_same_seed_gives_the_same_parameters(scheme: str) -> None:
    first = init_params([3, 5, 2], InitSpec(scheme, seed=4), np.float64)
    second = init_params([3, 5, 2], InitSpec(scheme, seed=4), np.float64)
    for a, b in zip(first[0] + first[1], second[0] + second[1], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("scheme", ["xavier", "he", "uniform"])
def test_different_seeds_give_different_weights(scheme: str) -> None:
    Ws_a, _ = init_params([3, 5, 2], InitSpec(scheme, seed=1), np.float64)
    Ws_b, _ = init_params([3, 5, 2], InitSpec(scheme, seed=2), np.float64)
    assert not np.array_equal(Ws_a[0], Ws_b[0])


def test_shapes_follow_the_seed_orientation_n_out_by_n_in() -> None:
    Ws, bs = init_params([3, 5, 2], InitSpec(), np.float64)
    assert [W.shape for W in Ws] == [(5, 3), (2, 5)]
    assert [b.shape for b in bs] == [(5,), (2,)]


def test_xavier_weights_lie_within_the_glorot_limit_and_fill_it() -> None:
    n_in, n_out = 300, 200
    (W,), (b,) = init_params([n_in, n_out], InitSpec("xavier", seed=0), np.float64)
    limit = np.sqrt(6.0 / (n_in + n_out))
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit
    assert W.var() == pytest.approx(limit**2 / 3, rel=0.05)  # variance of U(−limit, limit)
    assert abs(W.mean()) < 0.01
    np.testing.assert_array_equal(b, np.zeros(n_out))


def test_he_weights_have_std_sqrt_two_over_fan_in() -> None:
    n_in, n_out = 400, 300
    (W,), (b,) = init_params([n_in, n_out], InitSpec("he", seed=0), np.float64)
    assert W.std() == pytest.approx(np.sqrt(2.0 / n_in), rel=0.03)
    assert abs(W.mean()) < 0.02 * np.sqrt(2.0 / n_in)  # the mean of 120 000 draws is within 0.3 % of a std
    np.testing.assert_array_equal(b, np.zeros(n_out))


def test_zeros_scheme_gives_all_zero_parameters() -> None:
    Ws, bs = init_params([2, 4, 1], InitSpec("zeros"), np.float64)
    assert all(not W.any() for W in Ws) and all(not b.any() for b in bs)


def test_uniform_weights_and_biases_lie_in_low_high() -> None:
    Ws, bs = init_params([50, 40, 30], InitSpec("uniform", seed=5, low=-0.2, high=0.7), np.float64)
    values = np.concatenate([p.ravel() for p in Ws + bs])
    assert values.min() >= -0.2 and values.max() < 0.7
    assert values.min() < -0.19 and values.max() > 0.69
    assert bs[0].std() > 0  # biases are drawn too, not zero


def test_uniform_with_low_not_below_high_is_refused() -> None:
    with pytest.raises(ValueError, match=r"uniform init needs low < high, got low=1.0, high=1.0"):
        init_params([2, 1], InitSpec("uniform", low=1.0, high=1.0), np.float64)


def test_unknown_scheme_is_refused_listing_the_schemes() -> None:
    with pytest.raises(ValueError, match=r"unknown init scheme 'glorot'; choose one of xavier, he, uniform, zeros"):
        init_params([2, 1], InitSpec("glorot"), np.float64)


@pytest.mark.parametrize("scheme", ["xavier", "he", "uniform", "zeros"])
def test_parameters_have_the_requested_dtype(scheme: str) -> None:
    Ws, bs = init_params([2, 3, 1], InitSpec(scheme), np.float32)
    assert all(p.dtype == np.float32 for p in Ws + bs)


def test_explicit_weights_and_biases_are_used_exactly() -> None:
    weights = [[[0.15, 0.2], [0.25, 0.3]], [[0.4, 0.45]]]
    biases = [[0.35, 0.35], [0.6]]
    net = Network.build([2, 2, 1], "sigmoid", init=InitSpec(weights=weights, biases=biases))
    np.testing.assert_array_equal(net.W[0], np.array(weights[0]))
    np.testing.assert_array_equal(net.W[1], np.array(weights[1]))
    np.testing.assert_array_equal(net.b[0], [0.35, 0.35])
    np.testing.assert_array_equal(net.b[1], [0.6])


def test_explicit_weights_without_biases_get_zero_biases() -> None:
    Ws, bs = init_params([2, 1], InitSpec(weights=[[[1.0, -2.0]]]), np.float32)
    np.testing.assert_array_equal(Ws[0], np.array([[1.0, -2.0]], dtype=np.float32))
    assert Ws[0].dtype == np.float32
    np.testing.assert_array_equal(bs[0], np.zeros(1, dtype=np.float32))


def test_explicit_weights_of_the_wrong_shape_name_the_layer_and_expected_shape() -> None:
    weights = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6, 0.7]]]
    with pytest.raises(ValueError, match=r"weights of layer 2 have shape 1 × 3, expected 1 × 2 \(1 rows"):
        init_params([2, 2, 1], InitSpec(weights=weights), np.float64)


def test_explicit_biases_of_the_wrong_shape_name_the_layer() -> None:
    weights = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]]
    with pytest.raises(ValueError, match="biases of layer 1 have shape 3, expected 2 numbers"):
        init_params([2, 2, 1], InitSpec(weights=weights, biases=[[0.0, 0.0, 0.0], [0.0]]), np.float64)


def test_explicit_weights_with_a_missing_layer_are_refused() -> None:
    with pytest.raises(ValueError, match="'weights' has 1 matrices but the network has 2 layers"):
        init_params([2, 2, 1], InitSpec(weights=[[[0.1, 0.2], [0.3, 0.4]]]), np.float64)


def test_explicit_ragged_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="weights of layer 1 must be a rectangular list of numbers"):
        init_params([2, 2], InitSpec(weights=[[[0.1, 0.2], [0.3]]]), np.float64)


def test_explicit_non_finite_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="weights and biases of layer 1 must be finite numbers"):
        init_params([2, 1], InitSpec(weights=[[[0.1, float("nan")]]]), np.float64)


def test_biases_alone_without_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="explicit init needs 'weights'"):
        init_params([2, 1], InitSpec(biases=[[0.0]]), np.float64)


def test_explicit_weights_beyond_float32_are_refused_not_turned_into_inf() -> None:
    weights = [[[1e300, 0.0]], [[1.0]]]
    assert np.isfinite(init_params([2, 1, 1], InitSpec(weights=weights), np.float64)[0][0]).all()
    with pytest.raises(ValueError, match=r"weights and biases of layer 1 exceed what float32 can hold"):
        init_params([2, 1, 1], InitSpec(weights=weights), np.float32)


@pytest.mark.parametrize(
    ("low", "high", "dtype"), [(-1e308, 1e308, np.float64), (0.0, 1e39, np.float32)], ids=["span-overflows", "f32"]
)
def test_uniform_bounds_the_dtype_cannot_hold_are_refused(low: float, high: float, dtype: type) -> None:
    with pytest.raises(ValueError, match=r"uniform init bounds .* are beyond what"):
        init_params([2, 3, 1], InitSpec("uniform", low=low, high=high), dtype)
