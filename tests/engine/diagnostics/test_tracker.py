"""The tracker's history: one entry per measured pass, rewritten when the training goes back, thinned past its
bound, with every histogram row on the current bins."""

from __future__ import annotations

import numpy as np

from engine.diagnostics import tracker as diagnostics_tracker
from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.training import Trainer, TrainingConfig


def trainer(lr: float = 0.5) -> Trainer:
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (50, 2))
    Y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    net = Network.build([2, 6, 1], ["relu", "sigmoid"], loss="bce")
    return Trainer(net, X, Y, config=TrainingConfig(OptimizerConfig("sgd", lr), 10), classification=True)


def test_each_pass_measured_is_one_entry_and_going_back_rewrites_the_later_ones():
    t = trainer()
    tracker = diagnostics_tracker.DiagnosticsTracker(t)
    frame = t.checkpoint()
    for _ in range(3):
        tracker.measure(t)
        t.run_passes(5)
    tracker.measure(t)
    tracker.measure(t)  # the same pass again: replaced, not added
    assert tracker.passes == [0, 5, 10, 15]
    t.restore(frame)
    t.run_passes(7)
    snapshot = tracker.measure(t)
    assert tracker.passes == [0, 5, 7] and snapshot.pass_index == 7
    edges, rows = tracker.histogram_history(1, "W")
    assert len(rows) == 3 and all(len(r) == len(edges) - 1 for r in rows)
    assert tracker.series(1, "weight_norm")[-1] == np.linalg.norm(t.network.W[0])
    assert tracker.entries[-1].layers[0].values == {}  # the history keeps numbers, not arrays


def test_the_history_is_thinned_past_its_bound_and_keeps_the_newest(monkeypatch):
    monkeypatch.setattr(diagnostics_tracker, "MAX_ENTRIES", 8)
    t = trainer()
    tracker = diagnostics_tracker.DiagnosticsTracker(t)
    for _ in range(12):
        tracker.measure(t)
        t.run_passes(1)
    last = tracker.measure(t)
    assert len(tracker.entries) <= 8 and tracker.passes[-1] == last.pass_index == 12
    assert tracker.passes == sorted(tracker.passes)
    for q in ("W", "a", "delta", "grad_W"):
        assert len(tracker.histogram_history(1, q)[1]) == len(tracker.entries)


def test_the_snapshot_carries_each_layers_histograms_counting_every_value():
    t = trainer()
    tracker = diagnostics_tracker.DiagnosticsTracker(t)
    snapshot = tracker.measure(t)
    probe = tracker.probe.size
    counts = {q: int(snapshot.histograms[0][q].counts.sum()) for q in ("W", "a", "delta", "grad_W")}
    assert counts == {"W": 12, "a": probe * 6, "delta": probe * 6, "grad_W": 12}
