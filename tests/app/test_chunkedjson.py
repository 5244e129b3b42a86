"""app/chunkedjson.py reads and writes exactly what json.loads / json.dumps do, refuses NaN and Infinity, and
makes no single C call over a whole large document (so a worker thread lets the event loop in)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import chunkedjson

finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | st.integers(-(2**130), 2**130) | finite | st.text(max_size=8)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=6), inner, max_size=6),
    max_leaves=30,
)


@given(documents)
def test_reads_and_writes_what_json_does(doc):
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    assert chunkedjson.dumps(doc) == text
    assert chunkedjson.loads(text) == doc
    assert chunkedjson.loads(json.dumps(doc, indent=2)) == doc  # whitespace anywhere


@given(documents)
def test_the_walk_over_the_parts_writes_what_json_does_too(doc):
    small, chunkedjson.SMALL = chunkedjson.SMALL, 0  # every part walked, however small
    try:
        assert chunkedjson.dumps(doc) == json.dumps(doc, separators=(",", ":"), allow_nan=False)
    finally:
        chunkedjson.SMALL = small


def test_a_small_document_is_written_in_one_call(monkeypatch):
    doc = {"W": [[[0.5] * 8 for _ in range(8)]], "b": [[0.1] * 8], "sampler": {"order": list(range(200))}}
    calls: list[int] = []
    encode = chunkedjson._ENCODER.encode
    monkeypatch.setattr(chunkedjson._ENCODER, "encode", lambda o: calls.append(1) or encode(o))
    assert chunkedjson.dumps(doc) == json.dumps(doc, separators=(",", ":"))
    assert len(calls) == 1


def test_a_large_matrix_round_trips_and_the_encoder_is_called_per_slice(monkeypatch):
    matrix = [[i + 0.5, -i / 3, i * 1e-300] for i in range(10_000)]
    doc = {"rows": matrix, "vector": list(range(20_000)), "rng": {"state": 2**127 + 5}}
    text = json.dumps(doc, separators=(",", ":"))
    calls: list[int] = []
    encode = chunkedjson._ENCODER.encode
    monkeypatch.setattr(chunkedjson._ENCODER, "encode", lambda o: calls.append(len(str(o))) or encode(o))
    assert chunkedjson.dumps(doc) == text
    assert max(calls) < len(text) / 10  # never the whole document in one call
    assert chunkedjson.loads(text) == doc


@pytest.mark.parametrize("text", ["[NaN]", '{"a": Infinity}', "[[1, -Infinity]]"])
def test_nan_and_infinity_are_refused(text):
    with pytest.raises(ValueError, match="is not a JSON number"):
        chunkedjson.loads(text)


@pytest.mark.parametrize("text", ["{not json", "[1, 2", '{"a" 1}', "[1] x", "[" * 100 + "]" * 100, ""])
def test_malformed_json_is_a_value_error(text):
    with pytest.raises(ValueError):
        chunkedjson.loads(text)


@given(documents)
def test_encode_writes_the_same_values_as_json(doc):
    assert json.loads(chunkedjson.encode(doc)) == json.loads(json.dumps(doc))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_encode_refuses_nan_and_infinity_small_or_large(bad):
    for doc in ({"w": [0.5, bad]}, {"w": [0.5] * 100_000 + [bad]}):
        with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
            chunkedjson.encode(doc)


def test_encode_writes_text_that_only_says_nan_and_large_documents_piece_by_piece(monkeypatch):
    doc = {"file": "NaN Infinity.csv", "w": [1e-08, 0.1]}
    assert json.loads(chunkedjson.encode(doc)) == doc
    calls: list[int] = []
    encode = chunkedjson._ENCODER.encode
    monkeypatch.setattr(chunkedjson._ENCODER, "encode", lambda o: calls.append(1) or encode(o))
    large = {"w": [float(i) for i in range(100_000)]}
    assert json.loads(chunkedjson.encode(large)) == large and len(calls) > 1
