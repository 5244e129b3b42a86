"""Hidden-unit views: each unit over the input plane, and the probe in a layer's space on fixed axes."""

from __future__ import annotations

import numpy as np
import pytest

from engine.diagnostics import units
from engine.network import Network


def test_each_units_picture_is_its_activation_at_the_grid_points():
    net = Network.build([2, 3, 1], ["tanh", "sigmoid"])
    domain = np.array([[-1.0, 1.0], [0.0, 2.0]])
    grid = units.unit_grid(net, 1, domain, None, resolution=9)
    assert grid.values.shape == (3, 9, 9)
    x, y = grid.xs[2], grid.ys[5]
    a = net.forward(np.array([[x, y]])).a[1][0]
    np.testing.assert_allclose(grid.values[:, 5, 2], a, rtol=1e-15)


def test_a_wide_layer_gets_a_coarser_grid():
    assert units.grid_resolution(4, 50) == 50
    assert units.grid_resolution(1_000, 50) == 15  # 1,000 × 15² ≤ 250,000
    assert units.grid_resolution(10**6, 50) == units.GRID_MIN_RESOLUTION


def test_two_units_are_drawn_directly_and_wider_layers_on_fixed_principal_axes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    net = Network.build([4, 2, 5, 1], ["tanh", "tanh", "sigmoid"])
    direct = units.unit_scatter(net, 1, X, None)
    assert direct.axes == "units" and np.array_equal(direct.points, net.forward(X).a[1])
    a = net.forward(X).a[2]
    projection = units.fit_projection(a)
    scatter = units.unit_scatter(net, 2, X, projection)
    assert scatter.axes == "pca" and scatter.points.shape == (60, 2)
    variances = np.linalg.svd(a - a.mean(axis=0), compute_uv=False) ** 2
    assert scatter.explained == pytest.approx(tuple(variances[:2] / variances.sum()), rel=1e-9)
    net.W[1] *= 1.5  # the network moves on: the axes stay those chosen first
    moved = units.unit_scatter(net, 2, X, projection)
    np.testing.assert_allclose(moved.points, (net.forward(X).a[2] - projection.mean) @ projection.axes.T, rtol=1e-12)
