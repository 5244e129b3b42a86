"""Activation functions, each carrying f and f' side by side, as the seed writes a = f(z) and uses f'(z).

Every activation maps z to a elementwise, except softmax, whose backward pass multiplies by its Jacobian.
`backward(z, a, g)` is the one place the chain rule through an activation happens: δ = g ⊙ f'(z).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.scalars import one

Array = np.ndarray

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """a = f(z) and its derivative f'(z); `df` receives both z and a because f' is cheapest from a for some."""

    name: str
    formula: str
    derivative: str
    f: Callable[[Array], Array]
    df: Callable[[Array, Array], Array]
    output_only: bool = False

    def backward(self, z: Array, a: Array, g: Array) -> Array:
        """δ = g ⊙ f'(z): the error at z, given g = ∂J/∂a."""
        fprime = self.df(z, a)  # a new array: the product may overwrite it (same numbers, one allocation less)
        return np.multiply(g, fprime, out=fprime if fprime.dtype == g.dtype else None)


@np.errstate(over="ignore")  # as a decorator it costs half of a `with` block, and sigmoid runs in every pass
def _sigmoid(z: Array) -> Array:
    # The seed's 1 / (1 + e^{-z}); e^{-z} overflows to inf for z < -709, which correctly gives 0, not NaN.
    a = np.exp(-z)
    a += one(a)
    return np.reciprocal(a, out=a)


def _sigmoid_df(z: Array, a: Array) -> Array:
    return a * (one(a) - a)


def _tanh_df(z: Array, a: Array) -> Array:
    return one(a) - a * a


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


def _softmax(z: Array) -> Array:
    # Shifting by the row maximum keeps e^z finite; the result is unchanged mathematically.
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _softmax_df(z: Array, a: Array) -> Array:
    """The diagonal of the softmax Jacobian, a_k(1 − a_k); `backward` uses the full Jacobian."""
    return a * (1.0 - a)


@dataclass(frozen=True)
class SoftmaxActivation(Activation):
    """Softmax couples its outputs: δ_k = a_k (g_k − Σ_j a_j g_j), the Jacobian-vector product."""

    def backward(self, z: Array, a: Array, g: Array) -> Array:
        return a * (g - (a * g).sum(axis=-1, keepdims=True))


SIGMOID = Activation("sigmoid", "1 / (1 + e^(−z))", "a (1 − a)", _sigmoid, _sigmoid_df)
TANH = Activation("tanh", "tanh(z)", "1 − a²", np.tanh, _tanh_df)
RELU = Activation("relu", "max(0, z)", "1 if z > 0 else 0", _relu, _relu_df)
LEAKY_RELU = Activation(
    "leaky_relu", f"z if z > 0 else {LEAKY_SLOPE} z", f"1 if z > 0 else {LEAKY_SLOPE}", _leaky_relu, _leaky_relu_df
)
LINEAR = Activation("linear", "z", "1", _linear, _linear_df)
SOFTMAX = SoftmaxActivation(
    "softmax", "e^(z_k) / Σ_j e^(z_j)", "a_k (δ_kj − a_j)", _softmax, _softmax_df, output_only=True
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
