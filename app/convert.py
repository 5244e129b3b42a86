"""Engine objects to the wire schema: arrays to JSON lists in the documented layout, non-finite numbers to null."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pydantic_core

from app import schemas
from engine.metrics import MetricsLog, Series
from engine.records import BackwardRecord, ForwardRecord, LossRecord, PhaseRecord, UpdateRecord
from engine.training import Diverged


def number(value: float | None) -> float | None:
    """A finite float, or None for a missing or non-finite value (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def array(value: np.ndarray | None) -> Any:
    """A vector or matrix as nested lists of floats; non-finite entries become null."""
    if value is None:
        return None
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        return _nulls(value)
    return value.tolist()


def _nulls(value: np.ndarray) -> Any:
    obj = value.astype(object)  # Python floats, so the None entries can sit beside them
    obj[~np.isfinite(value)] = None
    return obj.tolist()


def arrays(values: list[np.ndarray] | tuple[np.ndarray, ...] | None) -> Any:
    return None if values is None else [array(v) for v in values]


_NO_FIELDS: dict[str, Any] = dict.fromkeys(schemas.PhaseRecordOut.model_fields)  # every field, None


def record(rec: PhaseRecord) -> schemas.PhaseRecordOut:
    """One phase record on the wire: the fields its phase has, null for the rest (built without re-validation:
    the engine's types are already right)."""
    return schemas.PhaseRecordOut.model_construct(**_record_fields(rec, array, arrays))


def phase_event_json(rec: PhaseRecord, request_id: str | int | None) -> str:
    """The `phase` event of one record as wire JSON — exactly `dump(schemas.PhaseEvent(record=record(rec), …))`,
    made without building the models: the arrays as plain lists straight to pydantic-core's serializer, which
    writes non-finite numbers as null. It is a stepping student's answer, so it is made often and waited for
    (tests/app/test_convert.py checks the two are equal for every kind of record, non-finite numbers included)."""
    fields = _record_fields(rec, _plain, _plain_each)
    record_json = {_ALIASES.get(name, name): value for name, value in fields.items()}
    event = {"request_id": request_id, "type": "phase", "record": record_json}
    return pydantic_core.to_json(event, inf_nan_mode="null").decode()


def _plain(value: np.ndarray | None) -> Any:
    return None if value is None else value.tolist()


def _plain_each(values: list[np.ndarray] | tuple[np.ndarray, ...] | None) -> Any:
    return None if values is None else [v.tolist() for v in values]


_ALIASES = {name: f.alias for name, f in schemas.PhaseRecordOut.model_fields.items() if f.alias}


def _record_fields(
    rec: PhaseRecord, array: Callable[[np.ndarray | None], Any], arrays: Callable[[Any], Any]
) -> dict[str, Any]:
    """Every field of a record's wire form (None for those its phase does not have), arrays made by `array`."""
    fields: dict[str, Any] = {
        **_NO_FIELDS,
        "phase": rec.phase,
        "layer": rec.layer,
        "pass_index": rec.pass_index,
        "epoch": rec.epoch,
        "position": rec.position,
        "label": rec.label,
        "focus": rec.focus,
    }
    if isinstance(rec, ForwardRecord):
        fields.update(z=array(rec.z), a=array(rec.a), a_prev=array(rec.a_prev), W=array(rec.W), b=array(rec.b))
    elif isinstance(rec, LossRecord):
        fields.update(
            z=array(rec.z),
            a=array(rec.a),
            grad_a=array(rec.grad_a),
            fprime=array(rec.fprime),
            delta=array(rec.delta),
            y=array(rec.y),
            loss=number(rec.loss),
            penalty=number(rec.penalty),
            sample_loss=number(rec.sample_loss),
            batch=rec.batch.tolist(),
            focus_in_batch=rec.focus_in_batch,
        )
    elif isinstance(rec, BackwardRecord):
        fields.update(
            z=array(rec.z),
            a_prev=array(rec.a_prev),
            fprime=array(rec.fprime),
            delta=array(rec.delta),
            grad_W=array(rec.grad_W),
            grad_b=array(rec.grad_b),
            sample_grad_W=array(rec.sample_grad_W),
            sample_grad_b=array(rec.sample_grad_b),
            W=array(rec.W),
        )
    elif isinstance(rec, UpdateRecord):
        fields.update(
            W=arrays(rec.W),
            b=arrays(rec.b),
            step_W=arrays(rec.step_W),
            step_b=arrays(rec.step_b),
            learning_rate=rec.learning_rate,
        )
    else:
        raise TypeError(f"no wire form for {type(rec).__name__}")
    return fields


def diverged(info: Diverged) -> schemas.DivergedInfo:
    return schemas.DivergedInfo(pass_index=info.pass_index, reason=info.reason, hint=info.hint, message=info.message)


def _values(series: Series, start: int = 0, keep: np.ndarray | None = None) -> list[float | None]:
    """The series' values from `start` (or at the indices `keep`) as `number`s: all at once when every one is
    finite (a play frame's batch of a few hundred points), one by one otherwise (missing values stay None)."""
    values = series.y[start:] if keep is None else [series.y[i] for i in keep.tolist()]
    if len(values) > 8:
        try:
            block = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            block = None
        if block is not None and block.ndim == 1 and np.isfinite(block).all():
            return block.tolist()
    return [number(v) for v in values]


def thinned(x: list[int], limit: int) -> np.ndarray | None:
    """The indices of the points a history sent whole keeps when it has more than `limit` (at least 3): the
    first, the last, and those whose x is a multiple of the smallest power of two that leaves at most `limit` in
    all — the engine's own way of thinning a long series (engine.metrics.Series), so the curve keeps its shape
    from its start to now. None: keep them all."""
    if limit < 3:
        raise ValueError(f"a thinned history keeps at least 3 points (its first, its last and one), not {limit}")
    n = len(x)
    if n <= limit:
        return None
    xs = np.asarray(x, dtype=np.int64)
    stride = 1 << max(0, int(math.log2(max(1, int(xs[-1] - xs[0])) / limit)))
    while True:
        keep = np.flatnonzero(xs % stride == 0)
        if len(keep) + 2 <= limit:
            return np.union1d(keep, [0, n - 1])
        stride *= 2


def per_pass(log: MetricsLog, start: int = 0, limit: int | None = None) -> dict[str, list[float | None]]:
    """Per-pass points from `start`; with `limit`, the whole history thinned to at most that many (`thinned`)."""
    series = log.batch_loss
    keep = None if limit is None else thinned(series.x, limit)
    if keep is None:
        return {"pass": list(series.x[start:]), "batch_loss": _values(series, start)}
    return {"pass": [series.x[i] for i in keep.tolist()], "batch_loss": _values(series, keep=keep)}


def per_epoch(log: MetricsLog, start: int = 0, limit: int | None = None) -> dict[str, list[float | None]]:
    """Per-epoch points from `start`; with `limit`, the whole history thinned to at most that many."""
    keep = None if limit is None else thinned(log.epoch_index.x, limit)
    if keep is None:
        epochs, passes = log.epoch_index.x[start:], log.epoch_index.y[start:]
    else:
        indices = keep.tolist()
        epochs, passes = [log.epoch_index.x[i] for i in indices], [log.epoch_index.y[i] for i in indices]
    return {
        "epoch": list(epochs),
        "pass": [int(v) for v in passes],
        "train_loss": _values(log.train_loss, start, keep),
        "test_loss": _values(log.test_loss, start, keep),
        "train_accuracy": _values(log.train_accuracy, start, keep),
        "test_accuracy": _values(log.test_accuracy, start, keep),
    }


def metrics_history(log: MetricsLog, classification: bool, limit: int | None = None) -> schemas.MetricsHistory:
    """The whole loss history; with `limit`, at most that many points per series (`thinned`)."""
    epochs = per_epoch(log, limit=limit)
    return schemas.MetricsHistory(
        per_pass=per_pass(log, limit=limit),
        per_epoch=epochs,
        train_loss=epochs["train_loss"],
        test_loss=epochs["test_loss"],
        train_accuracy=epochs["train_accuracy"] if classification else None,
        test_accuracy=epochs["test_accuracy"] if classification else None,
    )
