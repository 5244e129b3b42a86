"""What each unit of a layer computes: TensorFlow Playground's small pictures of the hidden neurons.

For 2-D inputs, every unit's a^l_j over a grid of the input plane (the grid the decision boundary is drawn on,
engine/probe.py's). For any input, the probe samples as layer l sees them: its unit activations directly when it
has one or two units, else their projection on the first two principal axes — chosen once, from the activations
when first asked, and kept, so the picture moves with the training instead of spinning between frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.network import Network
from engine.probe import output_grid

Array = np.ndarray

GRID_MAX_VALUES = 250_000  # units × grid points in one answer (about 5 MB of JSON); a wide layer gets a coarser grid
GRID_MIN_RESOLUTION = 8


@dataclass(frozen=True)
class UnitGrid:
    """values[j][i][k]: unit j's a^l at (xs[k], ys[i])."""

    xs: Array
    ys: Array
    values: Array


@dataclass(frozen=True)
class Projection:
    """Fixed 2-D axes of a layer's activation space: the mean and two principal directions (rows)."""

    mean: Array
    axes: Array


@dataclass(frozen=True)
class UnitScatter:
    """The probe samples in layer l's space: `points` m × 2; `axes` "units" or "pca"; `explained` the share of
    the activations' variance along each fixed axis, now (None for "units")."""

    points: Array
    axes: str
    explained: tuple[float, float] | None


def grid_resolution(units: int, resolution: int) -> int:
    """The boundary's resolution, lowered for a layer so wide that its pictures would exceed GRID_MAX_VALUES."""
    fits = int((GRID_MAX_VALUES / max(1, units)) ** 0.5)
    return max(GRID_MIN_RESOLUTION, min(resolution, fits))


def unit_grid(
    network: Network,
    layer: int,
    domain: Array,
    normalize: Callable[[Array], Array] | None,
    resolution: int = 50,
    margin: float = 0.1,
) -> UnitGrid:
    """Every unit of layer `layer` over the raw input plane (2 features), on output_grid's axes."""
    resolution = grid_resolution(network.sizes[layer], resolution)
    grid = output_grid(network, domain, resolution=resolution, margin=margin)  # for its axes
    assert grid is not None and grid.ys is not None, "unit_grid needs two input features"
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    raw = np.column_stack([gx.ravel(), gy.ravel()])
    X = normalize(raw) if normalize is not None else raw
    with np.errstate(over="ignore", invalid="ignore"):
        a = network.forward(np.asarray(X, dtype=network.dtype)).a[layer]
    values = a.T.reshape(a.shape[1], len(grid.ys), len(grid.xs)).astype(np.float64)
    return UnitGrid(grid.xs, grid.ys, values)


def fit_projection(a: Array) -> Projection:
    """The mean and the first two principal axes of activations a (m × n, n > 2)."""
    mean = a.mean(axis=0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    axes = vt[:2]
    for row in axes:  # a sign convention, so the same data always gives the same picture
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    return Projection(mean, axes)


def unit_scatter(network: Network, layer: int, X: Array, projection: Projection | None) -> UnitScatter:
    """The samples X as layer `layer` sees them; `projection` is required when the layer has more than 2 units."""
    with np.errstate(over="ignore", invalid="ignore"):
        a = network.forward(X).a[layer].astype(np.float64)
    n = a.shape[1]
    if n <= 2:
        points = a if n == 2 else np.column_stack([a[:, 0], np.zeros(a.shape[0])])
        return UnitScatter(points, "units", None)
    assert projection is not None
    centred = a - projection.mean
    points = centred @ projection.axes.T
    total = float((centred - centred.mean(axis=0)).var(axis=0).sum())
    explained = tuple(float(v) / total if total > 0 else 0.0 for v in points.var(axis=0))
    return UnitScatter(points, "pca", (explained[0], explained[1]))
