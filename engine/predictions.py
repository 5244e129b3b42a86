"""What a classifier makes of the samples of a data set: each one's predicted class and how sure it is, and the
confusion matrix of a whole split (the page's grid of test images and its confusion table).

The predicted class follows the accuracy's rule (`metrics.correct_count`): one sigmoid output is class 1 when
a > 0.5, several outputs the arg-max. The confidence is the output of the predicted class (1 − a for class 0 of
one sigmoid output): a probability for sigmoid and softmax outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.datasets import Dataset
from engine.datasets.base import decode_labels
from engine.network import Network

Array = np.ndarray

RAW_DECIMALS = 9  # raw pixels un-standardized: rounding noise in the last bits is not a grey level


@dataclass(frozen=True)
class SplitPredictions:
    """Every sample of a split: its true class, the predicted one and the confidence; the confusion matrix."""

    labels: Array
    predicted: Array
    confidence: Array
    confusion: Array  # confusion[i, j]: samples of class i predicted as class j

    @property
    def mistakes(self) -> Array:
        """Indices of the samples predicted wrong, in order."""
        return np.flatnonzero(self.labels != self.predicted)

    @property
    def accuracy(self) -> float | None:
        return float(np.mean(self.labels == self.predicted)) if self.labels.size else None


def classify(outputs: Array) -> tuple[Array, Array]:
    """The predicted class of each row of a^L and the output that class got."""
    if outputs.shape[1] == 1:
        p = outputs[:, 0].astype(np.float64)
        predicted = (p > 0.5).astype(np.int64)
        return predicted, np.where(predicted == 1, p, 1.0 - p)
    predicted = outputs.argmax(axis=1).astype(np.int64)
    return predicted, outputs[np.arange(outputs.shape[0]), predicted].astype(np.float64)


def confusion_matrix(labels: Array, predicted: Array, k: int) -> Array:
    """k × k counts: row i, column j is how many samples of class i were predicted as class j."""
    return np.bincount(labels * k + predicted, minlength=k * k).reshape(k, k)


def predict_split(network: Network, X: Array, Y: Array, k: int) -> SplitPredictions:
    """The network on a whole split (network inputs X, stored targets Y) of a k-class data set."""
    labels = decode_labels(Y) if X.shape[0] else np.zeros(0, dtype=np.int64)
    if X.shape[0]:
        predicted, confidence = classify(network.predict(X))
    else:
        predicted, confidence = np.zeros(0, dtype=np.int64), np.zeros(0)
    return SplitPredictions(labels, predicted, confidence, confusion_matrix(labels, predicted, k))


def raw_rows(dataset: Dataset, X: Array) -> Array:
    """Network inputs as the data's raw values (the pixels of an image set), standardization undone."""
    raw = dataset.normalization.invert(X) if dataset.normalization is not None else np.asarray(X, dtype=np.float64)
    return np.round(raw, RAW_DECIMALS) + 0.0  # + 0.0: no −0
