"""Teaching one example through the stepper (a drawing on the page's pad): the pass it makes, its records,
stepping back over it exactly, its place in the history and the metrics; and a focus sample from the test split."""

from __future__ import annotations

import numpy as np
import pytest

from engine.batches import EXAMPLE_INDEX, Example
from engine.history import Checkpoint
from engine.records import LossRecord, UpdateRecord
from engine.serialization import checkpoint_from_dict, checkpoint_to_dict, trainer_from_dict, trainer_to_dict
from engine.stepper import Stepper

KWARGS = {"sizes": (3, 4, 2), "activations": ("tanh", "softmax"), "loss": "cross_entropy", "optimizer": "adam"}
EXAMPLE = Example(np.array([0.5, -1.0, 2.0]), np.array([0.0, 1.0]))


def _stepper(make_trainer, **overrides) -> Stepper:
    return Stepper(make_trainer(**{**KWARGS, "test_samples": 5, **overrides}))


def test_a_taught_pass_trains_on_the_example_alone(make_trainer) -> None:
    """One pass of the seed's equations on the example, as if it were the whole training set with batch 1."""
    stepper = _stepper(make_trainer, optimizer="sgd", regularization=None)
    alone = make_trainer(**{**KWARGS, "optimizer": "sgd"}, X=EXAMPLE.x[None], Y=EXAMPLE.y[None], batch_size=1)
    result = stepper.teach(EXAMPLE)
    expected = Stepper(alone).step("pass").records
    assert result.passes == 1 and result.diverged is None and stepper.pass_index == 1
    assert [r.label for r in result.records] == ["F1", "F2", "J", "B2", "B1", "U"]
    for got, want in zip(result.records, expected, strict=True):
        assert got.focus == EXAMPLE_INDEX
        for name in ("z", "a", "a_prev", "delta", "grad_W", "sample_grad_W", "W", "step_W", "loss", "sample_loss"):
            if hasattr(want, name):
                mine, theirs = getattr(got, name), getattr(want, name)
                for a, b in zip(*((x if isinstance(x, list) else [x]) for x in (mine, theirs)), strict=True):
                    np.testing.assert_array_equal(a, b, err_msg=f"{got.label} {name}")
    loss = result.records[2]
    assert isinstance(loss, LossRecord)
    np.testing.assert_array_equal(loss.batch, [EXAMPLE_INDEX])
    assert loss.focus_in_batch is True
    np.testing.assert_array_equal(loss.y, EXAMPLE.y)
    for W, W_alone in zip(stepper.trainer.network.W, alone.network.W, strict=True):
        np.testing.assert_array_equal(W, W_alone)


def test_teaching_does_not_move_the_sampler_or_the_epoch(make_trainer) -> None:
    stepper = _stepper(make_trainer)
    stepper.step("pass", 1)
    before = stepper.trainer.sampler.snapshot()
    accumulators = stepper.trainer.checkpoint().epoch_accumulators
    stepper.teach(EXAMPLE)
    after = stepper.trainer.sampler.snapshot()
    assert (after.epoch, after.cursor) == (before.epoch, before.cursor) and after.order is before.order
    assert stepper.trainer.checkpoint().epoch_accumulators == accumulators
    assert stepper.trainer.metrics.batch_loss.x[-1] == 2  # its J is the loss of pass 2


def test_teach_by_phase_opens_the_pass_and_steps_on_like_any_other(make_trainer) -> None:
    stepper = _stepper(make_trainer)
    first = stepper.teach(EXAMPLE, unit="phase")
    assert [r.label for r in first.records] == ["F1"] and stepper.position == 1 and first.passes == 0
    assert stepper.example is EXAMPLE
    np.testing.assert_array_equal(first.records[0].a_prev, EXAMPLE.x)
    rest = stepper.step("phase", 5).records
    assert [r.label for r in rest] == ["F2", "J", "B2", "B1", "U"]
    assert all(r.focus == EXAMPLE_INDEX for r in rest)
    assert stepper.example is EXAMPLE and stepper.position == 0  # the pass just updated is still the one shown
    stepper.step("phase")
    assert stepper.example is None and stepper.visible_records[0].focus == 0  # the next pass is the data's


def test_back_over_a_taught_pass_restores_the_state_before_it_bitwise(make_trainer, state_of, same_state) -> None:
    stepper = _stepper(make_trainer)
    stepper.step("pass", 3)
    before = state_of(stepper.trainer)
    stepper.teach(EXAMPLE)
    assert stepper.back("pass").moved == 1
    assert stepper.pass_index == 3 and stepper.position == 0 and stepper.example is None
    same_state(state_of(stepper.trainer), before)


@pytest.mark.parametrize("phases", [1, 3, 5])
def test_back_phase_by_phase_to_before_a_taught_pass_is_exact(phases: int, make_trainer, state_of, same_state) -> None:
    stepper = _stepper(make_trainer)
    stepper.step("pass", 2)
    before = state_of(stepper.trainer)
    stepper.teach(EXAMPLE, unit="phase")
    if phases > 1:
        stepper.step("phase", phases - 1)
    assert stepper.back("phase", phases).moved == phases
    assert stepper.pass_index == 2 and stepper.position == 0
    same_state(state_of(stepper.trainer), before)


def test_after_undoing_a_teach_the_next_passes_are_the_datas_own(make_trainer, same_records) -> None:
    """Going back over a taught pass forgets the example: forward again gives what a session never taught gives."""
    taught, plain = _stepper(make_trainer), _stepper(make_trainer)
    taught.step("pass", 2)
    plain.step("pass", 2)
    taught.teach(EXAMPLE)
    taught.step("pass", 2)
    taught.back("pass", 3)
    same_records(taught.step("pass", 3).records, plain.step("pass", 3).records)


def test_stepping_back_into_a_taught_pass_shows_it_again(make_trainer, same_records) -> None:
    stepper = _stepper(make_trainer)
    stepper.step("pass", 1)
    records = stepper.teach(EXAMPLE).records
    stepper.step("pass", 2)
    stepper.back("pass", 2)  # to the start of the pass after the taught one
    result = stepper.back("phase")  # into the taught pass, every phase but its update shown
    assert stepper.pass_index == 1 and stepper.position == 5 and stepper.example is not None
    same_records(result.visible, records[:-1])
    update = stepper.step("phase").records[0]
    assert isinstance(update, UpdateRecord) and update.focus == EXAMPLE_INDEX
    same_records([update], records[-1:])


def test_a_taught_pass_is_never_replayed_from_the_sampler(make_trainer, state_of, same_state) -> None:
    """Fast-path passes after a teach, then back to a pass after it: the replay starts after the taught pass."""
    stepper = _stepper(make_trainer, batch_size=3)
    stepper.step("pass", 2)
    stepper.teach(EXAMPLE)
    stepper.train(40)
    reference = _stepper(make_trainer, batch_size=3)
    reference.step("pass", 2)
    reference.teach(EXAMPLE)
    reference.train(20)
    at_23 = state_of(reference.trainer)
    assert stepper.back("pass", 20).moved == 20 and stepper.pass_index == 23
    same_state(state_of(stepper.trainer), at_23)


def test_teach_mid_pass_rewinds_the_open_pass_first(make_trainer, state_of, same_state) -> None:
    stepper = _stepper(make_trainer)
    stepper.step("pass", 1)
    before = state_of(stepper.trainer)
    stepper.step("phase", 4)
    stepper.teach(EXAMPLE, unit="phase")
    assert stepper.pass_index == 1 and stepper.position == 1
    stepper.back("phase")
    same_state(state_of(stepper.trainer), before)


def test_set_focus_during_a_taught_pass_keeps_the_example(make_trainer, same_records) -> None:
    stepper = _stepper(make_trainer)
    shown = stepper.teach(EXAMPLE, unit="phase").records + stepper.step("phase", 2).records
    stepper.set_focus(4)
    assert stepper.focus == 4 and stepper.example is EXAMPLE
    same_records(stepper.visible_records, shown)


def test_a_diverging_taught_pass_is_refused_and_forgotten(make_trainer, state_of, same_state) -> None:
    stepper = _stepper(make_trainer, optimizer="sgd", learning_rate=1e300, activations=("linear", "softmax"))
    before = state_of(stepper.trainer)
    huge = Example(np.array([1e200, 1e200, 1e200]), np.array([1.0, 0.0]))  # the losing class: ∂J/∂W¹ ~ 1e200
    result = stepper.teach(huge)
    assert result.diverged is not None and result.passes == 0 and stepper.example is None
    same_state(state_of(stepper.trainer), before)
    assert stepper.step("phase").records[0].focus == 0


def test_teach_refuses_an_example_of_the_wrong_size_and_a_bad_unit(make_trainer) -> None:
    stepper = _stepper(make_trainer)
    with pytest.raises(ValueError, match="3 inputs and 2 targets"):
        stepper.teach(Example(np.zeros(4), np.zeros(2)))
    with pytest.raises(ValueError, match="unit must be one of phase, pass"):
        stepper.teach(EXAMPLE, unit="epoch")


def test_passes_for_epochs_counts_an_open_taught_pass(make_trainer) -> None:
    stepper = _stepper(make_trainer, batch_size=5)  # 10 samples: 2 passes an epoch
    stepper.teach(EXAMPLE, unit="phase")
    assert stepper.passes_for_epochs(1) == 3
    stepper.train(stepper.passes_for_epochs(1))
    assert stepper.trainer.epoch == 1 and stepper.pass_index == 3


def test_a_checkpoint_keeps_its_example_through_serialization(make_trainer) -> None:
    trainer = make_trainer(**KWARGS)
    frame = trainer.checkpoint(EXAMPLE)
    back = checkpoint_from_dict(checkpoint_to_dict(frame), trainer.network)
    assert isinstance(back, Checkpoint) and back.example is not None
    np.testing.assert_array_equal(back.example.x, EXAMPLE.x)
    np.testing.assert_array_equal(back.example.y, EXAMPLE.y)
    assert frame.nbytes == trainer.checkpoint().nbytes + EXAMPLE.nbytes


def test_a_half_shown_taught_pass_survives_export_and_import(make_trainer, same_records) -> None:
    """What the app's export does: the keyframe at the open pass's start, then the shown phases replayed."""
    stepper = _stepper(make_trainer)
    stepper.step("pass", 2)
    stepper.teach(EXAMPLE, unit="phase")
    stepper.step("phase", 2)
    doc = trainer_to_dict(stepper.trainer)
    doc["state"] = checkpoint_to_dict(stepper.trainer.history.latest_at_or_before(stepper.pass_index))
    trainer = stepper.trainer
    copy = Stepper(trainer_from_dict(doc, trainer.X_train, trainer.Y_train, trainer.X_test, trainer.Y_test))
    same_records(copy.step("phase", 3).records, stepper.visible_records)
    assert copy.example is not None
    same_records(copy.step("phase", 3).records, stepper.step("phase", 3).records)


# -- a focus in the test split ---------------------------------------------------------------------------------
def test_a_test_focus_gets_a_one_sample_pass_of_its_own(make_trainer) -> None:
    stepper = _stepper(make_trainer, batch_size=10)  # every batch holds every training sample
    stepper.set_focus(3, "test")
    trainer = stepper.trainer
    x, y = trainer.X_test[3], trainer.Y_test[3]
    fwd = trainer.network.forward(x[None])
    records = stepper.step("phase", 3).records
    np.testing.assert_array_equal(records[0].a_prev, x)
    np.testing.assert_array_equal(records[1].a, fwd.a[-1][0])
    assert isinstance(records[2], LossRecord) and records[2].focus_in_batch is False
    np.testing.assert_array_equal(records[2].y, y)
    assert stepper.focus == 3 and stepper.focus_split == "test"


def test_the_test_focus_does_not_change_training(make_trainer, state_of, same_state) -> None:
    a, b = _stepper(make_trainer), _stepper(make_trainer)
    a.set_focus(1, "test")
    a.step("pass", 4)
    b.step("pass", 4)
    same_state(state_of(a.trainer), state_of(b.trainer))


def test_a_test_focus_out_of_range_or_an_unknown_split_is_refused(make_trainer) -> None:
    stepper = _stepper(make_trainer)
    with pytest.raises(ValueError, match="test sample index from 0 to 4, got 5"):
        stepper.set_focus(5, "test")
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        stepper.set_focus(0, "validation")
    no_test = Stepper(make_trainer(**KWARGS))
    with pytest.raises(ValueError, match="no test samples"):
        no_test.set_focus(0, "test")
    assert stepper.focus == 0 and stepper.focus_split == "train"


# -- adding an example to the training set ---------------------------------------------------------------------
def test_an_added_sample_is_drawn_at_the_end_of_this_epoch_then_with_the_rest(make_trainer) -> None:
    stepper = _stepper(make_trainer, batch_size=4)  # 10 samples: batches of 4, 4, 2
    seen = stepper.step("pass").records[2].batch.tolist()
    stepper.add_sample(EXAMPLE)
    trainer = stepper.trainer
    assert trainer.X_train.shape == (11, 3) and trainer.sampler.n == 11
    np.testing.assert_array_equal(trainer.X_train[10], EXAMPLE.x)
    while trainer.epoch == 0:
        seen += stepper.step("pass").records[2].batch.tolist()
    assert seen[-1] == 10 and sorted(seen) == list(range(11))  # the new sample last, every sample once
    later: list[int] = []
    while trainer.epoch == 1:
        later += stepper.step("pass").records[2].batch.tolist()
    assert sorted(later) == list(range(11)) and later != seen


def test_after_adding_a_sample_stepping_back_stops_there(make_trainer) -> None:
    stepper = _stepper(make_trainer)
    stepper.step("pass", 3)
    stepper.add_sample(EXAMPLE)
    result = stepper.back("pass")
    assert result.moved == 0 and "a sample was added to the training set at pass 4" in result.limit_reached
    stepper.step("pass", 2)
    assert stepper.back("pass", 5).moved == 2 and stepper.pass_index == 3


def test_reset_after_adding_a_sample_trains_on_the_larger_set(make_trainer) -> None:
    stepper = _stepper(make_trainer, batch_size=20)  # the whole set in one batch
    stepper.add_sample(EXAMPLE)
    stepper.reset()
    assert stepper.pass_index == 0 and stepper.step("pass").records[2].batch.tolist() == list(range(11))
