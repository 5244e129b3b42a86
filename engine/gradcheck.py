"""Gradient check: the analytic ∂J/∂θ of backward() against central finite differences of J, per parameter.

(J(θ + ε) − J(θ − ε)) / 2ε approximates ∂J/∂θ with error O(ε²); in float64 with ε = 1e-6 the two agree to
about 1e-8 relative error when backprop is right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.network import Network

Array = np.ndarray


@dataclass(frozen=True)
class LayerCheck:
    """Largest relative error |analytic − numeric| / max(|analytic| + |numeric|, tiny) of one layer."""

    layer: int
    max_relative_error_W: float
    max_relative_error_b: float


@dataclass(frozen=True)
class GradientCheck:
    layers: list[LayerCheck]
    epsilon: float
    samples: int

    @property
    def max_relative_error(self) -> float:
        return max(max(c.max_relative_error_W, c.max_relative_error_b) for c in self.layers)


def relative_error(analytic: Array, numeric: Array, floor: float = 1e-10) -> Array:
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), floor)


def numerical_gradient(network: Network, X: Array, Y: Array, param: Array, epsilon: float) -> Array:
    """Central differences of the total loss J with respect to every entry of `param` (restored after)."""
    grad = np.zeros_like(param, dtype=np.float64)  # param's memory order, so flat[k] and out[k] are one entry
    flat = param.reshape(-1, order="A")  # a view of W, which is column-major (engine/network.py)
    out = grad.reshape(-1, order="A")
    for k in range(flat.size):
        original = flat[k]
        flat[k] = original + epsilon
        j_plus = network.total_loss(network.forward(X), Y)
        flat[k] = original - epsilon
        j_minus = network.total_loss(network.forward(X), Y)
        flat[k] = original
        out[k] = (j_plus - j_minus) / (2 * epsilon)
    return grad


def check_gradients(network: Network, X: Array, Y: Array, epsilon: float = 1e-6) -> GradientCheck:
    """Compare backward() with finite differences on every parameter; the network is left unchanged.

    Runs in float64 whatever the network's dtype (float32 cannot resolve ε-sized differences).
    """
    net = Network(
        network.sizes,
        network.activations,
        network.loss,
        [W.astype(np.float64) for W in network.W],
        [b.astype(np.float64) for b in network.b],
        np.float64,
        network.regularization,
    )
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    analytic = net.backward(net.forward(X), Y)
    layers = []
    for i in range(net.L):
        num_W = numerical_gradient(net, X, Y, net.W[i], epsilon)
        num_b = numerical_gradient(net, X, Y, net.b[i], epsilon)
        layers.append(
            LayerCheck(
                i + 1,
                float(relative_error(analytic.grad_W[i], num_W).max()),
                float(relative_error(analytic.grad_b[i], num_b).max()),
            )
        )
    return GradientCheck(layers, epsilon, X.shape[0])
