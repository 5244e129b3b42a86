"""Phase records: one frozen type per phase carrying only that phase's fields, built from a pass in pass order,
showing the pass's keyframe weights before the update and copies of the new ones after it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.records import (
    BackwardRecord,
    ForwardRecord,
    LossRecord,
    PhaseRecord,
    UpdateRecord,
    phase_label,
    records_before_update,
    row_in_batch,
    update_record,
)

COMMON = {"layer", "pass_index", "epoch", "position", "focus"}


def _fields(record_type: type) -> set[str]:
    return {f.name for f in dataclasses.fields(record_type)}


def test_each_phase_has_its_own_record_type_with_only_its_fields() -> None:
    assert _fields(PhaseRecord) == COMMON
    assert _fields(ForwardRecord) - COMMON == {"z", "a", "a_prev", "W", "b"}
    assert _fields(LossRecord) - COMMON == {
        "z", "a", "grad_a", "fprime", "delta", "y", "loss", "penalty", "sample_loss", "batch", "focus_in_batch"
    }  # fmt: skip
    assert _fields(BackwardRecord) - COMMON == {
        "z", "a_prev", "fprime", "delta", "grad_W", "grad_b", "sample_grad_W", "sample_grad_b", "W"
    }  # fmt: skip
    assert _fields(UpdateRecord) - COMMON == {"W", "b", "step_W", "step_b", "learning_rate"}
    phases = [t.phase for t in (ForwardRecord, LossRecord, BackwardRecord, UpdateRecord)]
    assert phases == ["forward", "loss", "backward", "update"]


def test_phase_labels_name_the_timeline() -> None:
    assert [phase_label("forward", 2), phase_label("loss", None), phase_label("backward", 1)] == ["F2", "J", "B1"]
    assert phase_label("update", None) == "U"


def test_a_pass_gives_forward_loss_backward_records_in_pass_order(make_trainer) -> None:
    trainer = make_trainer(sizes=(2, 4, 3, 1), batch_size=4)
    frame = trainer.keyframe()
    work = trainer.begin_pass()
    records = records_before_update(trainer, work, frame, focus=1)
    assert [type(r) for r in records] == [ForwardRecord] * 3 + [LossRecord] + [BackwardRecord] * 3
    assert [r.label for r in records] == ["F1", "F2", "F3", "J", "B3", "B2", "B1"]
    assert [r.position for r in records] == list(range(7))
    assert all(r.pass_index == 0 and r.epoch == 0 and r.focus == 1 for r in records)


def test_records_show_the_keyframe_weights_and_the_batch_gradients(make_trainer) -> None:
    trainer = make_trainer(sizes=(2, 4, 3, 1), batch_size=10)  # the whole set: the focus is in the batch
    frame = trainer.keyframe()
    work = trainer.begin_pass()
    records = records_before_update(trainer, work, frame, focus=6)
    forward, loss, backward = records[:3], records[3], records[:3:-1]  # backward as B1, B2, B3
    for layer in (1, 2, 3):
        f, b = forward[layer - 1], backward[layer - 1]
        assert f.layer == b.layer == layer
        assert f.W is frame.W[layer - 1] and f.b is frame.b[layer - 1] and b.W is frame.W[layer - 1]
        assert b.grad_W is work.bwd.grad_W[layer - 1] and b.grad_b is work.bwd.grad_b[layer - 1]
        np.testing.assert_array_equal(b.sample_grad_W, np.outer(b.delta, b.a_prev))  # δ^l (a^{l−1})ᵀ
        np.testing.assert_array_equal(b.sample_grad_b, b.delta)
    assert loss.focus_in_batch is True and loss.layer is None
    np.testing.assert_array_equal(loss.delta, backward[-1].delta)  # δ^L starts the backward pass
    np.testing.assert_array_equal(loss.a, forward[-1].a)
    assert loss.loss == work.loss
    np.testing.assert_array_equal(loss.batch, work.indices)


def test_the_loss_record_carries_dJ_da_so_the_chain_rule_reads_with_numbers(make_trainer) -> None:
    """For an elementwise output f, δ^L = ∂J/∂a^L ⊙ f'(z^L): the record's three vectors multiply to its δ^L."""
    trainer = make_trainer(sizes=(2, 3, 2), activations=("tanh", "sigmoid"), loss="half_sse", batch_size=10)
    frame = trainer.keyframe()
    work = trainer.begin_pass()
    loss = records_before_update(trainer, work, frame, focus=2)[2]
    np.testing.assert_array_equal(loss.grad_a, loss.a - loss.y)  # ½ Σ (ŷ − y)² gives ŷ − y
    np.testing.assert_allclose(loss.grad_a * loss.fprime, loss.delta, rtol=1e-12)


def test_the_update_record_holds_copies_of_the_new_parameters_and_the_steps(make_trainer) -> None:
    trainer = make_trainer(sizes=(2, 3, 1), activations=("tanh", "sigmoid"), learning_rate=0.25)
    work = trainer.begin_pass()
    steps = trainer.finish_pass(work)
    record = update_record(trainer, work, focus=0, steps=steps)
    assert (record.label, record.position, record.layer, record.learning_rate) == ("U", 5, None, 0.25)
    for got, net_array in zip(record.W + record.b, trainer.network.W + trainer.network.b, strict=True):
        np.testing.assert_array_equal(got, net_array)
        assert got is not net_array
    assert record.step_W == steps[0::2] and record.step_b == steps[1::2]
    trainer.network.W[0][0, 0] += 1.0
    assert record.W[0][0, 0] != trainer.network.W[0][0, 0]  # a copy: later passes do not change it


def test_records_are_frozen(make_trainer) -> None:
    trainer = make_trainer()
    frame = trainer.keyframe()
    record = records_before_update(trainer, trainer.begin_pass(), frame, focus=0)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.z = None  # type: ignore[misc]


@pytest.mark.parametrize(
    ("indices", "sample", "row"),
    [(np.arange(5), 3, 3), (np.array([4, 0, 2]), 2, 2), (np.array([4, 0, 2]), 0, 1), (np.array([4, 0, 2]), 3, None)],
)
def test_row_in_batch_finds_the_samples_row_or_none(indices: np.ndarray, sample: int, row: int | None) -> None:
    assert row_in_batch(indices, sample) == row


@pytest.mark.parametrize("in_batch", [True, False], ids=["focus-in-the-batch", "focus-outside-it"])
def test_every_record_built_has_exactly_its_types_fields(make_trainer, in_batch: bool) -> None:
    trainer = make_trainer(sizes=(2, 4, 3, 1), batch_size=4)  # 10 samples: a batch leaves 6 out
    frame = trainer.keyframe()
    work = trainer.begin_pass()
    focus = int(work.indices[2]) if in_batch else next(i for i in range(10) if i not in work.indices)
    records = records_before_update(trainer, work, frame, focus)
    records.append(update_record(trainer, work, focus, trainer.finish_pass(work)))
    assert [r.label for r in records] == ["F1", "F2", "F3", "J", "B3", "B2", "B1", "U"]
    assert records[3].focus_in_batch is in_batch
    for record in records:
        assert set(vars(record)) == _fields(type(record)), record.label
        assert [name for name, value in vars(record).items() if value is None and name != "layer"] == [], record.label
