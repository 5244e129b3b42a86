"""The wire form of phase records: the fast `phase` event JSON a step answers with is exactly the one the schema's
models give, for every kind of record and with non-finite numbers (null on the wire)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from app import convert, schemas
from app.outbox import dump
from engine.metrics import Series
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
