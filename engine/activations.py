"""Activation functions, each carrying f and f' side by side, as the seed writes a = f(z) and uses f'(z).

Every activation maps z to a elementwise, except softmax, whose backward pass multiplies by its Jacobian.
`backward(z, a, g)` is the one place the chain rule through an activation happens: δ = g ⊙ f'(z).
Adding an activation is adding its f and f' here and one entry to `ACTIVATIONS` (with its test in
tests/engine/test_activations.py); the catalog, the server's schema and the page take it from there.

Some activations have a parameter (leaky ReLU's slope, ELU's α): the registry holds them at their defaults, and
`get_activation(name, options)` makes one with other values (f and f' get them as keyword arguments). A
network stores each layer's options beside its activation's name (`Activation.options`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from engine.kernels import hadamard, one_minus_square, one_over_one_plus, row_max, row_sum, times_one_minus

Array = np.ndarray

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0


@dataclass(frozen=True)
class Parameter:
    """A number an activation's formula holds (leaky ReLU's slope): its name in the API, its symbol in the
    formulas, its default and the closed range it may take."""

    name: str
    symbol: str  # TeX
    label: str
    default: float
    low: float
    high: float


@dataclass(frozen=True)
class Activation:
    """a = f(z) and its derivative f'(z); `df` receives both z and a because f' is simplest from a for some.
    `df` returns a new array (`backward` writes δ into it).

    `label` names it in menus, `short` in the diagram's layer titles; `f_tex` and `df_tex` are the formulas in
    TeX, in the seed's notation, as the page and the lessons show them (the engine is their one source); a
    parameter appears in them as its symbol. `options` are the parameter values this one was made with (empty:
    the defaults).
    """

    name: str
    label: str
    short: str
    f_tex: str
    df_tex: str
    f: Callable[[Array], Array]
    df: Callable[[Array, Array], Array]
    output_only: bool = False
    elementwise: bool = True  # a_k depends on z_k alone, so δ = g ⊙ f'(z); softmax's a_k depends on every z_j
    parameters: tuple[Parameter, ...] = ()
    options: tuple[tuple[str, float], ...] = ()

    def value(self, parameter: str) -> float:
        """The value of one of its parameters in this activation (its default unless made with another)."""
        for name, value in self.options:
            if name == parameter:
                return value
        for p in self.parameters:
            if p.name == parameter:
                return p.default
        raise KeyError(parameter)

    def with_options(self, options: Mapping[str, float]) -> Activation:
        """This activation with other parameter values (f and f' get them as keyword arguments), or a
        ValueError saying what it takes."""
        known = {p.name: p for p in self.parameters}
        if not known and options:
            raise ValueError(f"{self.name} takes no options, but got {', '.join(sorted(options))}")
        values = dict(self.options)
        for name, value in options.items():
            p = known.get(name)
            if p is None:
                raise ValueError(f"{self.name} has no option {name!r}; it takes {', '.join(known)}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not p.low <= value <= p.high:
                raise ValueError(f"{self.name}'s {name} must be a number from {p.low:g} to {p.high:g}, got {value!r}")
            values[name] = float(value)
        if not values:
            return self
        return replace(self, f=partial(self.f, **values), df=partial(self.df, **values), options=tuple(values.items()))

    def backward(self, z: Array, a: Array, g: Array, overwrite_g: bool = False) -> Array:
        """δ = g ⊙ f'(z): the error at z, given g = ∂J/∂a. `overwrite_g=True` says the caller no longer needs g,
        so δ may be written into it (some activations do); g is never changed without it."""
        return hadamard(g, self.df(z, a))


# -- sigmoid, tanh -----------------------------------------------------------------------------------------------
@np.errstate(over="ignore")  # e^{−z} overflows to inf for z < −709, which rightly gives σ(z) = 0, not NaN
def _sigmoid(z: Array) -> Array:
    return one_over_one_plus(np.exp(-z))  # σ(z) = 1 / (1 + e^{−z})


def _sigmoid_df(z: Array, a: Array) -> Array:
    return times_one_minus(a)  # σ'(z) = a (1 − a)


def _tanh_df(z: Array, a: Array) -> Array:
    return one_minus_square(a)  # tanh'(z) = 1 − a²


# -- the rectifiers ----------------------------------------------------------------------------------------------
def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)  # max(0, z)


def _relu_df(z: Array, a: Array) -> Array:
    return (z > 0).astype(z.dtype)  # 1 if z > 0 else 0


def _leaky_relu(z: Array, slope: float = LEAKY_SLOPE) -> Array:
    return np.where(z > 0, z, slope * z)  # z if z > 0 else α z


def _leaky_relu_df(z: Array, a: Array, slope: float = LEAKY_SLOPE) -> Array:
    return np.where(z > 0, 1.0, slope).astype(z.dtype)  # 1 if z > 0 else α


def _elu(z: Array, alpha: float = ELU_ALPHA) -> Array:
    # z if z > 0 else α (e^z − 1); e^z − 1 is taken where z ≤ 0 only (no overflow), and as expm1 (exact near 0)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def _elu_df(z: Array, a: Array, alpha: float = ELU_ALPHA) -> Array:
    return np.where(z > 0, 1.0, a + alpha).astype(z.dtype, copy=False)  # 1 if z > 0 else a + α


def softplus(z: Array) -> Array:
    """log(1 + e^z), as max(z, 0) + log(1 + e^{−|z|}): e^{−|z|} ≤ 1, so it never overflows."""
    a = np.log1p(np.exp(-np.abs(z)))
    a += np.maximum(z, 0)
    return a


def _softplus_df(z: Array, a: Array) -> Array:
    return _sigmoid(z)  # softplus'(z) = σ(z)


# -- GELU --------------------------------------------------------------------------------------------------------
def normal_cdf(z: Array) -> Array:
    """Φ(z), the standard normal distribution function, as ½ erfc(−z/√2) (1 + erf(z/√2) would lose Φ's digits
    for z ≪ 0). Exact: elementwise through Python's `math.erfc`, as NumPy has no erf; so GELU layers cost
    more than the other activations on wide layers."""
    x = (z / -math.sqrt(2)).ravel().tolist()
    cdf = np.fromiter(map(math.erfc, x), dtype=z.dtype, count=len(x)).reshape(z.shape)
    cdf *= 0.5
    return cdf


def _gelu(z: Array) -> Array:
    a = normal_cdf(z)
    a *= z
    return a  # z Φ(z)


def _gelu_df(z: Array, a: Array) -> Array:
    phi = np.exp(-0.5 * z * z)
    phi *= 1 / math.sqrt(2 * math.pi)
    fprime = normal_cdf(z)
    fprime += z * phi
    return fprime  # Φ(z) + z φ(z), φ(z) = e^{−z²/2} / √(2π)


# -- linear, softmax ---------------------------------------------------------------------------------------------
def _linear(z: Array) -> Array:
    return z.copy()  # z


def _linear_df(z: Array, a: Array) -> Array:
    return np.ones_like(z)  # 1


def _softmax(z: Array) -> Array:
    # a_k = e^{z_k − c} / Σ_j e^{z_j − c} with c the row maximum: e^{z − c} stays finite, a is unchanged.
    e = z - row_max(z)
    np.exp(e, out=e)
    e /= row_sum(e)
    return e


def _softmax_df(z: Array, a: Array) -> Array:
    """The diagonal of the softmax Jacobian, a_k(1 − a_k); `backward` uses the full Jacobian."""
    return times_one_minus(a)


@dataclass(frozen=True)
class ReluActivation(Activation):
    """ReLU's f'(z) is the mask z > 0, so δ = g ⊙ f'(z) multiplies g by the mask itself: the same numbers as
    multiplying by f' as floats, without making those floats (z is m × n, the batch's widest array)."""

    def backward(self, z: Array, a: Array, g: Array, overwrite_g: bool = False) -> Array:
        return np.multiply(g, z > 0, out=g if overwrite_g else None)  # δ = g ⊙ [z > 0]


@dataclass(frozen=True)
class SoftmaxActivation(Activation):
    """Softmax couples its outputs: δ_k = a_k (g_k − Σ_j a_j g_j), the Jacobian-vector product."""

    def backward(self, z: Array, a: Array, g: Array, overwrite_g: bool = False) -> Array:
        return a * (g - (a * g).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation(
            "sigmoid", "sigmoid", "σ", r"\sigma(z) = \frac{1}{1 + e^{-z}}", r"a\,(1 - a)", _sigmoid, _sigmoid_df
        ),
        Activation("tanh", "tanh", "tanh", r"\tanh(z)", r"1 - a^2", np.tanh, _tanh_df),
        ReluActivation("relu", "ReLU", "ReLU", r"\max(0, z)", r"1 \text{ if } z > 0 \text{ else } 0", _relu, _relu_df),
        Activation(
            "leaky_relu",
            "leaky ReLU",
            "lReLU",
            r"\max(\alpha\,z, z)",
            r"1 \text{ if } z > 0 \text{ else } \alpha",
            _leaky_relu,
            _leaky_relu_df,
            parameters=(Parameter("slope", r"\alpha", "slope α for z ≤ 0", LEAKY_SLOPE, -1e3, 1e3),),
        ),
        Activation(
            "elu",
            "ELU",
            "ELU",
            r"z \text{ if } z > 0 \text{ else } \alpha\,(e^{z} - 1)",
            r"1 \text{ if } z > 0 \text{ else } a + \alpha",
            _elu,
            _elu_df,
            parameters=(Parameter("alpha", r"\alpha", "α (a → −α as z → −∞)", ELU_ALPHA, 0.0, 1e3),),
        ),
        Activation(
            "softplus",
            "softplus",
            "softplus",
            r"\log(1 + e^{z})",
            r"\sigma(z) = \frac{1}{1 + e^{-z}}",
            softplus,
            _softplus_df,
        ),
        Activation(
            "gelu",
            "GELU",
            "GELU",
            r"z\,\Phi(z) = \tfrac{1}{2}\,z\,\left(1 + \operatorname{erf}(z / \sqrt{2})\right)",
            r"\Phi(z) + z\,\varphi(z), \ \varphi(z) = \frac{e^{-z^2/2}}{\sqrt{2\pi}}",
            _gelu,
            _gelu_df,
        ),
        Activation("linear", "linear", "lin", "z", "1", _linear, _linear_df),
        SoftmaxActivation(
            "softmax",
            "softmax",
            "softmax",
            r"\frac{e^{z_j}}{\sum_i e^{z_i}}",
            r"a_j\,(1 - a_j) \text{ (diagonal)}",
            _softmax,
            _softmax_df,
            output_only=True,
            elementwise=False,
        ),
    )
}


def get_activation(name: str, options: Mapping[str, float] | None = None) -> Activation:
    """Look an activation up by name (with these parameter values, if given), with an error that lists the
    valid names or says which options it takes."""
    try:
        act = ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
    return act.with_options(options) if options else act
