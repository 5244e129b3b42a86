"""Per-layer statistics of the network on the probe batch: what a debugging person reads first.

For each layer l = 1..L, from one forward and one backward pass over the probe (the data loss J, without the
regularization penalty, as the lessons measure it):
  ‖W^l‖, ‖∂J/∂W^l‖                      Frobenius norms
  ‖ΔW^l‖ / ‖W^l‖                        the last update's size relative to the weights (None before any update)
  dead fraction                         ReLU: units with a = 0 for every probe sample; leaky ReLU: z < 0 for every
                                        probe sample (a gradient still passes, scaled by the slope, but the unit
                                        computes one linear function of its input everywhere). None for others.
  saturated fraction                    sigmoid: units with a < 0.01 or a > 0.99 on more than half the probe
                                        samples; tanh: |a| > 0.99 on more than half. None for others.
and the values the histograms are made of: W^l, a^l and δ^l over the probe, ∂J/∂W^l.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.diagnostics.probeset import ProbeSet
from engine.network import BackwardPass, ForwardPass, Network

Array = np.ndarray

QUANTITIES = ("W", "a", "delta", "grad_W")  # the histogrammed quantities, in the wire's order

DYING = ("relu", "leaky_relu")  # activations whose units can die
SATURATING = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99)}  # a outside (low, high) is saturated
SATURATED_SHARE = 0.5  # a unit is saturated when it is so on more than this share of the probe samples


@dataclass(frozen=True)
class LayerStats:
    """One layer's statistics on the probe (see the module docstring) and its histogrammed values."""

    layer: int
    units: int
    activation: str
    weight_norm: float
    grad_norm: float
    update_ratio: float | None
    dead_fraction: float | None
    saturated_fraction: float | None
    values: dict[str, Array]  # QUANTITIES → the values (not copied: use them before the network changes)


@dataclass(frozen=True)
class Measurement:
    """Every layer's statistics at one pass, and the total loss J (with the penalty) on the probe."""

    pass_index: int
    probe_loss: float
    layers: list[LayerStats]


def dead_fraction(name: str, z: Array, a: Array) -> float | None:
    """The share of a layer's units dead on every row of a batch (z, a are m × n_l); None if it cannot die."""
    if name not in DYING or z.shape[0] == 0:
        return None
    dead = (a == 0).all(axis=0) if name == "relu" else (z < 0).all(axis=0)
    return float(np.count_nonzero(dead)) / z.shape[1]


def saturated_fraction(name: str, a: Array) -> float | None:
    """The share of a layer's units saturated on more than SATURATED_SHARE of the rows; None if it cannot."""
    bounds = SATURATING.get(name)
    if bounds is None or a.shape[0] == 0:
        return None
    low, high = bounds
    share = ((a < low) | (a > high)).mean(axis=0)
    return float(np.count_nonzero(share > SATURATED_SHARE)) / a.shape[1]


def update_ratio(W: Array, step: Array | None) -> float | None:
    """‖ΔW‖ / ‖W‖ of the last update (None before any, or for all-zero weights)."""
    if step is None:
        return None
    norm = float(np.linalg.norm(W))
    return float(np.linalg.norm(step)) / norm if norm > 0 else None


def measure(network: Network, probe: ProbeSet, pass_index: int, last_steps: Sequence[Array] | None) -> Measurement:
    """The statistics of every layer at this moment; `last_steps` are the last update's [ΔW^1, Δb^1, …]."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fwd = network.forward(probe.X)
        loss = network.total_loss(fwd, probe.Y)
        bwd = network.backward(fwd, probe.Y, regularize=False)
    layers = []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging network's norms may overflow: inf is the answer
        for l in range(1, network.L + 1):  # noqa: E741 (the seed's name for a layer)
            layers.append(_layer(network, fwd, bwd, l, last_steps))
    return Measurement(pass_index, float(loss), layers)


def _layer(
    network: Network, fwd: ForwardPass, bwd: BackwardPass, layer: int, last_steps: Sequence[Array] | None
) -> LayerStats:
    """Layer `layer`'s statistics from the probe's forward and backward pass."""
    W, z, a = network.W[layer - 1], fwd.z[layer - 1], fwd.a[layer]
    name = network.activations[layer - 1].name
    step = last_steps[2 * (layer - 1)] if last_steps is not None else None
    return LayerStats(
        layer=layer,
        units=network.sizes[layer],
        activation=name,
        weight_norm=float(np.linalg.norm(W)),
        grad_norm=float(np.linalg.norm(bwd.grad_W[layer - 1])),
        update_ratio=update_ratio(W, step),
        dead_fraction=dead_fraction(name, z, a),
        saturated_fraction=saturated_fraction(name, a),
        values={"W": W, "a": a, "delta": bwd.delta[layer - 1], "grad_W": bwd.grad_W[layer - 1]},
    )
