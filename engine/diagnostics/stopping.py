"""When a training run should stop before the passes it was given: a loss target, or no more improvement.

  loss_below  stop at the end of the first epoch whose training loss (the mean over its batches) is below it
  patience    stop when the monitored loss — the test loss, or the training loss without a test split — has
              not improved on its best for `patience` epochs (the best's pass and loss are kept, to step back to)

Checked at every epoch end the metrics recorded since the watch began. The fast path asks after every chunk of at
most 32 passes, so a run may go a little past the epoch that decided it: `stop_pass` is that epoch's last pass,
for the caller to return to (the history replays it exactly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.metrics import MetricsLog


@dataclass(frozen=True)
class StopRule:
    loss_below: float | None = None
    patience: int | None = None


class StopWatch:
    """Reads a trainer's per-epoch metrics as they grow and says when (and why) the rule is met."""

    def __init__(self, rule: StopRule, metrics: MetricsLog, monitor_test: bool) -> None:
        self.rule = rule
        self.metrics = metrics
        self.monitor_test = monitor_test
        epochs = metrics.epoch_index.x
        self.seen = epochs[-1] if epochs else -1  # epochs before the watch began are not its business
        self.reason: str | None = None
        self.stop_pass: int | None = None  # the pass at the end of the epoch that met the condition
        self.best_loss = math.inf
        self.best_epoch: int | None = None
        self.best_pass: int | None = None

    def check(self) -> bool:
        """Whether to stop now (`reason` then says why)."""
        if self.reason is not None:
            return True
        log = self.metrics
        monitored = log.test_loss if self.monitor_test else log.train_loss
        epochs = log.epoch_index.x
        start = len(epochs)
        while start > 0 and epochs[start - 1] > self.seen:
            start -= 1
        for k in range(start, len(epochs)):
            epoch = epochs[k]
            self.seen = epoch
            train = _at(log.train_loss, epoch)
            if self.rule.loss_below is not None and train is not None and train < self.rule.loss_below:
                self.reason, self.stop_pass = "loss_below", int(log.epoch_index.y[k])
                return True
            if self.rule.patience is not None:
                value = _at(monitored, epoch)
                if value is not None and value < self.best_loss:
                    self.best_loss, self.best_epoch, self.best_pass = value, epoch, int(log.epoch_index.y[k])
                elif self.best_epoch is not None and epoch - self.best_epoch >= self.rule.patience:
                    self.reason, self.stop_pass = "patience", int(log.epoch_index.y[k])
                    return True
        return False


def _at(series: object, epoch: int) -> float | None:
    """The series' finite value at this epoch, if it has one (the newest points are searched first)."""
    xs, ys = series.x, series.y  # type: ignore[attr-defined]
    for i in range(len(xs) - 1, -1, -1):
        if xs[i] == epoch:
            y = ys[i]
            return y if y is not None and math.isfinite(y) else None
        if xs[i] < epoch:
            return None
    return None
