"""Splitting, standardization from the training split only, Normalization round trips, output widths."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.datasets import Dataset, DatasetError, Normalization, make_builtin, parse_csv, table_to_dataset
from engine.datasets.base import split_indices


def _csv(rows: np.ndarray, labels: list[str] | None = None) -> str:
    """Columns id, f1, f2, … (+ label): `id` is the row index, so a split row can be traced back."""
    n = rows.shape[1]
    header = ",".join(["id", *(f"f{j}" for j in range(1, n + 1))] + (["label"] if labels else []))
    lines = [
        ",".join([str(i), *(repr(float(v)) for v in row)] + ([labels[i]] if labels else []))
        for i, row in enumerate(rows)
    ]
    return "\n".join([header, *lines]) + "\n"


def _ids(ds: Dataset, X: np.ndarray) -> np.ndarray:
    assert ds.normalization is not None
    return np.rint(ds.normalization.invert(X)[:, 0]).astype(int)


@pytest.fixture
def regression_table():
    rng = np.random.default_rng(5)
    raw = np.column_stack([rng.normal(3.0, 2.0, 40), rng.uniform(-100, 100, 40), np.full(40, 7.0)])
    return raw, parse_csv(_csv(raw), target="f2", task="regression")


def test_standardization_uses_the_training_split_only(regression_table) -> None:
    raw, table = regression_table
    ds = table_to_dataset(table, test_fraction=0.25, seed=3)
    train_ids, test_ids = _ids(ds, ds.X_train), _ids(ds, ds.X_test)
    assert sorted([*train_ids, *test_ids]) == list(range(40)) and len(test_ids) == 10
    features = table.X_raw  # id, f1, f3 (f2 is the target)
    norm = ds.normalization
    np.testing.assert_allclose(norm.mean, features[train_ids].mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(norm.std[:2], features[train_ids].std(axis=0)[:2], rtol=1e-13)
    assert not np.allclose(norm.mean, features.mean(axis=0), rtol=1e-6)  # not the whole set's
    assert norm.std[2] == 1.0  # a constant column is centred, not divided by 0
    np.testing.assert_array_equal(ds.X_test, (features[test_ids] - norm.mean) / norm.std)
    np.testing.assert_array_equal(ds.X_train, (features[train_ids] - norm.mean) / norm.std)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train[:, :2].std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(ds.X_train[:, 2], 0.0)
    # the target is kept in its own units, row for row
    np.testing.assert_array_equal(ds.Y_train[:, 0], raw[train_ids, 1])
    np.testing.assert_array_equal(ds.Y_test[:, 0], raw[test_ids, 1])


def test_raw_domain_and_summary_use_raw_values(regression_table) -> None:
    raw, table = regression_table
    ds = table_to_dataset(table, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(ds.raw_domain[:, 0], table.X_raw.min(axis=0))
    np.testing.assert_array_equal(ds.raw_domain[:, 1], table.X_raw.max(axis=0))
    summary = json.loads(json.dumps(ds.summary()))
    assert summary["standardized"] is True and summary["targets"] == ["f2"]
    f1 = summary["columns"][1]
    assert f1["name"] == "f1" and f1["min"] == raw[:, 0].min() and f1["max"] == raw[:, 0].max()
    assert f1["mean"] == pytest.approx(raw[:, 0].mean(), rel=1e-11)
    assert summary["columns"][2] == {
        "name": "f3",
        "min": 7.0,
        "max": 7.0,
        "mean": 7.0,
        "std": 0.0,
        "missing": 0,
    }


def test_same_seed_same_split_other_seed_other_split(regression_table) -> None:
    _, table = regression_table
    a, b = table_to_dataset(table, seed=1), table_to_dataset(table, seed=1)
    c = table_to_dataset(table, seed=2)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert set(_ids(a, a.X_test)) != set(_ids(c, c.X_test))


@pytest.mark.parametrize(("m", "fraction", "n_test"), [(10, 0.25, 3), (10, 0.0, 0), (10, 0.8, 8), (7, 0.5, 4)])
def test_test_split_size_is_rounded_half_up(m: int, fraction: float, n_test: int) -> None:
    train, test = split_indices(m, fraction, np.random.default_rng(0))
    assert len(test) == n_test and sorted([*train, *test]) == list(range(m))


def test_classification_split_is_stratified() -> None:
    labels = ["a"] * 30 + ["b"] * 60 + ["c"] * 10
    rows = np.random.default_rng(0).normal(size=(100, 2))
    ds = table_to_dataset(parse_csv(_csv(rows, labels)), test_fraction=0.2, seed=4)
    assert ds.class_names == ("a", "b", "c") and ds.n_targets == 3
    np.testing.assert_array_equal(np.bincount(ds.labels_test), [6, 12, 2])
    np.testing.assert_array_equal(np.bincount(ds.labels_train), [24, 48, 8])
    expected = np.array([{"a": 0, "b": 1, "c": 2}[labels[i]] for i in _ids(ds, ds.X_train)])
    np.testing.assert_array_equal(ds.labels_train, expected)


def test_binary_csv_is_one_zero_one_column() -> None:
    rows = np.arange(20.0).reshape(10, 2)
    ds = table_to_dataset(parse_csv(_csv(rows, ["no", "yes"] * 5)), test_fraction=0.2)
    assert ds.Y_train.shape == (8, 1) and set(np.unique(ds.Y_train)) == {0.0, 1.0}
    assert ds.class_names == ("no", "yes") and ds.target_names == ("label",)
    assert list(ds.feature_names) == ["id", "f1", "f2"]


def test_normalization_dict_round_trip_is_exact() -> None:
    rng = np.random.default_rng(1)
    norm = Normalization.fit(rng.normal(size=(50, 4)) * [1e-7, 3.0, 1e9, 1.0] + [1 / 3, -2e5, 0.1, 7.0])
    text = json.dumps(norm.to_dict())
    back = Normalization.from_dict(json.loads(text))
    assert back == norm
    np.testing.assert_array_equal(back.mean, norm.mean)
    np.testing.assert_array_equal(back.std, norm.std)
    assert back.mean.dtype == np.float64 and isinstance(norm.to_dict()["mean"][0], float)


def test_normalization_apply_and_invert() -> None:
    norm = Normalization(np.array([1.0, -2.0]), np.array([2.0, 0.5]))
    np.testing.assert_array_equal(norm.apply([[3.0, -1.0], [1.0, -2.0]]), [[1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(norm.apply([3.0, -1.0]), [1.0, 2.0])  # one sample
    np.testing.assert_array_equal(norm.invert(norm.apply([[5.0, 4.0]])), [[5.0, 4.0]])
    with pytest.raises(DatasetError, match="expected 2 feature values per sample, got 3"):
        norm.apply([[1.0, 2.0, 3.0]])


@pytest.mark.parametrize(
    "bad",
    [
        {"mean": [0.0], "std": [0.0]},
        {"mean": [0.0, 1.0], "std": [1.0]},
        {"mean": [float("nan")], "std": [1.0]},
        {"mean": [0.0]},
        {"mean": ["a"], "std": [1.0]},
    ],
)
def test_normalization_from_bad_dict(bad: dict) -> None:
    with pytest.raises(DatasetError):
        Normalization.from_dict(bad)


def test_with_output_width_for_two_classes() -> None:
    ds = make_builtin("xor", samples=40)
    assert ds.with_output_width(1) is ds
    two = ds.with_output_width(2)
    assert two.n_targets == 2 and two.n_classes == 2
    np.testing.assert_array_equal(two.Y_train[:, 1], ds.Y_train[:, 0])
    np.testing.assert_array_equal(two.Y_train.sum(axis=1), 1.0)
    np.testing.assert_array_equal(two.labels_train, ds.labels_train)
    np.testing.assert_array_equal(two.X_train, ds.X_train)
    back = two.with_output_width(1)
    np.testing.assert_array_equal(back.Y_train, ds.Y_train)
    np.testing.assert_array_equal(back.Y_test, ds.Y_test)
    with pytest.raises(DatasetError) as info:
        ds.with_output_width(3)
    assert str(info.value) == (
        "the data set has 2 classes, so the output layer needs 1 neuron (sigmoid) or 2 (softmax); it has 3 neurons"
    )


def test_with_output_width_for_more_classes_and_regression() -> None:
    ds = make_builtin("gaussian", classes=3, samples=30)
    assert ds.with_output_width(3) is ds
    with pytest.raises(DatasetError) as info:
        ds.with_output_width(1)
    assert str(info.value) == (
        "the data set has 3 classes, so the output layer needs 3 neurons (softmax); it has 1 neuron"
    )
    with pytest.raises(DatasetError) as info:
        make_builtin("sine", samples=10).with_output_width(2)
    assert str(info.value) == ("the data set has 1 target column, so the output layer needs 1 neuron; it has 2 neurons")


def test_labels_are_for_classification_only() -> None:
    with pytest.raises(DatasetError, match="regression data set; it has no class labels"):
        _ = make_builtin("plane", samples=10).labels_train


def test_dataset_checks_its_own_shapes() -> None:
    good = make_builtin("xor", samples=10, test_fraction=0.0)
    fields = {name: getattr(good, name) for name in good.__dataclass_fields__}
    with pytest.raises(DatasetError, match="train split"):
        Dataset(**{**fields, "Y_train": good.Y_train[:-1]})
    with pytest.raises(DatasetError, match="raw_domain"):
        Dataset(**{**fields, "raw_domain": np.zeros((3, 2))})
    with pytest.raises(DatasetError, match="class_names"):
        Dataset(**{**fields, "class_names": None})
    with pytest.raises(DatasetError, match="2 classes cannot be stored in 3 target columns"):
        Dataset(**{**fields, "Y_train": np.zeros((10, 3)), "Y_test": np.zeros((0, 3))})


def test_dataset_does_not_freeze_the_callers_arrays() -> None:
    X = np.zeros((2, 1))
    ds = Dataset("d", "regression", X, X, X[:0], X[:0], ("x",), ("y",), None, None, np.zeros((1, 2)))
    X[0, 0] = 1.0  # still writable
    assert ds.X_train[0, 0] == 1.0 and not ds.X_train.flags.writeable


def test_constant_columns_get_std_one_but_tiny_scales_are_kept() -> None:
    X = np.column_stack([np.full(5, 0.1), np.zeros(5), np.array([1.0, 1.1, 0.9, 1.2, 0.8]) * 1e-10])
    norm = Normalization.fit(X)
    assert norm.std[0] == 1.0 and norm.std[1] == 1.0
    np.testing.assert_allclose(norm.std[2], X[:, 2].std(), rtol=1e-12)
    np.testing.assert_allclose(norm.apply(X)[:, :2], 0.0, atol=1e-15)
