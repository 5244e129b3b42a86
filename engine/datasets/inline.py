"""Tiny data sets given in a request, such as the seed's single sample x = (0.05, 0.10), y = 0.01.

They are used exactly as given: no standardization, no re-encoding of the targets (each target row is
the output layer's target vector as written), and no shuffling unless a test split is asked for.

Task "auto": classification if every target value is 0 or 1 and the targets are one column or one-hot
rows (exactly one 1 per row); regression otherwise. Classification targets must lie in [0, 1], and rows of
several columns must sum to 1 (one-hot or class probabilities); their classes are named "0", "1", ….
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from engine.datasets.base import (
    Dataset,
    DatasetError,
    Task,
    brief,
    build_dataset,
    check_test_fraction,
    decode_labels,
)

Array = np.ndarray
_ROW_SUM_TOLERANCE = 1e-9


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _is_row(value: Any) -> bool:
    return isinstance(value, Sequence | np.ndarray) and not isinstance(value, str | bytes)


def _matrix(value: Any, field: str) -> Array:
    """A non-empty, rectangular list of rows of finite numbers as a float64 matrix."""
    if not _is_row(value):
        raise DatasetError(f"{field} must be a list of rows, each a list of numbers", column=field)
    if len(value) == 0:
        raise DatasetError(f"{field} is empty: give at least one row", column=field)
    width = None
    for i, row in enumerate(value, start=1):
        if not _is_row(row):
            raise DatasetError(f"{field} row {i} is {brief(row)}, not a list of numbers", row=i, column=field)
        if len(row) == 0:
            raise DatasetError(f"{field} row {i} is empty: every row needs at least one value", row=i, column=field)
        width = len(row) if width is None else width
        if len(row) != width:
            raise DatasetError(
                f"{field} row {i} has {len(row)} values but row 1 has {width}: every row needs as many",
                row=i,
                column=field,
            )
        for k, v in enumerate(row, start=1):
            if not _is_number(v):
                raise DatasetError(f"{field} row {i}, value {k} is {brief(v)}, not a number", row=i, column=field)
            if not _finite(v):
                raise DatasetError(
                    f"{field} row {i}, value {k} is {brief(v)}; every value must be a finite number",
                    row=i,
                    column=field,
                )
    return np.array(value, dtype=np.float64).reshape(len(value), width)


def _targets(value: Any) -> Array:
    """Targets as a matrix: a flat list of numbers is one column (one target per sample)."""
    if _is_row(value) and len(value) and all(_is_number(v) for v in value):
        return _matrix([[v] for v in value], "targets")
    return _matrix(value, "targets")


def _looks_like_classes(Y: Array) -> bool:
    """The "auto" rule: all 0/1, and one column or one-hot rows."""
    binary = bool(np.isin(Y, (0.0, 1.0)).all())
    return binary and (Y.shape[1] == 1 or bool((Y.sum(axis=1) == 1.0).all()))


def _check_class_targets(Y: Array) -> None:
    """Classification targets as the output layer needs them: in [0, 1], rows of several columns sum to 1."""
    for i, row in enumerate(Y, start=1):
        if ((row < 0) | (row > 1)).any():
            bad = float(row[(row < 0) | (row > 1)][0])
            raise DatasetError(
                f"targets row {i} holds {bad:g}, but classification targets must be 0 or 1 (or a probability "
                "between them); for k > 2 classes give one-hot rows of k values",
                row=i,
                column="targets",
            )
        if Y.shape[1] > 1 and abs(row.sum() - 1.0) > _ROW_SUM_TOLERANCE:
            raise DatasetError(
                f"targets row {i} sums to {row.sum():g}, but a classification target of several columns must "
                "be one-hot (one 1, the rest 0) or class probabilities that sum to 1",
                row=i,
                column="targets",
            )


def inline_dataset(
    inputs: list[list[float]],
    targets: list[list[float]] | list[float],
    *,
    task: Literal["auto", "classification", "regression"] = "regression",
    test_fraction: float = 0.0,
    seed: int = 0,
    name: str = "inline",
) -> Dataset:
    """A Dataset from rows given inline, kept as given; with test_fraction > 0 the rows are shuffled and
    split (stratified by class for classification)."""
    if task not in ("auto", "classification", "regression"):
        raise DatasetError(f"task must be 'classification', 'regression' or 'auto', got {task!r}")
    test_fraction = check_test_fraction(test_fraction)
    X = _matrix(inputs, "inputs")
    Y = _targets(targets)
    if X.shape[0] != Y.shape[0]:
        raise DatasetError(
            f"inputs has {X.shape[0]} rows but targets has {Y.shape[0]}: give one target row per input row",
            column="targets",
        )
    resolved: Task = task if task != "auto" else "classification" if _looks_like_classes(Y) else "regression"
    class_names = labels = None
    if resolved == "classification":
        _check_class_targets(Y)
        k = 2 if Y.shape[1] == 1 else Y.shape[1]
        class_names = tuple(str(c) for c in range(k))
        labels = decode_labels(Y)
        target_names: tuple[str, ...] = ("label",)
    else:
        target_names = ("y",) if Y.shape[1] == 1 else tuple(f"y{k}" for k in range(1, Y.shape[1] + 1))
    return build_dataset(
        name=name,
        task=resolved,
        X_raw=X,
        Y=Y,
        feature_names=tuple(f"x{j}" for j in range(1, X.shape[1] + 1)),
        target_names=target_names,
        class_names=class_names,
        test_fraction=test_fraction,
        seed=seed,
        standardize=False,
        labels=labels,
        min_train=1,
        shuffle=False,
        what="the inline data",
    )
