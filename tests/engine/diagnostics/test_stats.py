"""Layer statistics on constructed networks whose answers are known: every ReLU dead, every sigmoid saturated, a
deep sigmoid chain whose gradient ratio is computed here by hand, the update ratio of one SGD pass."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.diagnostics.flags import VANISHING_RATIO, health_flags
from engine.diagnostics.probeset import PROBE_MAX_SAMPLES, PROBE_MIN_SAMPLES, probe_set, probe_size
from engine.diagnostics.stats import measure
from engine.initializers import InitSpec
from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.training import Trainer, TrainingConfig


def fixed(sizes, activations, weights, biases, loss="half_sse") -> Network:
    return Network.build(sizes, activations, loss=loss, init=InitSpec(weights=weights, biases=biases))


def inputs(m: int = 40, n: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (m, n))


def test_a_network_whose_every_relu_is_dead_measures_dead_fraction_one_and_is_flagged():
    # z¹ = W¹x + b¹ with b¹ = −10 and |W¹x| ≤ 2: z¹ < 0, so a¹ = 0 for every sample.
    net = fixed([2, 3, 1], ["relu", "sigmoid"], [[[1, 1], [1, -1], [-1, 1]], [[1, 1, 1]]], [[-10, -10, -10], [0]])
    X = inputs()
    trainer = Trainer(net, X, np.zeros((40, 1)))
    m = measure(net, probe_set(X, trainer.Y_train, net.parameter_count), 0, None)
    layer1 = m.layers[0]
    assert layer1.dead_fraction == 1.0
    assert layer1.grad_norm == 0.0  # no gradient reaches a dead unit's weights
    assert m.layers[1].dead_fraction is None  # sigmoid cannot die
    flags = [f for f in health_flags(m) if f.kind == "dead_units"]
    assert [(f.layer, f.value) for f in flags] == [(1, 1.0)]
    assert "100% of layer 1's units are dead (3 of 3" in flags[0].message


def test_leaky_relu_units_count_as_dead_when_z_is_negative_for_every_sample():
    net = fixed([2, 2, 1], ["leaky_relu", "linear"], [[[1, 0], [0, 1]], [[1, 1]]], [[-5, 0.0], [0]])
    X = inputs()
    m = measure(net, probe_set(X, np.zeros((40, 1)), net.parameter_count), 0, None)
    assert m.layers[0].dead_fraction == 0.5  # unit 1 (z ≤ −4) is dead, unit 2 (z = x₂ of either sign) is not


def test_sigmoid_units_saturated_on_most_samples_count_and_only_hidden_layers_are_flagged():
    # z¹ = ±50 x₁ + 10 ≥ 10 for |x₁| ≤ 0.2: a > 0.99 everywhere; the output's z = 10 Σa also saturates.
    X = inputs() * 0.2
    net = fixed([2, 2, 1], ["sigmoid", "sigmoid"], [[[50, 0], [-50, 0]], [[10, 10]]], [[10, 10], [0]])
    m = measure(net, probe_set(X, np.ones((40, 1)), net.parameter_count), 0, None)
    assert m.layers[0].saturated_fraction == 1.0 and m.layers[1].saturated_fraction == 1.0
    flags = [f for f in health_flags(m) if f.kind == "saturated"]
    assert [(f.layer, f.value) for f in flags] == [(1, 1.0)]  # not the output layer: a confident output is fine


def test_tanh_saturation_uses_absolute_activation_and_relu_has_none():
    X = inputs()
    net = fixed([2, 2, 1], ["tanh", "relu"], [[[0, 0], [0, 0]], [[1, 1]]], [[3, 0.5], [0]])
    m = measure(net, probe_set(X, np.ones((40, 1)), net.parameter_count), 0, None)
    assert m.layers[0].saturated_fraction == 0.5  # tanh(3) = 0.995 > 0.99; tanh(0.5) is not
    assert m.layers[1].saturated_fraction is None and m.layers[1].dead_fraction == 0.0


def test_a_deep_sigmoid_chain_has_the_gradient_ratio_the_chain_rule_gives_and_it_vanishes():
    depth = 8  # one unit per layer: 7 sigmoid layers, then a linear output
    weights = [[[1.0]]] * depth
    net = fixed([1] * (depth + 1), ["sigmoid"] * (depth - 1) + ["linear"], weights, [[0.0]] * depth)
    x, y = 1.0, 0.0
    # By hand: a^l = σ(a^{l−1}) for the sigmoid layers; δ^L = a^L − y (half_sse, linear); δ^l = w δ^{l+1} σ'(z^l).
    a = [x]
    for _ in range(depth - 1):
        a.append(1 / (1 + math.exp(-a[-1])))
    a.append(a[-1])  # the linear output: z^L = a^{L−1}
    delta = a[-1] - y
    delta_L = delta
    for l in range(depth - 1, 0, -1):  # noqa: E741
        delta *= a[l] * (1 - a[l])
    expected = abs(delta * a[0]) / abs(delta_L * a[depth - 1])  # |δ¹ x| / |δ^L a^{L−1}|
    X, Y = np.array([[x]]), np.array([[y]])
    m = measure(net, probe_set(X, Y, net.parameter_count), 0, None)
    assert m.layers[0].grad_norm / m.layers[-1].grad_norm == pytest.approx(expected, rel=1e-12)
    flag = next(f for f in health_flags(m) if f.kind == "vanishing")
    assert flag.value == pytest.approx(expected, rel=1e-12) and expected < VANISHING_RATIO
    assert flag.layer is None and flag.lesson == "03-vanishing-gradients"
    assert "Sigmoid's f'(z) ≤ ¼" in flag.message and "of layer 8's" in flag.message


def test_update_ratio_is_the_last_steps_norm_over_the_new_weights_norm():
    X = inputs()
    Y = (X[:, :1] > 0).astype(float)
    net = Network.build([2, 4, 1], ["tanh", "sigmoid"], loss="bce")
    config = TrainingConfig(optimizer=OptimizerConfig("sgd", 0.5), batch_size=40)
    trainer = Trainer(net, X, Y, config=config)
    probe = probe_set(X, Y, net.parameter_count)
    assert all(s.update_ratio is None for s in measure(net, probe, 0, trainer.last_steps).layers)
    steps = trainer.finish_pass(trainer.begin_pass())
    m = measure(net, probe, 1, trainer.last_steps)
    for l, s in enumerate(m.layers):  # noqa: E741
        assert s.update_ratio == pytest.approx(np.linalg.norm(steps[2 * l]) / np.linalg.norm(net.W[l]), rel=1e-12)
        assert s.weight_norm == pytest.approx(np.linalg.norm(net.W[l]), rel=1e-15)


def test_restoring_a_checkpoint_forgets_the_last_update():
    X = inputs()
    trainer = Trainer(Network.build([2, 3, 1]), X, np.zeros((40, 1)))
    frame = trainer.checkpoint()
    trainer.run_passes(3)
    assert trainer.last_steps is not None
    trainer.restore(frame)
    assert trainer.last_steps is None


def test_the_probe_is_the_training_set_up_to_its_cap_with_fewer_rows_for_big_networks():
    assert probe_size(40, 100) == 40
    assert probe_size(10_000, 100) == PROBE_MAX_SAMPLES
    assert probe_size(10_000, 1_000_000) == 20  # 2·10⁷ multiply-adds / 10⁶ parameters
    assert probe_size(10_000, 10**9) == PROBE_MIN_SAMPLES
    X = np.arange(1000.0)[:, None]
    probe = probe_set(X, X, 100)
    assert probe.size == PROBE_MAX_SAMPLES and probe.X[0, 0] == 0 and probe.X[-1, 0] == 999
    assert np.all(np.diff(probe.indices) > 0)
