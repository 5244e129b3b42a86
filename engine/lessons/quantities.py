"""The session quantities a lesson's conditions may name, computed on a live Stepper and its Trainer.

Losses, accuracies, gradient norms and dead units are measured on the whole training (or test) set at the
current weights — during an open pass, the pass's starting weights, as the weights change only at `update`.
Hyperparameters are the ones in force for the next pass (a change made during an open pass counts at once).
`init` and `diverged` are the app's (the session's configuration, refusals it has counted); the engine only
declares them, and the app passes their values in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from engine.lessons.conditions import Value
from engine.metrics import evaluate
from engine.network import BackwardPass, ForwardPass
from engine.stepper import Stepper
from engine.training import TrainingConfig

# Each name and the argument counts it takes; documented one by one in docs/lessons.md.
VOCABULARY: dict[str, tuple[int, ...]] = {
    "passes": (0,),
    "epochs": (0,),
    "position": (0,),
    "phases": (0,),
    "L": (0,),
    "train_loss": (0,),
    "test_loss": (0,),
    "train_accuracy": (0,),
    "test_accuracy": (0,),
    "batch_loss": (0,),
    "parameters": (0,),
    "layers": (0,),
    "width": (1,),
    "learning_rate": (0,),
    "batch_size": (0,),
    "momentum": (0,),
    "regularization_rate": (0,),
    "optimizer": (0,),
    "activation": (1,),
    "loss": (0,),
    "init": (0,),
    "regularization": (0,),
    "grad_norm": (1,),
    "grad_ratio": (2,),
    "dead_fraction": (0, 1),
    "distinct_units": (1,),
    "diverged": (0,),
}

APP_PROVIDED = frozenset({"init", "diverged"})  # the app knows these (configuration, refusals it counted)

DISTINCT_TOLERANCE = 1e-12  # two rows of W^l closer than this everywhere are the same unit


def _quiet() -> np.errstate:
    """Overflow on the way to a refused pass is expected (huge weights give J = inf): a value, not a warning."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


class SessionQuantities:
    """`resolve(name, args)` for `conditions.evaluate`, on one stepper at one moment. Whole-set passes are
    computed once per instance, so make a new one for each check."""

    def __init__(self, stepper: Stepper, provided: Mapping[str, Value] | None = None) -> None:
        self.stepper = stepper
        self.trainer = stepper.trainer
        self.network = stepper.trainer.network
        self.provided = dict(provided or {})
        self._forward: ForwardPass | None = None
        self._backward: BackwardPass | None = None
        self._evaluated: dict[str, float | None] | None = None

    def __call__(self, name: str, args: tuple[float, ...] = ()) -> Value:
        if name in APP_PROVIDED:
            if name not in self.provided:
                raise ValueError(f"'{name}' is provided by the app, which did not give it")
            return self.provided[name]
        if name not in VOCABULARY:
            raise ValueError(f"unknown quantity '{name}'")
        if len(args) not in VOCABULARY[name]:
            counts = " or ".join(map(str, VOCABULARY[name]))
            raise ValueError(f"'{name}' takes {counts} argument(s), not {len(args)}")
        resolver: Callable[[tuple[float, ...]], Value] = getattr(self, name)
        return resolver(args)

    # -- counters -----------------------------------------------------------------------------------------
    def passes(self, args: tuple[float, ...]) -> float:
        return self.trainer.pass_index

    def epochs(self, args: tuple[float, ...]) -> float:
        return self.trainer.epoch

    def position(self, args: tuple[float, ...]) -> float:
        return self.stepper.position

    def phases(self, args: tuple[float, ...]) -> float:
        """Phases shown since the start: passes × (2L + 2) + position."""
        return self.trainer.pass_index * self.stepper.phases_per_pass + self.stepper.position

    # -- losses and accuracies ------------------------------------------------------------------------------
    def _metrics(self) -> dict[str, float | None]:
        if self._evaluated is None:
            trainer, net = self.trainer, self.network
            with _quiet():
                train_loss, train_accuracy = evaluate(net, trainer.X_train, trainer.Y_train, trainer.classification)
                test_loss, test_accuracy = evaluate(net, trainer.X_test, trainer.Y_test, trainer.classification)
            self._evaluated = {
                "train_loss": train_loss,
                "train_accuracy": train_accuracy,
                "test_loss": test_loss,
                "test_accuracy": test_accuracy,
            }
        return self._evaluated

    def _metric(self, name: str) -> float:
        value = self._metrics()[name]
        return math.nan if value is None else float(value)

    def train_loss(self, args: tuple[float, ...]) -> float:
        return self._metric("train_loss")

    def test_loss(self, args: tuple[float, ...]) -> float:
        return self._metric("test_loss")

    def train_accuracy(self, args: tuple[float, ...]) -> float:
        return self._metric("train_accuracy")

    def test_accuracy(self, args: tuple[float, ...]) -> float:
        return self._metric("test_accuracy")

    def batch_loss(self, args: tuple[float, ...]) -> float:
        """J of the last completed pass's batch (penalty included, as the loss chart shows it)."""
        losses = self.trainer.metrics.batch_loss.y
        return math.nan if not losses or losses[-1] is None else float(losses[-1])

    # -- architecture ---------------------------------------------------------------------------------------
    def L(self, args: tuple[float, ...]) -> float:
        return self.network.L

    def parameters(self, args: tuple[float, ...]) -> float:
        return self.network.parameter_count

    def layers(self, args: tuple[float, ...]) -> float:
        """How many layers, the input included (the length of the configuration's `layers`)."""
        return len(self.network.sizes)

    def width(self, args: tuple[float, ...]) -> float:
        return self.network.sizes[self._layer("width", args[0], lowest=0)]

    def activation(self, args: tuple[float, ...]) -> Value:
        return self.network.activations[self._layer("activation", args[0]) - 1].name

    def loss(self, args: tuple[float, ...]) -> Value:
        return self.network.loss.name

    # -- hyperparameters ------------------------------------------------------------------------------------
    @property
    def _config(self) -> TrainingConfig:
        return self.stepper.pending_config or self.trainer.config

    def learning_rate(self, args: tuple[float, ...]) -> float:
        return self._config.optimizer.learning_rate

    def batch_size(self, args: tuple[float, ...]) -> float:
        return self._config.batch_size

    def momentum(self, args: tuple[float, ...]) -> float:
        """μ of the momentum optimizer; 0 for the others (sgd has none, adam's β₁ is its own setting)."""
        optimizer = self._config.optimizer
        return optimizer.momentum if optimizer.name == "momentum" else 0.0

    def optimizer(self, args: tuple[float, ...]) -> Value:
        return self._config.optimizer.name

    def regularization(self, args: tuple[float, ...]) -> Value:
        return self._config.regularization.kind

    def regularization_rate(self, args: tuple[float, ...]) -> float:
        reg = self._config.regularization
        return reg.rate if reg.kind != "none" else 0.0

    # -- gradients and units --------------------------------------------------------------------------------
    def _passes(self) -> tuple[ForwardPass, BackwardPass]:
        if self._forward is None or self._backward is None:
            X, Y = self.trainer.X_train, self.trainer.Y_train
            with _quiet():
                self._forward = self.network.forward(X)
                self._backward = self.network.backward(self._forward, Y, regularize=False)
        return self._forward, self._backward

    def grad_norm(self, args: tuple[float, ...]) -> float:
        """‖∂J/∂W^l‖ (Frobenius) of the data loss J on the whole training set."""
        layer = self._layer("grad_norm", args[0])
        return float(np.linalg.norm(self._passes()[1].grad_W[layer - 1]))

    def grad_ratio(self, args: tuple[float, ...]) -> float:
        """grad_norm(a) / grad_norm(b); NaN when both are 0."""
        top, bottom = self.grad_norm(args[:1]), self.grad_norm(args[1:])
        if bottom == 0:
            return math.nan if top == 0 else math.inf
        return top / bottom

    def dead_fraction(self, args: tuple[float, ...]) -> float:
        """The share of layer l's units (of every hidden unit without an argument) that are dead on the whole
        training set: ReLU with a = 0 for every sample, leaky ReLU with z < 0 for every sample."""
        net = self.network
        layers = [self._layer("dead_fraction", args[0])] if args else list(range(1, net.L))
        units = sum(net.sizes[layer] for layer in layers)
        if units == 0:
            return 0.0
        return sum(self._dead_units(layer) for layer in layers) / units

    def _dead_units(self, layer: int) -> int:
        name = self.network.activations[layer - 1].name
        if name not in ("relu", "leaky_relu"):
            return 0
        fwd = self._passes()[0]
        dead = (fwd.a[layer] == 0).all(axis=0) if name == "relu" else (fwd.z[layer - 1] < 0).all(axis=0)
        return int(np.count_nonzero(dead))

    def distinct_units(self, args: tuple[float, ...]) -> float:
        """How many different rows W^l has (rows within 1e-12 of each other count once)."""
        W = self.network.W[self._layer("distinct_units", args[0]) - 1]
        kept: list[np.ndarray] = []
        for row in W:
            if not any(np.max(np.abs(row - other)) <= DISTINCT_TOLERANCE for other in kept):
                kept.append(row)
        return len(kept)

    # -- arguments ------------------------------------------------------------------------------------------
    def _layer(self, name: str, value: float, lowest: int = 1) -> int:
        """A layer argument as an index, checked against this network (0 is the input, L the output)."""
        L = self.network.L
        if not (math.isfinite(value) and value == int(value) and lowest <= value <= L):
            raise ValueError(
                f"{name}({value:g}): the layer must be a whole number from {lowest} to L = {L} (this network's "
                f"layers after the input); write L for the output layer"
            )
        return int(value)
