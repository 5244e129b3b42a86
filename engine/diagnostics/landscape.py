"""The loss landscape around the current weights (Li, Xu, Taylor, Studer & Goldstein, "Visualizing the Loss
Landscape of Neural Nets", NeurIPS 2018).

  J(α, β) = J(θ + α d₁ + β d₂)          on a resolution × resolution grid, α, β ∈ [−span, span]
  d = random Gaussian, filter-normalized: each neuron's row of d^l scaled to the norm of its row of W^l
      (Li et al.'s §4 for a dense layer: a filter is a neuron's incoming weights); the biases' directions are
      zero, as Li et al.'s code does by default (`ignore='biasbn'`)
  path  = the weights the history kept (keyframes) and the current ones, as least-squares (α, β) of θ_t − θ
  slice = J(θ − s ∇J) for s from 0 to SLICE_STEPS × η: what one plain gradient step of size s would give

The directions come from `seed` alone, so the same seed gives the same plane. J is the total loss (the data loss
plus the regularization penalty, what the gradients descend) on the probe batch; the grid's middle point (an odd
resolution) is θ itself, exactly, so it equals `center_loss`. Cost: resolution² + resolution forward passes over
the probe (`work`); the computation reports progress after each row and stops when asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.network import Network

Array = np.ndarray

SLICE_STEPS = 4.0  # the slice reaches this many learning rates along −∇J
MAX_PATH_POINTS = 500  # weights of the past projected (evenly spaced over the history's keyframes)


@dataclass(frozen=True)
class Landscape:
    """J over the plane (loss[i][j] at alphas[j], betas[i]), the path in (α, β), the slice along −∇J."""

    alphas: Array
    betas: Array
    loss: Array
    path: Array
    path_passes: list[int]
    center_loss: float
    slice_steps: Array
    slice_loss: Array
    pass_index: int


def work(resolution: int, probe_size: int, parameter_count: int) -> int:
    """Multiply-adds of a landscape: (resolution² + resolution) forward passes of the probe through the network."""
    return (resolution * resolution + resolution) * probe_size * parameter_count


def axis(resolution: int, span: float) -> Array:
    """`resolution` values from −span to span, symmetric exactly (a[-1 − i] = −a[i]) and 0 in the middle."""
    half = (resolution - 1) / 2
    return span * ((np.arange(resolution) - half) / half)


def filter_normalized(weights: Sequence[Array], rng: np.random.Generator) -> list[Array]:
    """A random direction in weight space with each row (a neuron's filter) as long as that row of the weights."""
    direction = []
    for W in weights:
        d = rng.standard_normal(W.shape)
        d_norms = np.linalg.norm(d, axis=1, keepdims=True)
        W_norms = np.linalg.norm(W.astype(np.float64), axis=1, keepdims=True)
        direction.append(np.divide(d * W_norms, d_norms, out=np.zeros_like(d), where=d_norms > 0))
    return direction


def directions(weights: Sequence[Array], seed: int) -> tuple[list[Array], list[Array]]:
    rng = np.random.default_rng(seed)
    return filter_normalized(weights, rng), filter_normalized(weights, rng)


def project(
    points: Sequence[Sequence[Array]], center: Sequence[Array], d1: Sequence[Array], d2: Sequence[Array]
) -> Array:
    """Least-squares (α, β) of each point's weights minus the centre's in the plane of d₁ and d₂."""
    basis = np.column_stack([np.concatenate([d.ravel() for d in d1]), np.concatenate([d.ravel() for d in d2])])
    if not len(points):
        return np.zeros((0, 2))
    c = np.concatenate([np.asarray(W, dtype=np.float64).ravel() for W in center])
    offsets = np.column_stack(
        [np.concatenate([np.asarray(W, dtype=np.float64).ravel() for W in p]) - c for p in points]
    )
    coefficients, *_ = np.linalg.lstsq(basis, offsets, rcond=None)
    return coefficients.T


def clone(network: Network) -> Network:
    """A copy of the network to move around the plane (the session's own weights are never touched)."""
    W, b = network.copy_params()
    sizes, activations = list(network.sizes), list(network.activations)
    return Network(sizes, activations, network.loss, W, b, network.dtype, network.regularization)


def _loss(net: Network, X: Array, Y: Array) -> float:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return float(net.total_loss(net.forward(X), Y))


def surface(
    network: Network,
    X: Array,
    Y: Array,
    d1: Sequence[Array],
    d2: Sequence[Array],
    alphas: Array,
    betas: Array,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Array | None:
    """J(θ + α d₁ + β d₂) at every (alphas[j], betas[i]) as [i][j], θ the network's weights (its biases kept);
    `progress` hears the points done after each row; None when `should_stop` says so (asked at every point)."""
    net = clone(network)
    theta = [W.copy() for W in net.W]
    loss = np.empty((len(betas), len(alphas)))
    for i, beta in enumerate(betas):
        for j, alpha in enumerate(alphas):
            if should_stop is not None and should_stop():
                return None
            for W, t, u, v in zip(net.W, theta, d1, d2, strict=True):
                W[...] = t + alpha * u + beta * v  # θ + α d₁ + β d₂
            loss[i, j] = _loss(net, X, Y)
        if progress is not None:
            progress((i + 1) * len(alphas))
    return loss


def gradient_slice(network: Network, X: Array, Y: Array, steps: Array) -> Array:
    """J(θ − s ∇J) for each step size s (∇J of the total loss on X, Y: weights and biases)."""
    net = clone(network)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        grads = net.backward(net.forward(X), Y).grads
    params = [p for pair in zip(net.W, net.b, strict=True) for p in pair]
    start = [p.copy() for p in params]
    losses = np.empty(len(steps))
    for k, s in enumerate(steps):
        for p, p0, g in zip(params, start, grads, strict=True):
            p[...] = p0 - s * g  # θ − s ∇J
        losses[k] = _loss(net, X, Y)
    return losses


def compute(
    network: Network,
    X: Array,
    Y: Array,
    *,
    pass_index: int,
    history: Sequence[tuple[int, Sequence[Array]]] = (),
    learning_rate: float = 0.1,
    resolution: int = 21,
    span: float = 1.0,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Landscape | None:
    """The landscape of `network` (not changed) on the probe X, Y; `history` holds (pass, [W^1 … W^L]) of earlier
    weights for the path. None when `should_stop` said so before the end."""
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    if not (np.isfinite(span) and span > 0):
        raise ValueError(f"span must be a finite number > 0, got {span}")
    theta = [W.copy() for W in network.W]
    d1, d2 = directions(theta, seed)
    alphas, betas = axis(resolution, span), axis(resolution, span)
    total = resolution * resolution + resolution
    report = (lambda done: progress(done, total)) if progress is not None else None
    loss = surface(network, X, Y, d1, d2, alphas, betas, report, should_stop)
    if loss is None:
        return None
    steps = axis(2 * resolution - 1, SLICE_STEPS * learning_rate)[resolution - 1 :]  # 0 … 4η, `resolution` values
    slice_loss = gradient_slice(network, X, Y, steps)
    if progress is not None:
        progress(total, total)
    kept = sorted((item for item in history if item[0] < pass_index), key=lambda item: item[0])
    if len(kept) > MAX_PATH_POINTS:  # evenly spaced, the oldest kept
        kept = [kept[i] for i in np.linspace(0, len(kept) - 1, MAX_PATH_POINTS).round().astype(int)]
    path = project([W for _, W in kept] + [theta], theta, d1, d2)
    center_loss = _loss(clone(network), X, Y)
    return Landscape(
        alphas, betas, loss, path, [p for p, _ in kept] + [pass_index], center_loss, steps, slice_loss, pass_index
    )
