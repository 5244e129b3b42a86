"""Shared builders for the engine tests: small data sets and trainers built in code, and a bitwise view of the
whole training state (weights, optimizer, sampler, counters, metrics) to compare two trainers with."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from engine.history import DEFAULT_HISTORY_BYTES
from engine.initializers import InitSpec
from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.regularization import Regularization
from engine.training import Trainer, TrainingConfig

Array = np.ndarray


def targets_for(loss: str, rng: np.random.Generator, m: int, k: int) -> Array:
    """Targets valid for the loss: 0/1 for bce, one-hot rows for cross_entropy, reals in [0, 1] otherwise."""
    if loss == "bce":
        return rng.integers(0, 2, (m, k)).astype(np.float64)
    if loss == "cross_entropy":
        return np.eye(k)[rng.integers(0, k, m)]
    return rng.uniform(0.0, 1.0, (m, k))


def build_trainer(
    *,
    sizes: Sequence[int] = (2, 4, 3, 1),
    activations: Sequence[str] = ("tanh", "tanh", "sigmoid"),
    loss: str = "bce",
    optimizer: str = "sgd",
    learning_rate: float = 0.1,
    batch_size: int = 4,
    samples: int = 10,
    dtype: str = "float64",
    regularization: Regularization | None = None,
    init: InitSpec | None = None,
    seed: int = 7,
    data_seed: int = 11,
    X: Array | None = None,
    Y: Array | None = None,
    test_samples: int = 0,
    history_bytes: int = DEFAULT_HISTORY_BYTES,
    keyframe_interval: int = 32,
) -> Trainer:
    """A small trainer, deterministic for its arguments; data is drawn from `data_seed` unless given."""
    rng = np.random.default_rng(data_seed)
    if X is None or Y is None:
        X = rng.normal(size=(samples, sizes[0]))
        Y = targets_for(loss, rng, samples, sizes[-1])
    X_test = rng.normal(size=(test_samples, sizes[0])) if test_samples else None
    Y_test = targets_for(loss, rng, test_samples, sizes[-1]) if test_samples else None
    network = Network.build(sizes, list(activations), loss, init or InitSpec(seed=3), dtype=dtype)
    config = TrainingConfig(
        OptimizerConfig(optimizer, learning_rate),
        batch_size,
        Regularization("l2", 1e-3) if regularization is None else regularization,
    )
    return Trainer(
        network,
        X,
        Y,
        X_test=X_test,
        Y_test=Y_test,
        config=config,
        seed=seed,
        classification=loss in ("bce", "cross_entropy"),
        history_bytes=history_bytes,
        keyframe_interval=keyframe_interval,
    )


def capture_state(trainer: Trainer) -> dict[str, Any]:
    """A deep copy of everything the next pass depends on, plus the counters and metrics a step leaves."""
    sampler = trainer.sampler
    log = trainer.metrics
    return {
        "pass_index": trainer.pass_index,
        "W": [W.copy() for W in trainer.network.W],
        "b": [b.copy() for b in trainer.network.b],
        "optimizer": trainer.optimizer.config,
        "optimizer_t": trainer.optimizer.t,
        "optimizer_state": {key: [s.copy() for s in arrays] for key, arrays in trainer.optimizer.state.items()},
        "regularization": trainer.network.regularization,
        "batch_size": sampler.batch_size,
        "epoch": sampler.epoch,
        "cursor": sampler.cursor,
        "order": None if sampler.order is None else sampler.order.copy(),
        "rng": copy.deepcopy(sampler.rng.bit_generator.state),
        "accumulators": trainer.checkpoint().epoch_accumulators,
        "batch_loss": (list(log.batch_loss.x), list(log.batch_loss.y)),
        "epoch_series": [(list(s.x), list(s.y)) for s in log.epoch_series()],
    }


def _same(x: Any, y: Any) -> bool:
    """Bitwise equality of nested arrays, lists, dicts and floats (NaN equals NaN, dtypes must match)."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return (
            isinstance(x, np.ndarray)
            and isinstance(y, np.ndarray)
            and x.dtype == y.dtype
            and np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
        )
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, list | tuple) and isinstance(y, list | tuple):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y, strict=True))
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return x == y


def assert_same_state(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Every part of two captured states is bitwise equal; the message names the parts that differ."""
    assert actual.keys() == expected.keys()
    differing = [key for key in expected if not _same(actual[key], expected[key])]
    assert not differing, f"state differs in {differing}"


def assert_same_records(actual: Sequence[Any], expected: Sequence[Any]) -> None:
    """Phase records of the same types, equal field by field, arrays bitwise."""
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert type(got) is type(want), f"{got.label} is a {type(got).__name__}, expected a {type(want).__name__}"
        fields = vars(want)
        differing = [name for name in fields if not _same(getattr(got, name), fields[name])]
        assert not differing, f"record {want.label} of pass {want.pass_index} differs in {differing}"


@pytest.fixture
def make_trainer() -> Callable[..., Trainer]:
    return build_trainer


@pytest.fixture
def state_of() -> Callable[[Trainer], dict[str, Any]]:
    return capture_state


@pytest.fixture
def same_state() -> Callable[[dict[str, Any], dict[str, Any]], None]:
    return assert_same_state


@pytest.fixture
def same_records() -> Callable[[Sequence[Any], Sequence[Any]], None]:
    return assert_same_records


@pytest.fixture
def make_targets() -> Callable[[str, np.random.Generator, int, int], Array]:
    return targets_for
