"""A session on the wire: its engine objects (stepper, trainer, network, data set) as the schema's models.

Functions of what they are given, with no lock and no math of their own: the Session calls them with its lock
held, so each answer shows one moment; normalization is undone by the engine's `Normalization.invert`, class
labels come from `decode_labels`, the boundary from `output_grid`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pydantic_core

from app import convert, schemas
from engine.batches import EXAMPLE_INDEX
from engine.datasets import Dataset
from engine.datasets.base import decode_labels
from engine.gradcheck import GradientCheck
from engine.metrics import MetricsLog
from engine.network import Network
from engine.probe import output_grid
from engine.stepper import BackResult, Stepper, StepResult, phase_label

MetricsCursor = tuple[int, int]  # how many per-pass and per-epoch points a client has
T = TypeVar("T")

# A loss history sent whole over the WebSocket (a snapshot, a `replace: true` metrics batch) keeps at most this many
# points per series: the page keeps up to 20,000 and draws 600, and 200 watchers joining a session that has played
# for a minute were sent 7 MB each (docs/protocol.md, "Loss history"). REST's GET …/metrics has every point.
HISTORY_POINTS_SENT = 5_000


# ---------------------------------------------------------------------------------------------------------
# The state
# ---------------------------------------------------------------------------------------------------------
class Unchanging:
    """The parts of the state that change rarely — the configuration in force, the data set's summary, the labels
    of a pass's phases — made again only when what they are made from is replaced. Every state (each step's answer,
    each play frame) would otherwise build them anew: they were a third of a phase step's state.

    Keys are compared by identity, not equality: the session replaces its configuration, the trainer's (frozen)
    TrainingConfig and its data set when they change, and never changes them in place; the memo holds the keys, so
    an identity is never reused while it is compared."""

    def __init__(self) -> None:
        self._parts: dict[str, tuple[tuple[Any, ...], Any]] = {}

    def get(self, name: str, sources: tuple[Any, ...], make: Callable[[], T]) -> T:
        entry = self._parts.get(name)
        if entry is not None and all(a is b for a, b in zip(entry[0], sources, strict=True)):
            return entry[1]
        value = make()
        self._parts[name] = (sources, value)
        return value

    def json(self, name: str, sources: tuple[Any, ...], make: Callable[[], schemas.Model]) -> str:
        """The part `name` (made by `make`, kept as `get` keeps it) as wire JSON, serialized once per change."""
        return self.get(f"{name} json", sources, lambda: self.get(name, sources, make).model_dump_json(by_alias=True))


@dataclass(frozen=True)
class StateSource:
    """What a session's state is made from, taken at one moment under its lock (Session._state_source)."""

    session_id: str
    config: schemas.SessionConfig
    stepper: Stepper
    dataset: Dataset
    playing: bool
    speed: float | None
    job: schemas.Job | None
    lesson: schemas.LessonProgress | None = None
    unchanging: Unchanging = field(default_factory=Unchanging)  # the session's own: keeps the seldom-changing parts

    def config_sources(self) -> tuple[Any, ...]:
        """What the configuration in force is made from: the session's config and the trainer's (or pending)."""
        return self.config, self.stepper.pending_config or self.stepper.trainer.config


def state(source: StateSource) -> schemas.SessionState:
    """Everything a client shows of a session: configuration in force, weights, counters, latest metrics, and
    where it stands in its lesson."""
    memo, stepper = source.unchanging, source.stepper
    changing, rest = _state_values(source)
    return schemas.SessionState(
        id=source.session_id,
        config=memo.get("config", source.config_sources(), lambda: current_config(source.config, stepper)),
        **changing,
        dataset=memo.get("dataset", (source.dataset,), lambda: dataset_summary(source.dataset)),
        **rest,
    )


def state_json(source: StateSource) -> str:
    """`state(…)` as wire JSON — exactly `dump(state(…))` — made without building the state's models: the parts
    that seldom change as JSON kept in `unchanging`, the rest as plain values straight to pydantic-core's serializer
    (non-finite numbers as null). Every play frame and every step's answer carries a state: in a class, about a
    hundred a second, each made with the models' code gone cold by the training in between, where building and
    dumping the models cost about 200 µs and this a fraction of it (tests/app/sessions/test_presenting.py checks
    the two are equal, byte for byte, in every kind of state)."""
    memo, stepper, dataset = source.unchanging, source.stepper, source.dataset
    config_json = memo.json("config", source.config_sources(), lambda: current_config(source.config, stepper))
    dataset_json = memo.json("dataset", (dataset,), lambda: dataset_summary(dataset))
    changing, rest = _state_values(source)
    head = f'{{"id":{pydantic_core.to_json(source.session_id).decode()},"config":'
    middle = pydantic_core.to_json(changing, inf_nan_mode="null").decode()
    tail = pydantic_core.to_json(rest, by_alias=True, inf_nan_mode="null").decode()
    return f'{head}{config_json},{middle[1:-1]},"dataset":{dataset_json},{tail[1:]}'


def _state_values(source: StateSource) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state's fields but its id, configuration and data set, as plain values in the schema's order: those
    between the configuration and the data set, and those after it."""
    stepper = source.stepper
    network = stepper.trainer.network
    labels = source.unchanging.get("timeline", (network,), lambda: timeline(stepper))
    changing = {
        "weights": [W.tolist() for W in network.W],
        "biases": [b.tolist() for b in network.b],
        "counters": _counter_values(stepper, labels),
        "metrics": {name: _last(getattr(stepper.trainer.metrics, name)) for name in _LATEST},
    }
    speed = source.speed
    rest = {
        "focus": int(stepper.focus),
        "focus_split": stepper.focus_split,
        "example": example_sample(stepper, source.dataset),
        "playing": source.playing,
        "speed": None if speed is None else float(speed),  # the model's float: 10 is "10.0" on the wire
        "pending_config": stepper.pending_config is not None,
        "job": source.job,
        "lesson": source.lesson,
    }
    return changing, rest


_LATEST = tuple(schemas.LatestMetrics.model_fields)  # train_loss, test_loss, …, batch_loss: the log's series


def _last(series: Any) -> float | None:
    return convert.number(series.y[-1]) if series.y else None


def current_config(config: schemas.SessionConfig, stepper: Stepper) -> schemas.SessionConfig:
    """The configuration in force, including hyperparameters changed since creation (or pending)."""
    tc = stepper.pending_config or stepper.trainer.config
    return config.model_copy(
        update={
            "optimizer": schemas.OptimizerSpec(**tc.optimizer.to_dict()),
            "batch_size": tc.batch_size,
            "regularization": schemas.RegularizationSpec(kind=tc.regularization.kind, rate=tc.regularization.rate),
        }
    )


def timeline(stepper: Stepper) -> list[str]:
    """The labels of one pass's phases (F1 … U)."""
    return [phase_label(p, lay) for p, lay in stepper.phases]


def counters(stepper: Stepper, labels: list[str] | None = None) -> schemas.Counters:
    """Pass, epoch and the phase cursor, with the labels of one pass's phases (`labels`, if known: `timeline`)."""
    return schemas.Counters(**_counter_values(stepper, timeline(stepper) if labels is None else labels))


def _counter_values(stepper: Stepper, labels: list[str]) -> dict[str, Any]:
    """The counters as plain values under their wire names (`pass`)."""
    phase, layer = stepper.next_phase
    position = stepper.position
    return {
        "pass": int(stepper.trainer.pass_index),
        "epoch": int(stepper.trainer.epoch),
        "phase": phase,
        "layer": layer,
        "position": int(position),
        "label": labels[position],
        "timeline": labels,
    }


def dataset_summary(dataset: Dataset) -> schemas.DatasetSummary:
    return schemas.DatasetSummary(
        name=dataset.name,
        task=dataset.task,
        features=list(dataset.feature_names),
        targets=list(dataset.target_names),
        classes=list(dataset.class_names) if dataset.class_names else None,
        train_rows=int(dataset.X_train.shape[0]),
        test_rows=int(dataset.X_test.shape[0]),
        domain=dataset.raw_domain.tolist(),
        image_shape=list(dataset.image.shape) if dataset.image is not None else None,
        image=schemas.ImageFormatOut(**dataset.image.to_dict()) if dataset.image is not None else None,
    )


# ---------------------------------------------------------------------------------------------------------
# Records and metrics
# ---------------------------------------------------------------------------------------------------------
def visible_records(stepper: Stepper) -> list[schemas.PhaseRecordOut]:
    """The records of the open pass, as far as it has been shown."""
    return [convert.record(r) for r in stepper.visible_records]


def metrics_history(log: MetricsLog, dataset: Dataset, limit: int | None = None) -> schemas.MetricsHistory:
    """The loss history; with `limit`, at most that many points per series (the first, the last, every k-th)."""
    return convert.metrics_history(log, dataset.task == "classification", limit)


def metrics_cursor(log: MetricsLog) -> MetricsCursor:
    """How many per-pass and per-epoch points exist (a cursor for `metrics_since`)."""
    return len(log.batch_loss), len(log.epoch_index)


def metrics_since(log: MetricsLog, cursor: MetricsCursor) -> tuple[dict, dict, MetricsCursor, bool]:
    """Points added since `cursor`; `replace` is True when history was rewritten (back, reset, thinning): then
    the whole history, at most HISTORY_POINTS_SENT points per series."""
    now = metrics_cursor(log)
    if now[0] < cursor[0] or now[1] < cursor[1]:
        limit = HISTORY_POINTS_SENT
        return convert.per_pass(log, limit=limit), convert.per_epoch(log, limit=limit), now, True
    return convert.per_pass(log, cursor[0]), convert.per_epoch(log, cursor[1]), now, False


# ---------------------------------------------------------------------------------------------------------
# The data and what the network makes of it
# ---------------------------------------------------------------------------------------------------------
def raw_inputs(dataset: Dataset, X: np.ndarray) -> np.ndarray:
    """The network's inputs as the data's raw feature values (standardized data is standardized back)."""
    norm = dataset.normalization
    return norm.invert(X) if norm is not None else np.asarray(X, dtype=np.float64)


def focus_sample(stepper: Stepper, dataset: Dataset) -> schemas.FocusSample:
    """The sample the records follow (of the training or the test split): its raw and network inputs, its
    target and class name."""
    index, split = stepper.focus, stepper.focus_split
    trainer = stepper.trainer
    X, Y = (trainer.X_test, trainer.Y_test) if split == "test" else (trainer.X_train, trainer.Y_train)
    return _sample(dataset, X[index], Y[index], index, split)


def example_sample(stepper: Stepper, dataset: Dataset) -> schemas.FocusSample | None:
    """The example the pass being shown was taught on, as a focus sample (index −1), or None."""
    example = stepper.example
    return None if example is None else _sample(dataset, example.x, example.y, EXAMPLE_INDEX, "example")


def _sample(dataset: Dataset, x: np.ndarray, y: np.ndarray, index: int, split: str) -> schemas.FocusSample:
    label = None
    if dataset.task == "classification" and dataset.class_names:
        label = dataset.class_names[int(decode_labels(y[None, :])[0])]
    raw = raw_inputs(dataset, x[None, :])[0]
    return schemas.FocusSample(index=index, x_raw=raw.tolist(), x=x.tolist(), y=y.tolist(), label=label, split=split)


def data_points(dataset: Dataset, limit: int = 2_000) -> schemas.DataPoints | None:
    """Train and test points in raw coordinates, for data sets with 1 or 2 features (None for more)."""
    if dataset.n_features > 2:
        return None

    def target(Y: np.ndarray) -> list[float]:
        if dataset.task == "classification":
            return decode_labels(Y).astype(np.float64).tolist()  # the class index, as the plot's colour
        return Y[:, 0].tolist()

    return schemas.DataPoints(
        train_x=raw_inputs(dataset, dataset.X_train[:limit]).tolist(),
        train_y=target(dataset.Y_train[:limit]),
        test_x=raw_inputs(dataset, dataset.X_test[:limit]).tolist(),
        test_y=target(dataset.Y_test[:limit]),
    )


def boundary(network: Network, dataset: Dataset, resolution: int = 50) -> schemas.Boundary | None:
    """The network's output over the raw input plane (a line for one feature; None for more than two)."""
    norm = dataset.normalization
    grid = output_grid(
        network,
        dataset.raw_domain,
        normalize=norm.apply if norm is not None else None,
        classification=dataset.task == "classification",
        resolution=resolution,
    )
    if grid is None:
        return None
    return schemas.Boundary.model_construct(  # the engine's types are already right: no re-validation of the grid
        xs=grid.xs.tolist(),
        ys=None if grid.ys is None else grid.ys.tolist(),
        values=convert.array(grid.values),
        kind=grid.kind,
    )


def prediction(outputs: np.ndarray, dataset: Dataset) -> schemas.PredictResponse:
    """The network's outputs, and for classification each row's class probabilities and predicted class."""
    response = schemas.PredictResponse(outputs=outputs.tolist())
    if dataset.task == "classification" and dataset.class_names:
        classes = list(dataset.class_names)
        # one sigmoid output is P(class 1); P(class 0) is its complement
        probs = np.column_stack([1 - outputs[:, 0], outputs[:, 0]]) if outputs.shape[1] == 1 else outputs
        response.classes = classes
        response.probabilities = probs.tolist()
        response.predicted = [classes[int(k)] for k in probs.argmax(axis=1)]
    return response


def gradient_check(check: GradientCheck, samples: int) -> schemas.GradcheckResponse:
    return schemas.GradcheckResponse(
        layers=[
            schemas.GradcheckLayer(
                layer=c.layer,
                max_relative_error_W=c.max_relative_error_W,
                max_relative_error_b=c.max_relative_error_b,
            )
            for c in check.layers
        ],
        max_relative_error=check.max_relative_error,
        samples=samples,
        epsilon=check.epsilon,
    )


# ---------------------------------------------------------------------------------------------------------
# REST answers to steps
# ---------------------------------------------------------------------------------------------------------
def step_response(result: StepResult, state: schemas.SessionState) -> schemas.StepResponse:
    return schemas.StepResponse(
        records=[convert.record(r) for r in result.records],
        records_omitted=result.omitted,
        passes=result.passes,
        diverged=convert.diverged(result.diverged) if result.diverged is not None else None,
        state=state,
    )


def back_response(result: BackResult, state: schemas.SessionState) -> schemas.BackResponse:
    return schemas.BackResponse(
        moved=result.moved,
        visible=[convert.record(r) for r in result.visible],
        limit=result.limit_reached,
        state=state,
    )
