"""Loss functions J and their gradients ∂J/∂a side by side, and the output error δ^L the seed defines.

Conventions (rows are samples, m of them in a batch; k runs over output neurons):
- J is averaged over the m samples of the batch: J = (1/m) Σ_i J_i.
- `grad(a, y)` is the per-sample ∂J_i/∂a (not divided by m); the 1/m appears once, in ∂J/∂W = (1/m) Σ_i δ_i a_iᵀ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.activations import Activation, softplus
from engine.kernels import row_max, row_sum

Array = np.ndarray


@dataclass(frozen=True)
class Loss:
    """J(a, y) per sample and ∂J/∂a per sample, with the output activations it may follow."""

    name: str
    label: str
    tex: str  # J_i in TeX, the seed's notation (the page and the lessons show it)
    grad_tex: str  # ∂J_i/∂a_k in TeX: what the chain rule multiplies f'(z^L) by
    per_sample: Callable[[Array, Array, Array, Activation], Array]
    grad: Callable[[Array, Array], Array]
    allowed_outputs: frozenset[str] | None = None

    def value(self, a: Array, y: Array, z: Array, activation: Activation) -> float:
        """The batch loss J, computed stably from z where the pairing allows."""
        return batch_mean(self.per_sample(a, y, z, activation))


def batch_mean(per_sample: Array) -> float:
    """J = (1/m) Σ_i J_i from the per-sample losses J_i; NaN for an empty batch."""
    m = per_sample.shape[0]
    if m == 0:
        return float("nan")
    return float(per_sample.sum() / m)


def _eps(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).eps)


def _half_sse(a: Array, y: Array, z: Array, act: Activation) -> Array:
    d = a - y
    return 0.5 * np.sum(d * d, axis=1)


def _mse(a: Array, y: Array, z: Array, act: Activation) -> Array:
    d = a - y
    return np.mean(d * d, axis=1)


def _bce(a: Array, y: Array, z: Array, act: Activation) -> Array:
    if act.name == "sigmoid":
        # From z, without overflow: log σ(z) = z − softplus(z) and log(1 − σ(z)) = −softplus(z), so
        # −[y log ŷ + (1 − y) log(1 − ŷ)] = softplus(z) − y z.
        per_output = softplus(z)
        per_output -= y * z
        return row_sum(per_output)[:, 0]
    eps = _eps(a.dtype)
    clipped = np.clip(a, eps, 1 - eps)
    log_a, log_1ma = np.log(clipped), np.log1p(-clipped)
    return -np.sum(y * log_a + (1 - y) * log_1ma, axis=1)


def _cross_entropy(a: Array, y: Array, z: Array, act: Activation) -> Array:
    shifted = z - row_max(z)
    log_softmax = shifted - np.log(row_sum(np.exp(shifted)))
    return -np.sum(y * log_softmax, axis=1)


def _half_sse_grad(a: Array, y: Array) -> Array:
    return a - y


def _mse_grad(a: Array, y: Array) -> Array:
    return (2.0 / a.shape[1]) * (a - y)


def _bce_grad(a: Array, y: Array) -> Array:
    eps = _eps(a.dtype)
    clipped = np.clip(a, eps, 1 - eps)
    return (clipped - y) / (clipped * (1 - clipped))


def _cross_entropy_grad(a: Array, y: Array) -> Array:
    return -y / np.maximum(a, _eps(a.dtype))


HALF_SSE = Loss(
    "half_sse",
    "½ Σ(ŷ−y)²",
    r"J = \tfrac{1}{2} \sum_k (\hat{y}_k - y_k)^2",
    r"\frac{\partial J}{\partial a_k} = \hat{y}_k - y_k",
    _half_sse,
    _half_sse_grad,
)
MSE = Loss(
    "mse",
    "mean squared error",
    r"J = \frac{1}{n_L} \sum_k (\hat{y}_k - y_k)^2",
    r"\frac{\partial J}{\partial a_k} = \frac{2}{n_L} (\hat{y}_k - y_k)",
    _mse,
    _mse_grad,
)
BCE = Loss(
    "bce",
    "binary cross-entropy",
    r"J = -\sum_k \left[ y_k \log \hat{y}_k + (1 - y_k) \log(1 - \hat{y}_k) \right]",
    r"\frac{\partial J}{\partial a_k} = \frac{\hat{y}_k - y_k}{\hat{y}_k (1 - \hat{y}_k)}",
    _bce,
    _bce_grad,
    allowed_outputs=frozenset({"sigmoid", "softmax"}),
)
CROSS_ENTROPY = Loss(
    "cross_entropy",
    "cross-entropy",
    r"J = -\sum_k y_k \log \hat{y}_k",
    r"\frac{\partial J}{\partial a_k} = -\frac{y_k}{\hat{y}_k}",
    _cross_entropy,
    _cross_entropy_grad,
    frozenset({"softmax"}),
)

LOSSES: dict[str, Loss] = {loss.name: loss for loss in (HALF_SSE, MSE, BCE, CROSS_ENTROPY)}

# Pairings where the seed writes δ^L in closed form: a^L − y (the activation's f' cancels the loss's 1/f').
CLOSED_FORM_DELTA = frozenset({("sigmoid", "bce"), ("softmax", "cross_entropy")})
CLOSED_FORM_DELTA_TEX = r"\delta^L = a^L - y"
# Every other pairing takes the chain rule through the output activation.
CHAIN_RULE_DELTA_TEX = r"\delta^L = \frac{\partial J}{\partial a^L} \odot f'(z^L)"


def get_loss(name: str) -> Loss:
    """Look a loss up by name, with an error that lists the valid names."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None


def check_pairing(activation: Activation, loss: Loss) -> None:
    """Refuse output activation × loss pairings whose loss is undefined (e.g. log of a negative tanh output)."""
    if loss.allowed_outputs is not None and activation.name not in loss.allowed_outputs:
        allowed = " or ".join(sorted(loss.allowed_outputs))
        raise ValueError(
            f"loss {loss.name!r} needs outputs in (0, 1) from a {allowed} output layer, "
            f"but the output layer uses {activation.name!r}; change the output activation or the loss"
        )


def output_delta(activation: Activation, loss: Loss, z: Array, a: Array, y: Array) -> Array:
    """δ^L per sample, as the seed defines it for this output activation × loss pairing.

    For sigmoid+half_sse the chain rule gives the seed's (ŷ − y)·ŷ(1 − ŷ) exactly.
    """
    if (activation.name, loss.name) in CLOSED_FORM_DELTA:
        return a - y  # δ^L = a^L − y
    return activation.backward(z, a, loss.grad(a, y))  # δ^L = ∂J/∂a^L ⊙ f'(z^L)
