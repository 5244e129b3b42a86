"""Stop conditions read from the per-epoch metrics as they grow."""

from __future__ import annotations

from engine.diagnostics.stopping import StopRule, StopWatch
from engine.metrics import MetricsLog


def log_epochs(log: MetricsLog, train: list[float], test: list[float | None] | None = None, passes: int = 10) -> None:
    start = len(log.epoch_index.x)
    for k, loss in enumerate(train):
        epoch = start + k + 1
        log.epoch_index.append(epoch, epoch * passes)
        log.train_loss.append(epoch, loss)
        log.test_loss.append(epoch, None if test is None else test[k])


def test_loss_below_stops_at_the_first_epoch_under_the_target():
    log = MetricsLog()
    watch = StopWatch(StopRule(loss_below=0.1), log, monitor_test=False)
    log_epochs(log, [0.5, 0.2])
    assert not watch.check()
    log_epochs(log, [0.09, 0.05])
    assert watch.check() and watch.reason == "loss_below"


def test_patience_counts_epochs_since_the_best_test_loss_and_remembers_its_pass():
    log = MetricsLog()
    watch = StopWatch(StopRule(patience=4), log, monitor_test=True)
    log_epochs(log, [0.5, 0.4, 0.3, 0.2, 0.1], test=[0.6, 0.5, 0.55, 0.52, 0.51])
    assert not watch.check() and watch.best_epoch == 2 and watch.best_pass == 20
    log_epochs(log, [0.05], test=[0.7])
    assert watch.check() and watch.reason == "patience" and watch.best_loss == 0.5


def test_epochs_before_the_watch_began_are_not_counted():
    log = MetricsLog()
    log_epochs(log, [0.01, 0.01])
    watch = StopWatch(StopRule(loss_below=0.1, patience=1), log, monitor_test=False)
    assert not watch.check()
    log_epochs(log, [0.3])
    assert not watch.check() and watch.best_epoch == 3
