"""The loss landscape: its centre is the current loss exactly, its grid is symmetric under flipping a direction's
sign, its directions are filter-normalized and seeded, and the path projects known points to their coordinates."""

from __future__ import annotations

import numpy as np
import pytest

from engine.diagnostics import landscape
from engine.diagnostics.probeset import probe_set
from engine.diagnostics.stats import measure
from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.regularization import Regularization
from engine.training import Trainer, TrainingConfig


def trained(passes: int = 60) -> Trainer:
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (80, 2))
    Y = ((X[:, :1] ** 2 + X[:, 1:] ** 2) < 0.5).astype(float)
    net = Network.build([2, 6, 5, 1], ["tanh", "relu", "sigmoid"], loss="bce")
    config = TrainingConfig(OptimizerConfig("sgd", 0.3), 16, Regularization("l2", 1e-3))
    trainer = Trainer(net, X, Y, config=config, classification=True)
    trainer.run_passes(passes)
    return trainer


def test_the_centre_of_the_grid_is_the_current_probe_loss_to_1e_12():
    trainer = trained()
    probe = probe_set(trainer.X_train, trainer.Y_train, trainer.network.parameter_count)
    result = landscape.compute(trainer.network, probe.X, probe.Y, pass_index=trainer.pass_index, resolution=9)
    current = measure(trainer.network, probe, trainer.pass_index, trainer.last_steps).probe_loss
    assert result.loss[4, 4] == pytest.approx(current, abs=1e-12)
    assert result.center_loss == pytest.approx(current, abs=1e-12)
    assert result.alphas[4] == 0.0 and result.betas[4] == 0.0


def test_the_grid_is_symmetric_under_direction_sign_flips():
    trainer = trained()
    net, X, Y = trainer.network, trainer.X_train, trainer.Y_train
    d1, d2 = landscape.directions(net.W, seed=7)
    axis = landscape.axis(7, 0.8)
    grid = landscape.surface(net, X, Y, d1, d2, axis, axis)
    minus_d1 = landscape.surface(net, X, Y, [-d for d in d1], d2, axis, axis)
    minus_d2 = landscape.surface(net, X, Y, d1, [-d for d in d2], axis, axis)
    minus_both = landscape.surface(net, X, Y, [-d for d in d1], [-d for d in d2], axis, axis)
    np.testing.assert_allclose(minus_d1, grid[:, ::-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(minus_d2, grid[::-1, :], rtol=0, atol=1e-12)
    np.testing.assert_allclose(minus_both, grid[::-1, ::-1], rtol=0, atol=1e-12)
    assert np.all(axis == -axis[::-1])


def test_directions_are_seeded_and_filter_normalized_row_by_row():
    weights = trained(0).network.W
    d1, d2 = landscape.directions(weights, seed=1)
    again, _ = landscape.directions(weights, seed=1)
    other, _ = landscape.directions(weights, seed=2)
    for W, d, e, o in zip(weights, d1, again, other, strict=True):
        np.testing.assert_allclose(np.linalg.norm(d, axis=1), np.linalg.norm(W, axis=1), rtol=1e-12)
        assert np.array_equal(d, e) and not np.array_equal(d, o)
    assert not all(np.array_equal(a, b) for a, b in zip(d1, d2, strict=True))


def test_points_in_the_plane_project_to_their_coordinates_and_the_path_ends_at_the_origin():
    trainer = trained(0)
    theta = [W.copy() for W in trainer.network.W]
    d1, d2 = landscape.directions(theta, seed=0)
    point = [t + 0.3 * u - 0.2 * v for t, u, v in zip(theta, d1, d2, strict=True)]
    np.testing.assert_allclose(landscape.project([point, theta], theta, d1, d2), [[0.3, -0.2], [0, 0]], atol=1e-12)
    trainer.keyframe()
    trainer.run_passes(64)
    history = [(frame.pass_index, frame.W) for frame in trainer.history]
    result = landscape.compute(
        trainer.network,
        trainer.X_train,
        trainer.Y_train,
        pass_index=trainer.pass_index,
        history=history,
        resolution=3,
    )
    assert result.path_passes[0] == 0 and result.path_passes[-1] == trainer.pass_index == 64
    assert result.path.shape == (len(result.path_passes), 2) and np.all(result.path[-1] == 0)
    assert list(result.path_passes) == sorted(result.path_passes)


def test_the_slice_starts_at_the_current_loss_and_falls_along_minus_the_gradient():
    trainer = trained()
    net, X, Y = trainer.network, trainer.X_train, trainer.Y_train
    result = landscape.compute(net, X, Y, pass_index=trainer.pass_index, resolution=5, learning_rate=0.3)
    assert result.slice_steps[0] == 0 and result.slice_steps[-1] == pytest.approx(4 * 0.3)
    assert result.slice_loss[0] == result.center_loss
    assert result.slice_loss[1] < result.slice_loss[0]  # a small step down the gradient lowers the loss


def test_progress_reaches_the_total_and_a_stop_request_ends_the_computation_without_a_result():
    trainer = trained(0)
    seen = []
    landscape.compute(
        trainer.network,
        trainer.X_train,
        trainer.Y_train,
        pass_index=0,
        resolution=4,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (20, 20) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    calls = iter([False] * 5 + [True])
    stopped = landscape.compute(
        trainer.network,
        trainer.X_train,
        trainer.Y_train,
        pass_index=0,
        resolution=4,
        should_stop=lambda: next(calls),
    )
    assert stopped is None


def test_the_network_is_not_changed_and_the_work_is_counted_in_multiply_adds():
    trainer = trained(0)
    before = [W.copy() for W in trainer.network.W]
    landscape.compute(trainer.network, trainer.X_train, trainer.Y_train, pass_index=0, resolution=3, span=5.0)
    assert all(np.array_equal(a, b) for a, b in zip(before, trainer.network.W, strict=True))
    assert landscape.work(21, 100, 1_000) == (21 * 21 + 21) * 100 * 1_000
