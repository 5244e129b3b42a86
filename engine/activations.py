"""Activation functions, each carrying f and f' side by side, as the seed writes a = f(z) and uses f'(z).

Every activation maps z to a elementwise, except softmax, whose backward pass multiplies by its Jacobian.
`backward(z, a, g)` is the one place the chain rule through an activation happens: δ = g ⊙ f'(z).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.scalars import one, ones

Array = np.ndarray

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """a = f(z) and its derivative f'(z); `df` receives both z and a because f' is cheapest from a for some.

    `label` names it in menus, `short` in the diagram's layer titles; `f_tex` and `df_tex` are the formulas in
    TeX, in the seed's notation, as the page and the lessons show them (the engine is their one source).
    """

    name: str
    label: str
    short: str
    f_tex: str
    df_tex: str
    f: Callable[[Array], Array]
    df: Callable[[Array, Array], Array]
    output_only: bool = False

    def backward(self, z: Array, a: Array, g: Array, overwrite_g: bool = False) -> Array:
        """δ = g ⊙ f'(z): the error at z, given g = ∂J/∂a. `overwrite_g` lets δ take g's memory (the network
        passes a temporary); otherwise g is left as it was."""
        fprime = self.df(z, a)  # a new array: the product may overwrite it (same numbers, one allocation less)
        return np.multiply(g, fprime, out=fprime if fprime.dtype == g.dtype else None)


@np.errstate(over="ignore")  # as a decorator it costs half of a `with` block, and sigmoid runs in every pass
def _sigmoid(z: Array) -> Array:
    # The seed's 1 / (1 + e^{-z}); e^{-z} overflows to inf for z < -709, which correctly gives 0, not NaN.
    a = np.exp(-z)
    a += one(a)
    return np.reciprocal(a, out=a)


def _sigmoid_df(z: Array, a: Array) -> Array:
    fprime = one(a) - a
    return np.multiply(a, fprime, out=fprime)  # a (1 − a), the product in place of its temporary


def _tanh_df(z: Array, a: Array) -> Array:
    fprime = a * a
    return np.subtract(one(a), fprime, out=fprime)  # 1 − a², the difference in place of its temporary


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_df(z: Array, a: Array) -> Array:
    return (z > 0).astype(z.dtype)


def _leaky_relu(z: Array) -> Array:
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_relu_df(z: Array, a: Array) -> Array:
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)


def _linear(z: Array) -> Array:
    return z.copy()


def _linear_df(z: Array, a: Array) -> Array:
    return np.ones_like(z)


def row_max(z: Array) -> Array:
    """z.max(axis=-1, keepdims=True). A maximum does not depend on the order it is taken in, so for a batch of
    short rows (m × 10 outputs) it is taken down the columns of a copy of zᵀ instead, which NumPy vectorizes:
    the same numbers, 4–10× faster than reducing m short rows one by one."""
    if z.ndim == 2 and z.shape[1] < z.shape[0]:
        return np.maximum.reduce(np.ascontiguousarray(z.T), axis=0)[:, None]
    return z.max(axis=-1, keepdims=True)


def row_sum(e: Array) -> Array:
    """Σ_k e_k per row, as the column vector e 1 (one BLAS product; e.sum(axis=-1) reduces row by row)."""
    if e.ndim != 2:
        return e.sum(axis=-1, keepdims=True)
    return np.dot(e, ones(e.shape[1], e.dtype))[:, None]


def _softmax(z: Array) -> Array:
    # a_k = e^{z_k − c} / Σ_j e^{z_j − c} with c the row maximum: e^{z − c} stays finite, a is unchanged.
    e = z - row_max(z)
    np.exp(e, out=e)
    e /= row_sum(e)
    return e


def _softmax_df(z: Array, a: Array) -> Array:
    """The diagonal of the softmax Jacobian, a_k(1 − a_k); `backward` uses the full Jacobian."""
    return a * (1.0 - a)


@dataclass(frozen=True)
class ReluActivation(Activation):
    """ReLU's f'(z) is the mask z > 0, so δ = g ⊙ f'(z) multiplies g by the mask itself: the same numbers as
    multiplying by f' as floats, without the pass that makes those floats (z is m × n, the batch's widest array)."""

    def backward(self, z: Array, a: Array, g: Array, overwrite_g: bool = False) -> Array:
        return np.multiply(g, z > 0, out=g if overwrite_g else None)


@dataclass(frozen=True)
class SoftmaxActivation(Activation):
    """Softmax couples its outputs: δ_k = a_k (g_k − Σ_j a_j g_j), the Jacobian-vector product."""

    def backward(self, z: Array, a: Array, g: Array, overwrite_g: bool = False) -> Array:
        return a * (g - (a * g).sum(axis=-1, keepdims=True))


SIGMOID = Activation(
    "sigmoid", "sigmoid", "σ", r"\sigma(z) = \frac{1}{1 + e^{-z}}", r"a\,(1 - a)", _sigmoid, _sigmoid_df
)
TANH = Activation("tanh", "tanh", "tanh", r"\tanh(z)", r"1 - a^2", np.tanh, _tanh_df)
RELU = ReluActivation("relu", "ReLU", "ReLU", r"\max(0, z)", r"1 \text{ if } z > 0 \text{ else } 0", _relu, _relu_df)
LEAKY_RELU = Activation(
    "leaky_relu",
    "leaky ReLU",
    "lReLU",
    rf"\max({LEAKY_SLOPE}\,z, z)",
    rf"1 \text{{ if }} z > 0 \text{{ else }} {LEAKY_SLOPE}",
    _leaky_relu,
    _leaky_relu_df,
)
LINEAR = Activation("linear", "linear", "lin", "z", "1", _linear, _linear_df)
SOFTMAX = SoftmaxActivation(
    "softmax",
    "softmax",
    "softmax",
    r"\frac{e^{z_j}}{\sum_i e^{z_i}}",
    r"a_j\,(1 - a_j) \text{ (diagonal)}",
    _softmax,
    _softmax_df,
    output_only=True,
)

ACTIVATIONS: dict[str, Activation] = {
    act.name: act for act in (SIGMOID, TANH, RELU, LEAKY_RELU, LINEAR, SOFTMAX)
}


def get_activation(name: str) -> Activation:
    """Look an activation up by name, with an error that lists the valid names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
