"""The built-in digits: the UCI images as shipped, their split, standardization and parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.datasets import BUILTINS, DatasetError, make_builtin
from engine.datasets import digits as digits_module


def test_the_file_holds_the_1797_uci_images_of_0_to_16() -> None:
    X, labels = digits_module.load()
    assert X.shape == (1797, 64) and labels.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 16.0 and np.array_equal(X, np.round(X))
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    first = X[0].reshape(8, 8)  # the first image is a 0: a ring of ink around an empty middle
    assert labels[0] == 0 and first[3:5, 3:5].sum() == 0 and first[3:5, [1, 2, 5, 6]].min() > 0
    assert not X.flags.writeable and not labels.flags.writeable


def test_digits_default_is_every_image_split_stratified_and_standardized() -> None:
    ds = make_builtin("digits")
    assert (ds.n_train, ds.n_test, ds.n_features, ds.n_targets) == (1438, 359, 64, 10)
    assert ds.class_names == tuple("0123456789") and ds.task == "classification"
    counts = np.bincount(np.concatenate([ds.labels_train, ds.labels_test]))
    np.testing.assert_array_equal(counts, np.bincount(digits_module.load()[1]))
    test = np.bincount(ds.labels_test)
    np.testing.assert_allclose(test / counts, 0.2, atol=0.02)  # each digit ~20 % in the test split
    assert ds.normalization is not None
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-12)
    varying = ds.normalization.std != 1.0
    np.testing.assert_allclose(ds.X_train[:, varying].std(axis=0), 1.0, rtol=1e-12)
    raw = ds.normalization.invert(ds.X_train)  # standardized back: the original whole pixel counts
    np.testing.assert_allclose(raw, np.round(raw), atol=1e-9)
    assert ds.image is not None and ds.image.shape == (8, 8) and ds.image.pixel_max == 16.0
    assert ds.image.drawing == "blocks" and ds.image.block == 4


def test_a_smaller_digits_set_keeps_every_digit_in_proportion() -> None:
    ds = make_builtin("digits", samples=200, seed=5)
    labels = np.concatenate([ds.labels_train, ds.labels_test])
    assert labels.size == 200 and np.bincount(labels).min() >= 19 and np.bincount(labels).max() <= 21
    again = make_builtin("digits", samples=200, seed=5)
    np.testing.assert_array_equal(ds.X_train, again.X_train)
    assert not np.array_equal(make_builtin("digits", samples=200, seed=6).X_train, ds.X_train)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"noise": 0.1}, "digits has no noise parameter"),
        ({"samples": 1798}, "from 20 to 1,797"),
        ({"samples": 19}, "from 20 to 1,797"),
        ({"classes": 3}, "classes applies to gaussian only"),
    ],
)
def test_bad_digits_parameters_say_what_is_allowed(kwargs: dict, fragment: str) -> None:
    with pytest.raises(DatasetError, match=fragment):
        make_builtin("digits", **kwargs)


def test_digits_describe_itself_as_8_by_8_images_without_noise() -> None:
    description = json.loads(json.dumps(BUILTINS["digits"].describe()))
    assert description["image_shape"] == [8, 8]
    assert set(description["parameters"]) == {"samples", "test_fraction", "seed"}
    assert description["parameters"]["samples"]["max"] == 1797 and description["parameters"]["samples"]["min"] == 20
    assert len(description["features"]) == 64 and description["features"][9] == "pixel 2,2"
    assert description["classes"] == list("0123456789")
    assert make_builtin("digits").summary()["image_shape"] == [8, 8]
    assert make_builtin("circles").summary()["image_shape"] is None
