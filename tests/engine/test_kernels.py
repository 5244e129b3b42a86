"""The kernels under the seed's equations: each equals the plain textbook formula it stands for, and keeps the
layout and in-place promises its callers rely on."""

from __future__ import annotations

import numpy as np
import pytest

from engine.kernels import (
    all_finite,
    batch_average,
    batch_grad_b,
    batch_grad_W,
    hadamard,
    layer_weights,
    one,
    one_minus_square,
    one_over_one_plus,
    ones,
    row_max,
    row_sum,
    scalar,
    times_one_minus,
    transpose_times,
    weighted_sum,
)

RNG = np.random.default_rng(21)
M, N_IN, N_OUT = 7, 4, 3  # a batch of 7 samples through a layer of 3 neurons with 4 inputs
W = layer_weights(RNG.normal(size=(N_OUT, N_IN)))
B = RNG.normal(size=N_OUT)
A_PREV = RNG.normal(size=(M, N_IN))  # a^{l−1} of each sample, as rows
DELTA = RNG.normal(size=(M, N_OUT))  # δ^l of each sample, as rows
CLOSE = {"rtol": 1e-14, "atol": 1e-15}


def test_layer_weights_keep_the_seeds_shape_stored_column_major() -> None:
    plain = RNG.normal(size=(N_OUT, N_IN))
    stored = layer_weights(plain)
    assert stored.shape == (N_OUT, N_IN) and stored.flags.f_contiguous
    np.testing.assert_array_equal(stored, plain)
    assert layer_weights(stored) is stored  # already column-major: kept as it is


def test_weighted_sum_is_w_a_plus_b_for_every_sample() -> None:
    z = weighted_sum(W, A_PREV, B)
    for i in range(M):
        np.testing.assert_allclose(z[i], W @ A_PREV[i] + B, **CLOSE)  # z = W a + b


def test_transpose_times_is_w_transposed_times_delta_for_every_sample() -> None:
    g = transpose_times(W, DELTA)
    assert g.shape == (M, N_IN)
    for i in range(M):
        np.testing.assert_allclose(g[i], W.T @ DELTA[i], **CLOSE)  # Wᵀ δ


def test_batch_grad_w_is_the_mean_of_the_samples_outer_products_in_ws_layout() -> None:
    grad_W = batch_grad_W(DELTA, A_PREV)
    expected = sum(np.outer(DELTA[i], A_PREV[i]) for i in range(M)) / M  # (1/m) Σ_i δ_i a_iᵀ
    assert grad_W.shape == W.shape and grad_W.flags.f_contiguous
    np.testing.assert_allclose(grad_W, expected, **CLOSE)


def test_batch_grad_b_is_the_mean_of_the_samples_deltas() -> None:
    np.testing.assert_allclose(batch_grad_b(DELTA), sum(DELTA) / M, **CLOSE)  # (1/m) Σ_i δ_i


@pytest.mark.parametrize("m", [1, 2, 3, 8, 10, 64, 100])
def test_batch_average_divides_by_m_bitwise_in_place(m: int) -> None:
    total = RNG.normal(size=(5, 3)) * 1e3
    expected = total / m
    result = batch_average(total, m)
    assert result is total
    np.testing.assert_array_equal(result, expected)  # power of two or not: the very quotient


def test_hadamard_writes_the_product_into_the_fresh_array_when_the_dtypes_agree() -> None:
    g, fresh = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    expected = g * fresh
    kept_g = g.copy()
    result = hadamard(g, fresh)
    assert result is fresh
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(g, kept_g)
    narrow = RNG.normal(size=(3, 2)).astype(np.float32)
    mixed = hadamard(g, narrow)  # float64 × float32: a new float64 array, the float32 one left as it was
    assert mixed is not narrow and mixed.dtype == np.float64
    np.testing.assert_array_equal(mixed, g * narrow)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_elementwise_kernels_equal_their_formulas_bitwise(dtype: type) -> None:
    a = RNG.uniform(-2, 2, size=(4, 5)).astype(dtype)
    e = np.exp(a)
    expected = 1 / (1 + e)
    result = one_over_one_plus(e)
    assert result is e  # in the temporary it was given
    np.testing.assert_array_equal(result, expected)
    for kernel, formula in ((times_one_minus, a * (1 - a)), (one_minus_square, 1 - a * a)):
        out = kernel(a)
        assert out.dtype == dtype and out is not a
        np.testing.assert_array_equal(out, formula)


@pytest.mark.parametrize("shape", [(128, 10), (3, 40), (1, 2), (6,)], ids=["short-rows", "long-rows", "one", "1-D"])
def test_row_max_and_row_sum_equal_numpys_reductions(shape: tuple[int, ...]) -> None:
    z = np.random.default_rng(4).normal(size=shape) * 30
    np.testing.assert_array_equal(row_max(z), z.max(axis=-1, keepdims=True))  # a maximum is exact in any order
    np.testing.assert_allclose(row_sum(z), z.sum(axis=-1, keepdims=True), rtol=1e-12, atol=1e-12)


def test_row_max_and_row_sum_propagate_nan_like_numpy() -> None:
    z = np.random.default_rng(4).normal(size=(128, 10))
    z[3, 7] = np.nan
    assert np.isnan(row_max(z)[3, 0]) and np.isnan(row_sum(z)[3, 0])
    assert np.isfinite(np.delete(row_max(z), 3)).all()


def test_constants_come_in_the_arrays_dtype_read_only_and_made_once() -> None:
    x32 = np.zeros(2, np.float32)
    assert one(x32).dtype == np.float32 and one(x32) == 1.0
    assert one(x32) is one(np.ones(5, np.float32))
    eta = scalar(-0.1, np.dtype(np.float32))
    assert eta.dtype == np.float32 and eta == np.float32(-0.1) and not eta.flags.writeable
    assert scalar(3.0, np.dtype(np.int64)) == 3.0 and isinstance(scalar(3.0, np.dtype(np.int64)), float)
    vector = ones(4, np.dtype(np.float64))
    np.testing.assert_array_equal(vector, [1.0, 1.0, 1.0, 1.0])
    assert not vector.flags.writeable and ones(4, np.dtype(np.float64)) is vector


@pytest.mark.parametrize("as_one_vector", [True, False], ids=["as-one-vector", "per-array"])
def test_all_finite_finds_a_non_finite_entry_in_any_array(as_one_vector: bool) -> None:
    arrays = [layer_weights(RNG.normal(size=(3, 2))), RNG.normal(size=3)]
    assert all_finite(arrays, as_one_vector)
    for bad in (np.inf, -np.inf, np.nan):
        arrays[0][2, 1] = bad
        assert not all_finite(arrays, as_one_vector)
        arrays[0][2, 1] = 0.0
        arrays[1][0] = bad
        assert not all_finite(arrays, as_one_vector)
        arrays[1][0] = 0.0
    assert all_finite(arrays, as_one_vector)
