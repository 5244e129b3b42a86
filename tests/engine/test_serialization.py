"""Serialization of large data sets: matrices beyond LIST_MAX numbers as compressed bytes, read back exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.datasets import make_builtin
from engine.serialization import (
    LIST_MAX,
    dataset_from_dict,
    dataset_to_dict,
    decode_array,
    encode_array,
    trainer_to_dict,
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_encoded_array_reads_back_bitwise(dtype: type) -> None:
    array = np.random.default_rng(0).normal(size=(300, 7)).astype(dtype)
    doc = json.loads(json.dumps(encode_array(array)))
    assert doc["shape"] == [300, 7] and doc["encoding"] == "zlib+base64"
    back = decode_array(doc)
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, array.astype(np.float64))


def test_a_large_data_set_is_written_as_bytes_and_read_back_exactly() -> None:
    ds = make_builtin("digits")  # 1,438 × 64 training inputs: more than LIST_MAX numbers
    assert ds.X_train.size > LIST_MAX >= ds.Y_test.size
    doc = json.loads(json.dumps(dataset_to_dict(ds)))
    assert isinstance(doc["X_train"], dict) and isinstance(doc["Y_test"], list)
    assert len(json.dumps(doc["X_train"])) < ds.X_train.size * 4  # far less than ~20 characters a number
    back = dataset_from_dict(doc)
    for name in ("X_train", "Y_train", "X_test", "Y_test"):
        np.testing.assert_array_equal(getattr(back, name), getattr(ds, name))
    assert back.image == ds.image and back.normalization == ds.normalization


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"encoding": "gzip"}, "encoding"),
        ({"dtype": "<i8"}, "dtype"),
        ({"data": "not base64!"}, "cannot be read"),
        ({"shape": [3, 3]}, "holds 2100 numbers"),
    ],
)
def test_a_malformed_encoded_array_is_refused(change: dict, message: str) -> None:
    doc = {**encode_array(np.zeros((300, 7))), **change}
    with pytest.raises(ValueError, match=message):
        decode_array(doc)


def test_a_trainers_document_does_not_change_as_training_goes_on(make_trainer) -> None:
    """The document is what the trainer was when it was made: the REST export and the checkpoints serialize it
    after the session's lock is let go (and piece by piece), while play goes on appending to the metrics — a
    document holding the live lists came out with more loss values than passes, which import refuses."""
    trainer = make_trainer()
    trainer.run_passes(40)
    doc = trainer_to_dict(trainer)
    before = json.dumps(doc)
    trainer.run_passes(40)  # play goes on after the lock is let go
    assert json.dumps(doc) == before
    for series in doc["metrics"].values():
        assert len(series["x"]) == len(series["y"])
    assert doc["state"]["pass_index"] == 40 and len(doc["metrics"]["batch_loss"]["x"]) == 40
