"""Initial weights and biases in the seed's orientation: W^l has shape (n_l, n_{l−1}), b^l has shape (n_l,).

Every scheme draws from `numpy.random.default_rng(seed)`, so one seed always gives the same network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

Array = np.ndarray

# Each scheme's menu label and its rule in TeX (biases start at 0 but for `uniform`).
SCHEMES: dict[str, tuple[str, str]] = {
    "xavier": ("Xavier (Glorot)", r"W_{jk} \sim U\left(\pm\sqrt{6 / (n_{l-1} + n_l)}\right)"),
    "he": ("He", r"W_{jk} \sim \mathcal{N}\left(0, 2 / n_{l-1}\right)"),
    "uniform": ("uniform", r"W_{jk}, b_j \sim U(\text{low}, \text{high})"),
    "zeros": ("zeros", r"W = 0, \; b = 0"),
}


@dataclass(frozen=True)
class InitSpec:
    """How to initialize: a named scheme from a seed, or explicit weights and biases used exactly as given."""

    scheme: str = "xavier"
    seed: int = 0
    low: float = -0.5
    high: float = 0.5
    weights: Sequence[Sequence[Sequence[float]]] | None = None
    biases: Sequence[Sequence[float]] | None = None


def _layer_shapes(sizes: Sequence[int]) -> list[tuple[int, int]]:
    return [(n_out, n_in) for n_in, n_out in pairwise(sizes)]


def init_params(sizes: Sequence[int], spec: InitSpec, dtype: np.dtype) -> tuple[list[Array], list[Array]]:
    """Weights W^1..W^L and biases b^1..b^L for the given layer sizes (input layer included)."""
    if spec.weights is not None or spec.biases is not None:
        return explicit_params(sizes, spec.weights, spec.biases, dtype)
    rng = np.random.default_rng(spec.seed)
    Ws: list[Array] = []
    bs: list[Array] = []
    for n_out, n_in in _layer_shapes(sizes):
        if spec.scheme == "xavier":
            limit = np.sqrt(6.0 / (n_in + n_out))  # Glorot & Bengio (2010), uniform variant
            W = rng.uniform(-limit, limit, (n_out, n_in))
            b = np.zeros(n_out)
        elif spec.scheme == "he":
            W = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)  # He et al. (2015)
            b = np.zeros(n_out)
        elif spec.scheme == "uniform":
            if not spec.low < spec.high:
                raise ValueError(f"uniform init needs low < high, got low={spec.low}, high={spec.high}")
            largest = float(np.finfo(dtype).max)
            if not (abs(spec.low) <= largest and abs(spec.high) <= largest and np.isfinite(spec.high - spec.low)):
                raise ValueError(
                    f"uniform init bounds low={spec.low}, high={spec.high} are beyond what {np.dtype(dtype).name} "
                    f"weights can hold (their span must stay below ±{largest:.3g}); use bounds near 1, "
                    "such as low=-0.5, high=0.5"
                )
            W = rng.uniform(spec.low, spec.high, (n_out, n_in))
            b = rng.uniform(spec.low, spec.high, n_out)
        elif spec.scheme == "zeros":
            W = np.zeros((n_out, n_in))
            b = np.zeros(n_out)
        else:
            raise ValueError(f"unknown init scheme {spec.scheme!r}; choose one of {', '.join(SCHEMES)}")
        Ws.append(W.astype(dtype))
        bs.append(b.astype(dtype))
    return Ws, bs


def explicit_params(
    sizes: Sequence[int],
    weights: Sequence[Sequence[Sequence[float]]] | None,
    biases: Sequence[Sequence[float]] | None,
    dtype: np.dtype,
) -> tuple[list[Array], list[Array]]:
    """User-given weights (weights[l] = rows of W^(l+1)) and biases, checked for shape and finiteness.

    Biases may be omitted (zeros). Errors name the layer in the seed's numbering (1 = first after the input).
    """
    shapes = _layer_shapes(sizes)
    if weights is None:
        raise ValueError("explicit init needs 'weights': one matrix per layer, weights[l] of shape n_out × n_in")
    if len(weights) != len(shapes):
        raise ValueError(f"'weights' has {len(weights)} matrices but the network has {len(shapes)} layers")
    if biases is not None and len(biases) != len(shapes):
        raise ValueError(f"'biases' has {len(biases)} vectors but the network has {len(shapes)} layers")
    Ws: list[Array] = []
    bs: list[Array] = []
    for index, (n_out, n_in) in enumerate(shapes):
        layer = index + 1
        try:
            W = np.array(weights[index], dtype=np.float64)
        except (ValueError, TypeError):
            raise ValueError(f"weights of layer {layer} must be a rectangular list of numbers") from None
        if W.shape != (n_out, n_in):
            raise ValueError(
                f"weights of layer {layer} have shape {_shape(W)}, expected {n_out} × {n_in} "
                f"({n_out} rows, one per neuron, each with {n_in} incoming weights)"
            )
        b = np.zeros(n_out) if biases is None else np.array(biases[index], dtype=np.float64)
        if b.shape != (n_out,):
            raise ValueError(f"biases of layer {layer} have shape {_shape(b)}, expected {n_out} numbers")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(f"weights and biases of layer {layer} must be finite numbers")
        with np.errstate(over="ignore"):  # a number beyond float32's range becomes inf: refused just below
            W, b = W.astype(dtype), b.astype(dtype)
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(
                f"weights and biases of layer {layer} exceed what {np.dtype(dtype).name} can hold "
                f"(±{float(np.finfo(dtype).max):.3g}); use smaller numbers or dtype float64"
            )
        Ws.append(W)
        bs.append(b)
    return Ws, bs


def _shape(x: Array) -> str:
    return " × ".join(str(n) for n in x.shape) or "scalar"
