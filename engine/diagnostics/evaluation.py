"""How well the network does on each split: the confusion matrix of a classifier, R² and predicted-vs-actual
pairs of a regression.

  confusion[i][j] = samples of class i predicted as class j   (engine/predictions.py's rule for the class)
  R² = 1 − Σ (y − ŷ)² / Σ (y − ȳ)²   per target column, averaged over the columns (scikit-learn's uniform
                                      average); None for an empty split, 0/0 counts as 0 (a constant target)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.network import Network
from engine.predictions import predict_split

Array = np.ndarray

MAX_PAIRS = 2_000  # predicted-vs-actual points per split (evenly spaced rows beyond it)


@dataclass(frozen=True)
class Regression:
    r2: float | None
    pairs: Array  # rows of (actual, predicted), every target column's in turn


def confusion(network: Network, X: Array, Y: Array, classes: int) -> Array:
    """The k × k confusion matrix of a split; its rows sum to the split's count of each class."""
    return predict_split(network, X, Y, classes).confusion


def r_squared(actual: Array, predicted: Array) -> float | None:
    """The coefficient of determination, averaged over columns (see the module docstring)."""
    if actual.shape[0] == 0:
        return None
    residual = ((actual - predicted) ** 2).sum(axis=0)
    spread = ((actual - actual.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_column = np.where(spread > 0, 1.0 - residual / np.where(spread > 0, spread, 1.0), 0.0)
    return float(per_column.mean())


def regression(network: Network, X: Array, Y: Array) -> Regression:
    """R² and (actual, predicted) pairs of a split (at most MAX_PAIRS rows of it)."""
    if X.shape[0] == 0:
        return Regression(None, np.zeros((0, 2)))
    with np.errstate(over="ignore", invalid="ignore"):
        predicted = network.predict(X).astype(np.float64)
    actual = np.asarray(Y, dtype=np.float64)
    rows = np.arange(X.shape[0])
    if rows.size > MAX_PAIRS:
        rows = np.unique(np.linspace(0, rows.size - 1, MAX_PAIRS).round().astype(np.int64))
    pairs = np.column_stack([actual[rows].T.ravel(), predicted[rows].T.ravel()])
    return Regression(r_squared(actual, predicted), pairs)
