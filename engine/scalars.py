"""Python numbers as 0-d arrays of a float array's dtype, and vectors of ones, made once and reused.

NumPy converts a Python float to the array's dtype anew in every ufunc call; on the few-element arrays of a teaching
network that conversion costs as much as the arithmetic itself. A 0-d array of the array's float dtype holds the very
number the conversion would give, so results are bit for bit the same. Other dtypes get the Python number back, to
keep NumPy's own promotion for them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

Array = np.ndarray

_ONES: dict[np.dtype, Array | float] = {}


@lru_cache(maxsize=256)
def scalar(value: float, dtype: np.dtype) -> Array | float:
    """`value` as a read-only 0-d array of `dtype` if it is a float dtype, else `value` itself."""
    if np.dtype(dtype).kind != "f":
        return value
    out = np.array(value, dtype=dtype)
    out.flags.writeable = False
    return out


def one(array: Array) -> Array | float:
    """1 in `array`'s dtype: the most used constant, so it skips even the cache's hashing."""
    try:
        return _ONES[array.dtype]
    except KeyError:
        return _ONES.setdefault(array.dtype, scalar(1.0, array.dtype))


@lru_cache(maxsize=64)
def ones(n: int, dtype: np.dtype) -> Array:
    """The read-only vector 1 of length n in `dtype`. 1ᵀΔ sums the rows of Δ and Δ1 its columns as one BLAS
    product, 2–8× faster than `Δ.sum(axis=…)`, which NumPy reduces one short row or column at a time."""
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector
