"""Loss and accuracy over a data set, and the bounded log of them that the loss curve is drawn from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.network import Network

Array = np.ndarray

DEFAULT_MAX_POINTS = 100_000


def correct_count(output: Array, Y: Array) -> int:
    """How many rows are classified right: threshold 0.5 for one output, arg-max for several."""
    if output.shape[1] == 1:
        return int(np.count_nonzero((output[:, 0] > 0.5) == (Y[:, 0] > 0.5)))
    return int(np.count_nonzero(output.argmax(axis=1) == Y.argmax(axis=1)))


def evaluate(network: Network, X: Array, Y: Array, classification: bool) -> tuple[float, float | None]:
    """(J, accuracy) of the network on a whole set; accuracy is None for regression or an empty set."""
    if X.shape[0] == 0:
        return float("nan"), None
    fwd = network.forward(np.asarray(X, dtype=network.dtype))
    loss = network.data_loss(fwd, Y)
    accuracy = correct_count(fwd.a[-1], Y) / X.shape[0] if classification else None
    return loss, accuracy


@dataclass
class Series:
    """(x, y) points that thin themselves out (every other point dropped) beyond `max_points`, so memory stays
    bounded in long runs while the curve keeps its shape."""

    max_points: int = DEFAULT_MAX_POINTS
    x: list[int] = field(default_factory=list)
    y: list[float | None] = field(default_factory=list)
    stride: int = 1
    # How many times the series was thinned (every other point dropped): its points are then other ones.
    thinnings: int = 0
    # The fewest points it has held since `mark()` (its length then, less after a cut): a copy of its first n points
    # made at the mark still holds its first min(n, low_water) points (app/savedseries.py), if it was not thinned.
    low_water: int = 0

    def append(self, x: int, y: float | None) -> bool:
        """Add a point if it falls on the current stride; returns whether it was kept."""
        if x % self.stride:
            return False
        self.x.append(x)
        self.y.append(y)
        if len(self.x) > self.max_points:
            self.stride *= 2
            keep = [i for i, xi in enumerate(self.x) if xi % self.stride == 0]
            self.x = [self.x[i] for i in keep]
            self.y = [self.y[i] for i in keep]
            self.thinnings += 1
            self.low_water = 0
        return True

    def truncate_after(self, x: int) -> None:
        """Drop points past x (after stepping back)."""
        while self.x and self.x[-1] > x:
            self.x.pop()
            self.y.pop()
        self.low_water = min(self.low_water, len(self.x))

    def mark(self) -> None:
        """Start watching for cuts from here (see `low_water`)."""
        self.low_water = len(self.x)

    def __len__(self) -> int:
        return len(self.x)


@dataclass
class MetricsLog:
    """Per pass: the batch loss J. Per epoch: mean train loss over its batches, train accuracy over its
    batches, and test loss and accuracy on the whole test set at the epoch's end."""

    batch_loss: Series = field(default_factory=Series)
    epoch_index: Series = field(default_factory=Series)
    train_loss: Series = field(default_factory=Series)
    test_loss: Series = field(default_factory=Series)
    train_accuracy: Series = field(default_factory=Series)
    test_accuracy: Series = field(default_factory=Series)

    def epoch_series(self) -> tuple[Series, ...]:
        return (self.epoch_index, self.train_loss, self.test_loss, self.train_accuracy, self.test_accuracy)

    def truncate_after(self, pass_index: int, epoch: int) -> None:
        """Forget what happened after pass `pass_index` / epoch `epoch` (the state went back)."""
        self.batch_loss.truncate_after(pass_index)
        for series in self.epoch_series():
            series.truncate_after(epoch)
