"""A costly extra paid by the session's own training: due at first, then only after `ratio` × its last cost."""

from __future__ import annotations

from app.training_share import TrainingShare


def test_an_extra_is_due_again_after_ratio_times_its_cost_in_training():
    share = TrainingShare(20.0)
    assert share.paid  # nothing spent yet: the first one is due
    share.spent(0.002)
    assert not share.paid
    share.earn(0.039)
    assert not share.paid  # 39 ms of training for a 2 ms extra at 20×: not yet
    share.earn(0.001)
    assert share.paid
    share.spent(0.001)
    assert share.trained == 0.0 and not share.paid
