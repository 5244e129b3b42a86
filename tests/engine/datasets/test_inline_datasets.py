"""Inline data: used exactly as given, validated row by row."""

from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import DatasetError, inline_dataset


def test_the_seeds_single_sample_is_used_as_given() -> None:
    ds = inline_dataset([[0.05, 0.1]], [[0.01]])
    assert ds.task == "regression" and ds.normalization is None
    np.testing.assert_array_equal(ds.X_train, [[0.05, 0.1]])
    np.testing.assert_array_equal(ds.Y_train, [[0.01]])
    assert ds.X_test.shape == (0, 2) and ds.Y_test.shape == (0, 1)
    assert ds.feature_names == ("x1", "x2") and ds.target_names == ("y",) and ds.class_names is None
    np.testing.assert_array_equal(ds.raw_domain, [[0.05, 0.05], [0.1, 0.1]])
    assert ds.name == "inline"


def test_rows_keep_their_order_without_a_test_split() -> None:
    inputs = [[float(i), -float(i)] for i in range(6)]
    ds = inline_dataset(inputs, [float(i) * 10 for i in range(6)], name="ramp")
    np.testing.assert_array_equal(ds.X_train, inputs)
    np.testing.assert_array_equal(ds.Y_train[:, 0], [0, 10, 20, 30, 40, 50])
    assert ds.name == "ramp"


def test_several_target_columns_stay_as_given() -> None:
    ds = inline_dataset([[1.0], [2.0]], [[0.5, 2.0, -1.0], [0.25, 3.0, 9.0]])
    np.testing.assert_array_equal(ds.Y_train, [[0.5, 2.0, -1.0], [0.25, 3.0, 9.0]])
    assert ds.target_names == ("y1", "y2", "y3") and ds.n_targets == 3


def test_test_split_shuffles_and_keeps_pairs() -> None:
    inputs = [[float(i)] for i in range(10)]
    ds = inline_dataset(inputs, [[2.0 * i] for i in range(10)], test_fraction=0.3, seed=2)
    assert ds.n_train == 7 and ds.n_test == 3
    X = np.concatenate([ds.X_train, ds.X_test])[:, 0]
    Y = np.concatenate([ds.Y_train, ds.Y_test])[:, 0]
    np.testing.assert_array_equal(Y, 2.0 * X)
    assert sorted(X) == list(range(10))


def test_classification_targets_are_not_re_encoded() -> None:
    ds = inline_dataset([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], task="classification")
    np.testing.assert_array_equal(ds.Y_train, [[0], [1], [1], [0]])
    assert ds.class_names == ("0", "1") and ds.target_names == ("label",)
    np.testing.assert_array_equal(ds.labels_train, [0, 1, 1, 0])
    one_hot = inline_dataset([[0.0], [1.0], [2.0]], [[1, 0, 0], [0, 0, 1], [0, 1, 0]], task="classification")
    assert one_hot.n_classes == 3 and one_hot.class_names == ("0", "1", "2")
    np.testing.assert_array_equal(one_hot.labels_train, [0, 2, 1])


def test_two_one_hot_columns_can_become_one() -> None:
    ds = inline_dataset([[0.0], [1.0]], [[1, 0], [0, 1]], task="classification")
    assert ds.n_targets == 2
    np.testing.assert_array_equal(ds.with_output_width(1).Y_train, [[0.0], [1.0]])


def test_auto_task() -> None:
    assert inline_dataset([[0.0], [1.0]], [0, 1], task="auto").task == "classification"
    assert inline_dataset([[0.0], [1.0]], [[1, 0], [0, 1]], task="auto").task == "classification"
    assert inline_dataset([[0.0], [1.0]], [[1, 1], [0, 1]], task="auto").task == "regression"
    assert inline_dataset([[0.05, 0.1]], [[0.01]], task="auto").task == "regression"


@pytest.mark.parametrize(
    ("inputs", "targets", "message", "row", "column"),
    [
        ([], [], "inputs is empty: give at least one row", None, "inputs"),
        ("abc", [1.0], "inputs must be a list of rows", None, "inputs"),
        ([[1.0], 2.0], [1.0, 2.0], "inputs row 2 is 2.0, not a list of numbers", 2, "inputs"),
        ([[1.0, 2.0], []], [1.0, 2.0], "inputs row 2 is empty", 2, "inputs"),
        ([[1.0, 2.0], [3.0]], [1.0, 2.0], "inputs row 2 has 1 values but row 1 has 2", 2, "inputs"),
        ([[1.0], ["x"]], [1.0, 2.0], "inputs row 2, value 1 is 'x', not a number", 2, "inputs"),
        ([[1.0], [True]], [1.0, 2.0], "inputs row 2, value 1 is True, not a number", 2, "inputs"),
        (
            [[1.0, float("nan")]],
            [1.0],
            "inputs row 1, value 2 is nan; every value must be a finite",
            1,
            "inputs",
        ),
        ([[10**400]], [1.0], "inputs row 1, value 1 is 1000", 1, "inputs"),
        ([[1.0]], [[float("inf")]], "targets row 1, value 1 is inf", 1, "targets"),
        (
            [[1.0], [2.0]],
            [[1.0]],
            "inputs has 2 rows but targets has 1: give one target row per input row",
            None,
            "targets",
        ),
        ([[1.0]], [[1.0], 2.0], "targets row 2 is 2.0, not a list of numbers", 2, "targets"),
    ],
)
def test_bad_shapes_and_values(inputs, targets, message: str, row: int | None, column: str) -> None:
    with pytest.raises(DatasetError) as info:
        inline_dataset(inputs, targets)
    assert message in str(info.value)
    assert info.value.row == row and info.value.column == column


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ([[2.0]], "targets row 1 holds 2, but classification targets must be 0 or 1"),
        ([[0.5, 0.6]], "targets row 1 sums to 1.1"),
    ],
)
def test_bad_classification_targets(targets, message: str) -> None:
    with pytest.raises(DatasetError) as info:
        inline_dataset([[1.0]], targets, task="classification")
    assert message in str(info.value) and info.value.row == 1


def test_too_large_a_test_split() -> None:
    with pytest.raises(DatasetError, match=r"1 row; with test_fraction 0\.5, 0 would be left for training"):
        inline_dataset([[1.0]], [1.0], test_fraction=0.5)


def test_bad_task() -> None:
    with pytest.raises(DatasetError, match="task must be"):
        inline_dataset([[1.0]], [1.0], task="clustering")  # type: ignore[arg-type]
