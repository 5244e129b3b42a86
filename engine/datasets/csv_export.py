"""A session's data as CSV, the raw values as they were given: one row per sample with its features, its
target and the split it belongs to (train or test), so a learner can check their own code on the same rows.

The network trains on standardized inputs when the data came from an uploaded CSV; the raw values are then
taken from the uploaded table split again the same way (exact), or, when the table is gone, by undoing the
standardization, x = x' · std + mean, rounded to 15 significant digits of the column's largest value (which
gives back every value written with no more decimals than that).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from engine.datasets.base import Dataset

Array = np.ndarray

SPLITS = ("train", "test")
_ROUNDING_DIGITS = 15


@dataclass(frozen=True)
class RawInputs:
    """The raw feature values of both splits, and whether they are exact or undone standardization."""

    train: Array
    test: Array
    exact: bool


def raw_inputs(dataset: Dataset, unstandardized: Dataset | None = None) -> RawInputs:
    """The raw X of both splits. `unstandardized` is the same data split the same way but not standardized
    (`table_to_dataset(..., standardize=False)`); it is used when standardizing it gives `dataset`'s inputs
    bit for bit (so it is the very same data)."""
    norm = dataset.normalization
    if norm is None:
        return RawInputs(dataset.X_train, dataset.X_test, exact=True)
    if unstandardized is not None and _same_rows(dataset, unstandardized):
        return RawInputs(unstandardized.X_train, unstandardized.X_test, exact=True)
    train, test = norm.invert(dataset.X_train), norm.invert(dataset.X_test)
    decimals = _decimals(np.concatenate([train, test]))
    return RawInputs(_rounded(train, decimals), _rounded(test, decimals), exact=False)


def _same_rows(dataset: Dataset, raw: Dataset) -> bool:
    norm = dataset.normalization
    assert norm is not None
    return (
        raw.X_train.shape == dataset.X_train.shape
        and raw.X_test.shape == dataset.X_test.shape
        and np.array_equal(norm.apply(raw.X_train), dataset.X_train)
        and np.array_equal(norm.apply(raw.X_test), dataset.X_test)
        and np.array_equal(raw.Y_train, dataset.Y_train)
        and np.array_equal(raw.Y_test, dataset.Y_test)
    )


def _decimals(X: Array) -> list[int]:
    """Per column, the decimals that keep 15 significant digits of its largest |value|: undoing the
    standardization is exact to a few units in the last place of that value, not of each value."""
    scale = np.abs(X).max(axis=0) if X.size else np.ones(X.shape[1])
    return [max(0, min(300, _ROUNDING_DIGITS - 1 - int(np.floor(np.log10(s))))) if s > 0 else 0 for s in scale]


def _rounded(X: Array, decimals: list[int]) -> Array:
    out = np.array(X, dtype=np.float64)
    for j, d in enumerate(decimals):
        out[:, j] = [float(f"{v:.{d}f}") for v in out[:, j]]
    return out


def number(value: float) -> str:
    """A value as a CSV cell: whole numbers without a decimal point (as people write them), others in the
    shortest form that reads back as the same float."""
    v = float(value)
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def column_names(dataset: Dataset) -> list[str]:
    """The header: the features, the target (one column of class names for classification, else one per
    target), and the split column (named `split`, or `split_` if a feature already has that name)."""
    targets = [dataset.target_names[0]] if dataset.task == "classification" else list(dataset.target_names)
    names = [*dataset.feature_names, *targets]
    split = "split"
    while split in names:
        split += "_"
    return [*names, split]


def target_cells(dataset: Dataset, Y: Array) -> list[list[str]]:
    """Each row's target cells: its class name (classification), or its target values."""
    if dataset.task == "classification":
        assert dataset.class_names is not None
        labels = Y[:, 0] > 0.5 if Y.shape[1] == 1 else Y.argmax(axis=1)
        return [[dataset.class_names[int(k)]] for k in labels]
    return [[number(v) for v in row] for row in Y]


def dataset_csv(dataset: Dataset, raw: RawInputs, split: str | None = None) -> str:
    """The CSV text of one split (`train` or `test`) or of both (None: train rows first)."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test' (or left out for both), got {split!r}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(column_names(dataset))
    parts = ((raw.train, dataset.Y_train, "train"), (raw.test, dataset.Y_test, "test"))
    for X, Y, name in parts:
        if split is not None and name != split:
            continue
        for features, targets in zip(X, target_cells(dataset, Y), strict=True):
            writer.writerow([*(number(v) for v in features), *targets, name])
    return out.getvalue()
