"""Evaluation: confusion matrices whose rows sum to the class counts, R² against its definition."""

from __future__ import annotations

import numpy as np
import pytest

from engine.diagnostics.evaluation import MAX_PAIRS, confusion, r_squared, regression
from engine.network import Network


@pytest.mark.parametrize("outputs", [1, 3])
def test_confusion_rows_sum_to_the_count_of_each_true_class(outputs):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2))
    k = 2 if outputs == 1 else 3
    labels = rng.integers(0, k, 90)
    Y = labels[:, None].astype(float) if outputs == 1 else np.eye(k)[labels]
    net = Network.build([2, 5, outputs], ["tanh", "sigmoid" if outputs == 1 else "softmax"])
    matrix = confusion(net, X, Y, k)
    assert matrix.shape == (k, k)
    assert matrix.sum(axis=1).tolist() == np.bincount(labels, minlength=k).tolist()
    predicted = (net.predict(X)[:, 0] > 0.5).astype(int) if outputs == 1 else net.predict(X).argmax(axis=1)
    assert matrix.sum(axis=0).tolist() == np.bincount(predicted, minlength=k).tolist()


def test_r_squared_is_one_for_a_perfect_fit_zero_for_the_mean_and_averages_columns():
    y = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 33.0]])
    assert r_squared(y, y) == 1.0
    assert r_squared(y, np.broadcast_to(y.mean(axis=0), y.shape)) == pytest.approx(0.0, abs=1e-15)
    prediction = y.copy()
    prediction[:, 1] = y[:, 1].mean()
    assert r_squared(y, prediction) == pytest.approx(0.5)
    assert r_squared(np.zeros((0, 1)), np.zeros((0, 1))) is None


def test_regression_pairs_actual_with_predicted_and_are_capped():
    X = np.linspace(-1, 1, 3_000)[:, None]
    Y = 2 * X
    net = Network.build([1, 1], ["linear"], loss="mse")
    result = regression(net, X, Y)
    assert result.pairs.shape == (MAX_PAIRS, 2)
    assert result.pairs[0, 0] == Y[0, 0] and result.pairs[0, 1] == pytest.approx(net.predict(X[:1])[0, 0])
    residual = ((Y - net.predict(X)) ** 2).sum()
    assert result.r2 == pytest.approx(1 - residual / ((Y - Y.mean()) ** 2).sum())
