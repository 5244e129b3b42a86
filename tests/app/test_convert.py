"""The wire form of phase records: the fast `phase` event JSON a step answers with is exactly the one the schema's
models give, for every kind of record and with non-finite numbers (null on the wire)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from app import convert, schemas
from app.outbox import dump
from engine.metrics import MetricsLog, Series
from engine.records import UpdateRecord


def _models_json(record, request_id) -> str:
    return dump(schemas.PhaseEvent(record=convert.record(record), request_id=request_id))


def _spoiled(record):
    """The record with a NaN, an infinity and a −infinity in each of its arrays (and in every update array)."""
    changes = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
            spoiled = value.copy()
            k = min(3, value.size)
            spoiled.flat[:k] = [np.nan, np.inf, -np.inf][:k]
            changes[field.name] = spoiled
        elif isinstance(value, list | tuple) and value and isinstance(value[0], np.ndarray):
            spoiled_list = [v.copy() for v in value]
            spoiled_list[0].flat[0] = np.nan
            changes[field.name] = type(value)(spoiled_list)
    if hasattr(record, "loss"):
        changes["loss"] = float("inf")
    return dataclasses.replace(record, **changes)


@pytest.mark.parametrize("request_id", ["r7", 12, None])
def test_the_fast_phase_event_is_the_models_json_for_every_kind_of_record(make_session, request_id):
    session = make_session(make_session.seed)
    records = session.step("pass", 2).records
    kinds = {type(r).__name__ for r in records}
    assert kinds == {"ForwardRecord", "LossRecord", "BackwardRecord", "UpdateRecord"}
    for record in records:
        assert convert.phase_event_json(record, request_id) == _models_json(record, request_id)


def test_non_finite_numbers_are_null_in_both_forms(make_session):
    session = make_session(make_session.seed)
    for record in session.step("pass", 1).records:
        spoiled = _spoiled(record)
        fast = convert.phase_event_json(spoiled, "r1")
        assert fast == _models_json(spoiled, "r1")
        assert "NaN" not in fast and "Infinity" not in fast
        wire = json.loads(fast)["record"]
        if isinstance(record, UpdateRecord):
            assert wire["W"][0][0][0] is None
        else:
            assert np.ravel(np.array(wire["z"], dtype=object))[0] is None
        assert wire["pass"] == record.pass_index


@pytest.mark.parametrize(
    "values",
    [
        [0.5 * i for i in range(40)],  # a play frame's batch: all finite, converted at once
        [0.1, None, 0.3] * 5,  # a missing value
        [0.1, float("nan"), float("inf"), -float("inf")] * 4,  # non-finite numbers
        [np.float32(0.1), np.float64(2.5), 3] * 4,  # NumPy scalars and an int
        [0.25, 0.5],  # short: one by one
    ],
)
def test_a_series_values_are_numbers_however_they_are_converted(values):
    series = Series()
    for x, y in enumerate(values):
        series.append(x, y)
    for start in (0, 3):
        out = convert._values(series, start)
        assert out == [convert.number(v) for v in values[start:]]
        assert all(v is None or type(v) is float for v in out)


def test_a_short_history_is_sent_whole():
    assert convert.thinned(list(range(1, 101)), 100) is None
    assert convert.thinned([], 3) is None


@pytest.mark.parametrize(
    ("first", "count", "step", "limit"), [(1, 12_345, 1, 5_000), (0, 100_000, 4, 5_000), (3, 50, 1, 10)]
)
def test_a_long_history_keeps_its_first_and_last_points_and_every_kth_between(first, count, step, limit):
    x = list(range(first, first + count * step, step))
    keep = convert.thinned(x, limit)
    assert keep is not None and len(keep) <= limit
    kept = [x[i] for i in keep]
    assert kept[0] == x[0] and kept[-1] == x[-1]
    assert kept == sorted(set(kept))  # in order, none twice
    between = kept[1:-1]
    stride = between[1] - between[0] if len(between) > 1 else 1
    assert stride & (stride - 1) == 0  # a power of two, as the engine thins (x a multiple of the stride)
    assert between == [v for v in x if v % stride == 0 and v not in (x[0], x[-1])]
    assert len(keep) > limit // 2 - 2  # the smallest such stride: no more thinned than needed


def test_a_thinned_history_needs_room_for_its_ends():
    with pytest.raises(ValueError, match="at least 3"):
        convert.thinned(list(range(10)), 2)


def test_a_thinned_history_has_the_logs_own_values_at_the_points_it_keeps():
    log = MetricsLog()
    for p in range(1, 9_001):
        log.batch_loss.append(p, 1.0 / p)
        if p % 3 == 0:
            e = p // 3
            log.epoch_index.append(e, p)
            for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
                getattr(log, name).append(e, p / 10 if name.endswith("loss") else None)
    history = convert.metrics_history(log, classification=True, limit=1_000)
    per_pass, per_epoch = history.per_pass, history.per_epoch
    assert 500 < len(per_pass["pass"]) <= 1_000 and per_pass["pass"][0] == 1 and per_pass["pass"][-1] == 9_000
    assert per_pass["batch_loss"] == [1.0 / p for p in per_pass["pass"]]
    assert len(per_epoch["epoch"]) <= 1_000 and per_epoch["epoch"][-1] == 3_000
    assert per_epoch["pass"] == [3 * e for e in per_epoch["epoch"]]
    assert per_epoch["train_loss"] == [p / 10 for p in per_epoch["pass"]] == history.train_loss
    assert per_epoch["test_accuracy"] == [None] * len(per_epoch["epoch"])
    whole = convert.metrics_history(log, classification=True)
    assert len(whole.per_pass["pass"]) == 9_000 and len(whole.per_epoch["epoch"]) == 3_000
