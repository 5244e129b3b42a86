"""Session quantities on a live Stepper: counters, whole-set losses, hyperparameters in force, gradient norms
and their ratio on a case worked by hand, dead units, distinct units, and arguments out of range."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from engine.initializers import InitSpec
from engine.lessons.conditions import evaluate, parse
from engine.lessons.quantities import APP_PROVIDED, VOCABULARY, SessionQuantities
from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.regularization import Regularization
from engine.stepper import Stepper
from engine.training import Trainer, TrainingConfig


def _stepper(
    sizes: Sequence[int],
    activations: Sequence[str],
    loss: str,
    X: np.ndarray,
    Y: np.ndarray,
    init: InitSpec,
    *,
    X_test: np.ndarray | None = None,
    Y_test: np.ndarray | None = None,
    optimizer: OptimizerConfig | None = None,
    classification: bool = False,
    batch_size: int = 2,
) -> Stepper:
    network = Network.build(list(sizes), list(activations), loss, init)
    config = TrainingConfig(optimizer or OptimizerConfig("sgd", 0.1), batch_size, Regularization())
    trainer = Trainer(network, X, Y, X_test=X_test, Y_test=Y_test, config=config, classification=classification)
    return Stepper(trainer)


RNG = np.random.default_rng(5)
X4 = RNG.normal(size=(8, 2))
Y4 = (X4[:, :1] * X4[:, 1:] > 0).astype(float)


def _classifier(**kwargs) -> Stepper:
    return _stepper((2, 3, 1), ("tanh", "sigmoid"), "bce", X4, Y4, InitSpec(seed=1), classification=True, **kwargs)


def test_the_vocabulary_resolves_every_name_but_the_apps() -> None:
    quantities = SessionQuantities(_classifier())
    for name, arities in VOCABULARY.items():
        if name in APP_PROVIDED:
            continue
        value = quantities(name, (1.0,) * max(arities))
        assert isinstance(value, int | float | str), name
    assert {"init", "diverged"} == APP_PROVIDED


def test_app_provided_names_come_from_the_app() -> None:
    quantities = SessionQuantities(_classifier(), {"init": "zeros", "diverged": 2})
    assert quantities("init") == "zeros" and quantities("diverged") == 2
    with pytest.raises(ValueError, match="'diverged' is provided by the app"):
        SessionQuantities(_classifier())("diverged")


def test_counters_follow_the_stepper() -> None:
    stepper = _classifier()
    stepper.step("phase", 3)
    q = SessionQuantities(stepper)
    assert (q("passes"), q("position"), q("phases"), q("epochs")) == (0, 3, 3, 0)
    stepper.step("phase", 4)  # the rest of pass 1 (6 phases for L = 2), then F1 of pass 2
    q = SessionQuantities(stepper)
    assert (q("passes"), q("position"), q("phases")) == (1, 1, 7)
    stepper.step("epoch", 1)
    assert SessionQuantities(stepper)("epochs") == 1


def test_losses_and_accuracies_are_on_the_whole_sets_at_the_current_weights() -> None:
    X_test, Y_test = X4[:3] * 2, Y4[:3]
    stepper = _classifier(X_test=X_test, Y_test=Y_test)
    stepper.train(5)
    net = stepper.trainer.network
    train_out, test_out = net.predict(X4), net.predict(X_test)
    train_bce = -np.mean(Y4 * np.log(train_out) + (1 - Y4) * np.log(1 - train_out))
    test_bce = -np.mean(Y_test * np.log(test_out) + (1 - Y_test) * np.log(1 - test_out))
    q = SessionQuantities(stepper)
    assert q("train_loss") == pytest.approx(train_bce, rel=1e-12)
    assert q("test_loss") == pytest.approx(test_bce, rel=1e-12)
    assert q("train_accuracy") == np.mean((train_out > 0.5) == (Y4 > 0.5))
    assert q("test_accuracy") == np.mean((test_out > 0.5) == (Y_test > 0.5))
    assert q("batch_loss") == stepper.trainer.metrics.batch_loss.y[-1]


def test_without_a_test_set_or_for_regression_the_missing_numbers_are_nan() -> None:
    stepper = _stepper((2, 1), ("linear",), "mse", X4, Y4, InitSpec(seed=0))
    q = SessionQuantities(stepper)
    assert math.isnan(q("test_loss")) and math.isnan(q("test_accuracy")) and math.isnan(q("train_accuracy"))
    assert math.isnan(q("batch_loss"))  # no pass yet


def test_architecture_quantities() -> None:
    q = SessionQuantities(_classifier())
    assert (q("L"), q("layers"), q("parameters")) == (2, 3, 3 * 2 + 3 + 3 + 1)
    assert [q("width", (float(layer),)) for layer in range(3)] == [2, 3, 1]
    assert (q("activation", (1.0,)), q("activation", (2.0,)), q("loss")) == ("tanh", "sigmoid", "bce")


def test_hyperparameters_are_those_in_force_for_the_next_pass() -> None:
    stepper = _classifier(optimizer=OptimizerConfig("momentum", 0.05, momentum=0.8))
    q = SessionQuantities(stepper)
    assert (q("optimizer"), q("learning_rate"), q("momentum"), q("batch_size")) == ("momentum", 0.05, 0.8, 2)
    assert (q("regularization"), q("regularization_rate")) == ("none", 0.0)
    stepper.step("phase", 2)  # an open pass: the change waits, but it is the one in force next
    stepper.apply_config(TrainingConfig(OptimizerConfig("adam", 0.01), 4, Regularization("l2", 0.003)))
    q = SessionQuantities(stepper)
    assert (q("optimizer"), q("learning_rate"), q("momentum"), q("batch_size")) == ("adam", 0.01, 0.0, 4)
    assert (q("regularization"), q("regularization_rate")) == ("l2", 0.003)


def test_grad_ratio_on_a_chain_of_two_linear_neurons() -> None:
    # x = 1, y = 0, W¹ = a, W² = c, no biases: ŷ = c a, J = (c a)², ∂J/∂W² = 2 c a · a, ∂J/∂W¹ = 2 c a · c,
    # so ‖∂J/∂W¹‖ / ‖∂J/∂W²‖ = c / a.
    a, c = 0.5, 2.0
    stepper = _stepper(
        (1, 1, 1),
        ("linear", "linear"),
        "mse",
        np.array([[1.0]]),
        np.array([[0.0]]),
        InitSpec(weights=[[[a]], [[c]]], biases=[[0.0], [0.0]]),
        batch_size=1,
    )
    q = SessionQuantities(stepper)
    assert q("grad_norm", (1.0,)) == pytest.approx(2 * c * a * c, rel=1e-15)
    assert q("grad_norm", (2.0,)) == pytest.approx(2 * c * a * a, rel=1e-15)
    assert q("grad_ratio", (1.0, 2.0)) == pytest.approx(c / a, rel=1e-15)
    assert q("grad_ratio", (2.0, 1.0)) == pytest.approx(a / c, rel=1e-15)


def test_grad_ratio_of_two_zero_gradients_is_nan() -> None:
    stepper = _stepper(
        (1, 1, 1), ("linear", "linear"), "mse", np.array([[1.0]]), np.array([[0.0]]), InitSpec(scheme="zeros")
    )
    assert math.isnan(SessionQuantities(stepper)("grad_ratio", (1.0, 2.0)))


def _relu_stepper(hidden: str, bias: float) -> Stepper:
    """Two hidden layers of 3 units with zero weights and the same bias: dead for a negative bias."""
    zeros = [[0.0, 0.0]] * 3
    return _stepper(
        (2, 3, 3, 1),
        (hidden, hidden, "sigmoid"),
        "bce",
        X4,
        Y4,
        InitSpec(weights=[zeros, [[0.0] * 3] * 3, [[1.0, 1.0, 1.0]]], biases=[[bias] * 3, [bias] * 3, [0.0]]),
        classification=True,
    )


def test_every_relu_dead_gives_a_dead_fraction_of_one() -> None:
    q = SessionQuantities(_relu_stepper("relu", -1.0))
    assert q("dead_fraction") == 1.0
    assert q("dead_fraction", (1.0,)) == 1.0 and q("dead_fraction", (2.0,)) == 1.0
    assert q("dead_fraction", (3.0,)) == 0.0  # the sigmoid output is never dead
    assert SessionQuantities(_relu_stepper("relu", 0.5))("dead_fraction") == 0.0


def test_a_relu_with_z_exactly_zero_everywhere_is_dead_but_a_leaky_one_is_not() -> None:
    assert SessionQuantities(_relu_stepper("relu", 0.0))("dead_fraction") == 1.0  # a = 0 for every sample
    assert SessionQuantities(_relu_stepper("leaky_relu", 0.0))("dead_fraction") == 0.0  # z < 0 nowhere
    assert SessionQuantities(_relu_stepper("leaky_relu", -1.0))("dead_fraction") == 1.0


def test_dead_fraction_counts_units_dead_for_every_sample_only() -> None:
    # Unit 1 of the single hidden layer is alive for the samples with x₁ > 0 only; unit 2 for none of them.
    stepper = _stepper(
        (2, 2, 1),
        ("relu", "sigmoid"),
        "bce",
        X4,
        Y4,
        InitSpec(weights=[[[1.0, 0.0], [0.0, 0.0]], [[1.0, 1.0]]], biases=[[0.0, -1.0], [0.0]]),
        classification=True,
    )
    assert (X4[:, 0] > 0).any()
    assert SessionQuantities(stepper)("dead_fraction") == 0.5


def test_without_hidden_layers_nothing_is_dead() -> None:
    assert SessionQuantities(_stepper((2, 1), ("relu",), "mse", X4, Y4, InitSpec()))("dead_fraction") == 0.0


def test_zero_initialization_leaves_one_distinct_unit_per_layer() -> None:
    stepper = _stepper((2, 4, 1), ("sigmoid", "sigmoid"), "bce", X4, Y4, InitSpec(scheme="zeros"), classification=True)
    stepper.train(50)
    q = SessionQuantities(stepper)
    assert q("distinct_units", (1.0,)) == 1
    assert not np.all(stepper.trainer.network.W[0] == 0)  # it did learn, in lockstep
    random = _stepper((2, 4, 1), ("sigmoid", "sigmoid"), "bce", X4, Y4, InitSpec(seed=0), classification=True)
    assert SessionQuantities(random)("distinct_units", (1.0,)) == 4


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("grad_norm", (3.0,), r"grad_norm\(3\): the layer must be a whole number from 1 to L = 2"),
        ("width", (-1.0,), r"width\(-1\): the layer must be a whole number from 0 to L = 2"),
        ("activation", (1.5,), r"activation\(1.5\): the layer must be a whole number"),
        ("dead_fraction", (math.nan,), r"dead_fraction\(nan\)"),
        ("nonsense", (), "unknown quantity 'nonsense'"),
        ("width", (), r"'width' takes 1 argument\(s\), not 0"),
    ],
)
def test_a_layer_out_of_range_is_refused_with_the_range(name: str, args: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SessionQuantities(_classifier())(name, args)


def test_conditions_evaluate_on_a_live_session() -> None:
    stepper = _classifier()
    stepper.train(20)
    condition = parse("passes >= 20 and grad_ratio(1, L) > 0 and activation(L) = 'sigmoid'", VOCABULARY)
    passed, detail = evaluate(condition, SessionQuantities(stepper))
    assert passed, detail
    assert detail.startswith("passes = 20 (target ≥ 20) ✓; grad_ratio(1, L) = ")
