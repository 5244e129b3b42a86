"""The numerical kernels under the seed's equations: each function computes one textbook expression, named for
it, as its plain NumPy spelling would (up to the order BLAS sums in), with less work.

engine/network.py, activations.py, losses.py and optimizers.py call these, so their lines read as the seed;
the tricks live here, one sentence each. How much each one saves is measured by `bench/engine_bench.py`
(`--only kernels`), not claimed here.

Layout: W^l keeps the seed's shape (n_l, n_{l−1}) and is stored column-major (`layer_weights`), so (W^l)ᵀ,
the matrix a batch of rows is multiplied by, is row-major for BLAS; ∂J/∂W^l is formed as (Aᵀ Δ)ᵀ, which comes
out column-major too. In-place edits of W go through indexing (`W[j, k] = v`) or `W.reshape(-1, order="A")`,
a view in either order. Products are `np.dot`: for 2-D arrays the same BLAS product as `@`, called more
directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

Array = np.ndarray

# Parameters up to which `all_finite` checks a network's arrays as one concatenated vector.
CONCATENATED_CHECK_MAX = 65_536

_ONES: dict[np.dtype, Array | float] = {}


# -- constants in an array's dtype -------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def scalar(value: float, dtype: np.dtype) -> Array | float:
    """`value` as a read-only 0-d array of `dtype` if it is a float dtype, else `value` itself.

    NumPy converts a Python float to the array's dtype anew in every ufunc call; a 0-d array of that dtype holds
    the very number the conversion gives, so results are bit for bit the same. Other dtypes get the Python
    number back, to keep NumPy's own promotion for them.
    """
    if np.dtype(dtype).kind != "f":
        return value
    out = np.array(value, dtype=dtype)
    out.flags.writeable = False
    return out


def one(array: Array) -> Array | float:
    """1 in `array`'s dtype (`scalar(1.0, …)`, the most used constant, looked up without the cache's hashing)."""
    try:
        return _ONES[array.dtype]
    except KeyError:
        return _ONES.setdefault(array.dtype, scalar(1.0, array.dtype))


@lru_cache(maxsize=64)
def ones(n: int, dtype: np.dtype) -> Array:
    """The read-only vector 1 of length n in `dtype`: 1ᵀΔ sums the rows of Δ, and Δ1 its columns, as one BLAS
    product instead of NumPy's reduction one short row or column at a time."""
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector


# -- the layer's products ----------------------------------------------------------------------------------------
def layer_weights(W: Array) -> Array:
    """W^l as the network stores it: column-major, so (W^l)ᵀ is row-major (an array already so is kept as is)."""
    return np.asfortranarray(W)


def weighted_sum(W: Array, a_prev: Array, b: Array) -> Array:
    """z = W a + b for every sample (row) of a batch: Z = A Wᵀ + b, a new array."""
    z = np.dot(a_prev, W.T)
    z += b
    return z


def transpose_times(W: Array, delta: Array) -> Array:
    """Wᵀ δ for every sample (row) of a batch: Δ W, a new array (the caller may overwrite it)."""
    return np.dot(delta, W)


def batch_average(total: Array, m: int) -> Array:
    """(1/m) · total, computed in `total` itself and returned: the batch average of a sum over m samples.

    For m a power of two, 1/m is exact and multiplying by it gives bitwise the quotient a division would; m = 1
    leaves `total` as it is.
    """
    if m & (m - 1):
        total /= m
    elif m > 1:
        total *= 1.0 / m
    return total


def batch_grad_W(delta: Array, a_prev: Array) -> Array:
    """∂J/∂W = (1/m) Σ_i δ_i a_iᵀ = (1/m) Δᵀ A, formed as (Aᵀ Δ)ᵀ: column-major, like W. A batch of one is its
    own average (no call to `batch_average`)."""
    m = delta.shape[0]
    total = np.dot(a_prev.T, delta).T
    return total if m == 1 else batch_average(total, m)


def batch_grad_b(delta: Array) -> Array:
    """∂J/∂b = (1/m) Σ_i δ_i = (1/m) 1ᵀ Δ."""
    m = delta.shape[0]
    total = np.dot(ones(m, delta.dtype), delta)
    return total if m == 1 else batch_average(total, m)


# -- elementwise -------------------------------------------------------------------------------------------------
def hadamard(g: Array, fresh: Array) -> Array:
    """g ⊙ `fresh`, written into `fresh` (a temporary the caller has just made) when the dtypes agree."""
    return np.multiply(g, fresh, out=fresh if fresh.dtype == g.dtype else None)


def one_over_one_plus(e: Array) -> Array:
    """1 / (1 + e), computed in `e` itself (a temporary) and returned."""
    e += one(e)
    return np.reciprocal(e, out=e)


def times_one_minus(a: Array) -> Array:
    """a (1 − a), a new array."""
    out = one(a) - a
    return np.multiply(a, out, out=out)


def one_minus_square(a: Array) -> Array:
    """1 − a², a new array."""
    out = a * a
    return np.subtract(one(a), out, out=out)


# -- along the rows of a batch -----------------------------------------------------------------------------------
def row_max(z: Array) -> Array:
    """max_k z_k of every row, as a column: z.max(axis=-1, keepdims=True). A maximum does not depend on the order
    it is taken in, so for many short rows it is taken down the columns of a copy of zᵀ, which NumPy
    vectorizes, instead of row by row: the same numbers."""
    if z.ndim == 2 and z.shape[1] < z.shape[0]:
        return np.maximum.reduce(np.ascontiguousarray(z.T), axis=0)[:, None]
    return z.max(axis=-1, keepdims=True)


def row_sum(e: Array) -> Array:
    """Σ_k e_k of every row, as a column: the product e 1 (`e.sum(axis=-1)` reduces row by row)."""
    if e.ndim != 2:
        return e.sum(axis=-1, keepdims=True)
    return np.dot(e, ones(e.shape[1], e.dtype))[:, None]


# -- checks ------------------------------------------------------------------------------------------------------
def all_finite(arrays: Sequence[Array], as_one_vector: bool) -> bool:
    """Whether every entry of every array is finite. `as_one_vector` checks them concatenated, one check instead
    of one per array, for arrays of a few numbers each (then each check costs more than its arithmetic)."""
    if as_one_vector:
        return bool(np.isfinite(np.concatenate([p.ravel(order="K") for p in arrays])).all())
    return all(np.isfinite(p).all() for p in arrays)
