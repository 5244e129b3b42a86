"""A trained model and its whole training state to and from JSON-safe dicts, exact for float64 and float32.

Numbers are written as Python floats (JSON keeps float64 exactly; float32 values are float64-representable),
matrices as lists of rows in the seed's orientation, so an export file is readable and diffable — except a data
set's matrices of more than LIST_MAX numbers (MNIST's 60,000 images), written as their bytes, compressed and in
base64 (`encode_array`): as lists they would take minutes and gigabytes to write and read.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np

from engine.batches import Example, SamplerState
from engine.datasets import Dataset, DatasetError, Normalization
from engine.datasets.images import ImageFormat
from engine.history import Checkpoint
from engine.initializers import InitSpec
from engine.metrics import MetricsLog, Series
from engine.network import DTYPES, Network
from engine.optimizers import OptimizerConfig, make_optimizer
from engine.regularization import Regularization
from engine.training import Trainer, TrainingConfig

FORMAT_VERSION = 1
LIST_MAX = 50_000  # a data set matrix with more numbers than this is written as compressed bytes
ARRAY_ENCODING = "zlib+base64"


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """An array as {"encoding", "dtype", "shape", "data"}: its little-endian bytes, zlib-compressed, in base64
    (exact, and a tenth of the text of its numbers as lists or less)."""
    array = np.ascontiguousarray(array, dtype=np.dtype(array.dtype).newbyteorder("<"))
    data = base64.b64encode(zlib.compress(array.tobytes(), 1)).decode("ascii")
    return {"encoding": ARRAY_ENCODING, "dtype": array.dtype.str, "shape": list(array.shape), "data": data}


def decode_array(doc: dict[str, Any]) -> np.ndarray:
    """The array `encode_array` wrote; ValueError if the document is not one."""
    if doc.get("encoding") != ARRAY_ENCODING or doc.get("dtype") not in ("<f8", "<f4"):
        raise ValueError(f"an encoded array needs encoding {ARRAY_ENCODING!r} and dtype '<f8' or '<f4'")
    shape = tuple(int(n) for n in doc["shape"])
    try:
        raw = zlib.decompress(base64.b64decode(doc["data"], validate=True))
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"an encoded array's data cannot be read ({exc})") from None
    array = np.frombuffer(raw, dtype=np.dtype(doc["dtype"]))
    if array.size != int(np.prod(shape)):
        raise ValueError(f"an encoded array of shape {list(shape)} holds {array.size} numbers")
    return array.reshape(shape).astype(np.float64)


def _matrix_out(array: np.ndarray) -> Any:
    return array.tolist() if array.size <= LIST_MAX else encode_array(array)


def network_to_dict(network: Network) -> dict[str, Any]:
    """Architecture, activations (with their options, when a layer has any), loss, dtype, weights and biases."""
    doc: dict[str, Any] = {
        "layers": list(network.sizes),
        "activations": [act.name for act in network.activations],
        "loss": network.loss.name,
        "dtype": network.dtype_name,
        "weights": [W.tolist() for W in network.W],
        "biases": [b.tolist() for b in network.b],
    }
    if network.activation_options is not None:  # absent otherwise: documents from before options read the same
        doc["activation_options"] = network.activation_options
    return doc


def network_from_dict(doc: dict[str, Any], regularization: Regularization | None = None) -> Network:
    return Network.build(
        doc["layers"],
        doc["activations"],
        doc["loss"],
        InitSpec(weights=doc["weights"], biases=doc["biases"]),
        dtype=doc["dtype"],
        regularization=regularization,
        activation_options=doc.get("activation_options"),
    )


def _arrays_to_lists(arrays: list[np.ndarray] | tuple[np.ndarray, ...]) -> list[Any]:
    return [a.tolist() for a in arrays]


def _lists_to_arrays(
    lists: list[Any], like: list[np.ndarray] | tuple[np.ndarray, ...], what: str = "a checkpoint array"
) -> list[np.ndarray]:
    """Arrays shaped like `like`; a ValueError names `what` when a value is not finite (NaN, ±inf, or beyond
    the dtype's range): training state with one would poison every later pass and could not be written out."""
    with np.errstate(over="ignore"):
        out = [np.array(x, dtype=ref.dtype).reshape(ref.shape) for x, ref in zip(lists, like, strict=True)]
    for array in out:
        _check_finite(array, what)
    return out


def _check_finite(values: Any, what: str) -> None:
    if not np.isfinite(np.asarray(values, dtype=np.float64)).all():
        raise ValueError(f"{what} holds a number that is not finite (NaN, ±inf, or beyond its dtype's range)")


def _sampler_to_dict(state: SamplerState) -> dict[str, Any]:
    return {
        "epoch": state.epoch,
        "cursor": state.cursor,
        "order": None if state.order is None else state.order.tolist(),
        "rng_state": state.rng_state,
    }


def _sampler_from_dict(doc: dict[str, Any]) -> SamplerState:
    order = None
    if doc["order"] is not None:
        order = np.array(doc["order"], dtype=np.int64)
        order.flags.writeable = False
    return SamplerState(doc["epoch"], doc["cursor"], order, doc["rng_state"])


def checkpoint_to_dict(frame: Checkpoint) -> dict[str, Any]:
    t, state = frame.optimizer
    return {
        "pass_index": frame.pass_index,
        "W": _arrays_to_lists(frame.W),
        "b": _arrays_to_lists(frame.b),
        "optimizer": {"t": t, "state": {k: _arrays_to_lists(v) for k, v in state.items()}},
        "optimizer_config": frame.optimizer_config.to_dict(),
        "regularization": {"kind": frame.regularization.kind, "rate": frame.regularization.rate},
        "batch_size": frame.batch_size,
        "sampler": _sampler_to_dict(frame.sampler),
        "epoch_accumulators": list(frame.epoch_accumulators),
        # a taught pass starts here: it trains on this example (x as the network sees it, y its target)
        "example": None if frame.example is None else {"x": frame.example.x.tolist(), "y": frame.example.y.tolist()},
    }


def checkpoint_from_dict(doc: dict[str, Any], network: Network) -> Checkpoint:
    params = [p for pair in zip(network.W, network.b, strict=True) for p in pair]
    config = OptimizerConfig(**doc["optimizer_config"])
    template = make_optimizer(config, params)
    state = {
        k: _lists_to_arrays(v, template.state[k], f"the optimizer state {k!r}")
        for k, v in doc["optimizer"]["state"].items()
    }
    loss_sum, correct, seen = doc["epoch_accumulators"]
    _check_finite(float(loss_sum), "epoch_accumulators")
    example = doc.get("example")
    if example is not None:
        example = Example(np.array(example["x"], dtype=np.float64), np.array(example["y"], dtype=np.float64))
        if example.x.shape != (network.sizes[0],) or example.y.shape != (network.sizes[-1],):
            raise ValueError(f"a checkpoint's example needs {network.sizes[0]} inputs and {network.sizes[-1]} targets")
    return Checkpoint(
        pass_index=doc["pass_index"],
        W=tuple(_lists_to_arrays(doc["W"], network.W, "W")),
        b=tuple(_lists_to_arrays(doc["b"], network.b, "b")),
        optimizer=(doc["optimizer"]["t"], state),
        optimizer_config=config,
        regularization=Regularization(**doc["regularization"]),
        batch_size=doc["batch_size"],
        sampler=_sampler_from_dict(doc["sampler"]),
        epoch_accumulators=(float(loss_sum), int(correct), int(seen)),
        example=example,
    )


def _series_to_dict(series: Series, points: bool = True) -> dict[str, Any]:
    """Copies of the points, not the series' own lists: a document is serialized after the session's lock is let go
    (the REST export, piece by piece), while training goes on appending to them. Without `points`, none (x and y
    empty): the caller keeps them elsewhere (the store keeps them apart, written as they come: app/savedseries.py)."""
    x, y = (list(series.x), list(series.y)) if points else ([], [])
    return {"x": x, "y": y, "stride": series.stride, "max_points": series.max_points}


def _series_from_dict(doc: dict[str, Any]) -> Series:
    """A metrics series; a ValueError names what is wrong (the log is appended to in every later pass).

    More y than x values is what versions before 2026-12-04 (stop 20) wrote when the session trained while its
    document was serialized (the REST export, a checkpoint): x went out first, the values appended meanwhile came
    out with y. The first len(x) values are x's own; the rest are dropped, so such a file or checkpoint still opens."""
    max_points, stride, x, y = doc["max_points"], doc["stride"], list(doc["x"]), list(doc["y"])
    if len(y) > len(x):
        y = y[: len(x)]
    if not all(_is_count(v) and v >= 1 for v in (max_points, stride)):
        raise ValueError(f"a metrics series needs whole numbers max_points and stride ≥ 1, got {max_points}, {stride}")
    if len(x) != len(y) or not all(_is_count(v) and v >= 0 for v in x):
        raise ValueError("a metrics series needs as many y as x values, and x whole numbers ≥ 0")
    if not all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in y):
        raise ValueError("a metrics series' y values must be numbers or null")
    _check_finite([v for v in y if v is not None], "a metrics series")
    return Series(max_points, x, y, stride)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


METRICS_SERIES = ("batch_loss", "epoch_index", "train_loss", "test_loss", "train_accuracy", "test_accuracy")


def metrics_to_dict(log: MetricsLog, points: bool = True) -> dict[str, Any]:
    """Every series of the log (without their points unless `points`)."""
    return {name: _series_to_dict(getattr(log, name), points) for name in METRICS_SERIES}


def metrics_from_dict(doc: dict[str, Any]) -> MetricsLog:
    return MetricsLog(**{name: _series_from_dict(series) for name, series in doc.items()})


def trainer_to_dict(
    trainer: Trainer, *, initial: Checkpoint | None = None, keep_previous: bool = True, metrics_points: bool = True
) -> dict[str, Any]:
    """Everything needed to continue training: the network, the current state as a checkpoint, metrics (their
    points left out without `metrics_points`), the newest earlier keyframe (so a restored session can still step
    back) and the initial state (for reset)."""
    doc: dict[str, Any] = {
        "initial": checkpoint_to_dict(initial) if initial is not None else None,
        "format_version": FORMAT_VERSION,
        "network": network_to_dict(trainer.network),
        "state": checkpoint_to_dict(trainer.checkpoint()),
        "metrics": metrics_to_dict(trainer.metrics, metrics_points),
        "classification": trainer.classification,
        "previous": None,
    }
    if keep_previous and trainer.pass_index > 0:
        frame = trainer.history.latest_at_or_before(trainer.pass_index - 1)
        if frame is not None:
            doc["previous"] = checkpoint_to_dict(frame)
    return doc


def trainer_from_dict(
    doc: dict[str, Any],
    X_train: np.ndarray,
    Y_train: np.ndarray,
    X_test: np.ndarray | None = None,
    Y_test: np.ndarray | None = None,
    **trainer_options: Any,
) -> Trainer:
    """Rebuild a Trainer exactly where `trainer_to_dict` left it (weights, optimizer, batches, metrics)."""
    if doc.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported model format version {doc.get('format_version')!r}; expected {FORMAT_VERSION}")
    if doc["network"]["dtype"] not in DTYPES:
        raise ValueError(f"unknown dtype {doc['network']['dtype']!r}")
    state = doc["state"]
    network = network_from_dict(doc["network"], Regularization(**state["regularization"]))
    config = TrainingConfig(
        OptimizerConfig(**state["optimizer_config"]),
        state["batch_size"],
        Regularization(**state["regularization"]),
    )
    trainer = Trainer(
        network,
        X_train,
        Y_train,
        X_test=X_test,
        Y_test=Y_test,
        config=config,
        classification=bool(doc.get("classification", False)),
        **trainer_options,
    )
    if doc.get("previous") is not None:
        previous = checkpoint_from_dict(doc["previous"], network)
        trainer.history.push(previous)
    trainer.metrics = metrics_from_dict(doc["metrics"])
    current = checkpoint_from_dict(state, network)
    trainer.restore(current)
    trainer.history.push(current)
    return trainer


def initial_from_dict(doc: dict[str, Any], trainer: Trainer) -> Checkpoint | None:
    """The pass-0 checkpoint saved beside a trainer (what reset returns to), if the document has one."""
    return checkpoint_from_dict(doc["initial"], trainer.network) if doc.get("initial") else None


# A large list-of-rows matrix (documents written before large matrices were encoded as bytes) is converted a block
# of rows at a time: each conversion is one call that holds the interpreter lock, and a server converting them in a
# worker thread should let its other threads in between.
ROW_BLOCK = 4096


def array_of(rows: list[Any]) -> np.ndarray:
    """`np.array(rows, dtype=float64)`, a block of rows per call (ragged rows are a ValueError, as there)."""
    if len(rows) <= ROW_BLOCK:
        return np.array(rows, dtype=np.float64)
    return np.concatenate([np.array(rows[s : s + ROW_BLOCK], dtype=np.float64) for s in range(0, len(rows), ROW_BLOCK)])


def dataset_to_dict(dataset: Dataset) -> dict[str, Any]:
    """A data set's splits, names, normalization and raw domain as JSON-safe lists (float64 exact)."""
    return {
        "name": dataset.name,
        "task": dataset.task,
        "X_train": _matrix_out(dataset.X_train),
        "Y_train": _matrix_out(dataset.Y_train),
        "X_test": _matrix_out(dataset.X_test),
        "Y_test": _matrix_out(dataset.Y_test),
        "feature_names": list(dataset.feature_names),
        "target_names": list(dataset.target_names),
        "class_names": None if dataset.class_names is None else list(dataset.class_names),
        "normalization": None if dataset.normalization is None else dataset.normalization.to_dict(),
        "raw_domain": dataset.raw_domain.tolist(),
        "image": None if dataset.image is None else dataset.image.to_dict(),
    }


def _width(rows: Any, default: int) -> int:
    """Columns of a matrix written by `dataset_to_dict`: an encoded array's shape says, else its first row."""
    if isinstance(rows, dict):
        return int(rows["shape"][1])
    return len(rows[0]) if rows else default


def dataset_from_dict(doc: dict[str, Any]) -> Dataset:
    """The Dataset `dataset_to_dict` wrote; a DatasetError says what is missing or inconsistent."""
    try:
        n_features = len(doc["feature_names"])
        n_targets = len(doc["target_names"])

        def matrix(key: str, width: int) -> np.ndarray:
            rows = doc[key]
            if isinstance(rows, dict):
                return decode_array(rows)
            array = array_of(rows) if rows else np.empty((0, width))
            return array.reshape(-1, width) if array.size == 0 else array

        Y_width = _width(doc["Y_train"], n_targets)
        normalization = doc["normalization"]
        return Dataset(
            name=str(doc["name"]),
            task=doc["task"],
            X_train=matrix("X_train", n_features),
            Y_train=matrix("Y_train", Y_width),
            X_test=matrix("X_test", n_features),
            Y_test=matrix("Y_test", Y_width),
            feature_names=tuple(str(n) for n in doc["feature_names"]),
            target_names=tuple(str(n) for n in doc["target_names"]),
            class_names=None if doc["class_names"] is None else tuple(str(n) for n in doc["class_names"]),
            normalization=None if normalization is None else Normalization.from_dict(normalization),
            raw_domain=np.array(doc["raw_domain"], dtype=np.float64).reshape(n_features, 2),
            image=None if doc.get("image") is None else ImageFormat.from_dict(doc["image"]),
        )
    except DatasetError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise DatasetError(f"the data set section is malformed ({type(exc).__name__}: {exc})") from None
