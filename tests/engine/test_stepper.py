"""The phase-by-phase stepper: the seed's worked example, bitwise agreement with the fast path, stepping back,
the focus sample, divergence, deferred configuration, hand edits, reset and epoch stepping."""

from __future__ import annotations

import numpy as np
import pytest

from engine.initializers import InitSpec
from engine.optimizers import OptimizerConfig
from engine.regularization import Regularization
from engine.stepper import Stepper
from engine.training import Diverged, TrainingConfig

# The seed's 2-2-1 sigmoid example, with the classic numbers of its worked form.
W1 = np.array([[0.15, 0.2], [0.25, 0.3]])
B1 = np.array([0.35, 0.35])
W2 = np.array([[0.4, 0.45]])
B2 = np.array([0.6])
X_SEED = np.array([0.05, 0.1])
Y_SEED = np.array([0.01])
ETA = 0.5
TIGHT = {"rtol": 1e-15, "atol": 1e-17}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


@pytest.fixture
def seed_stepper(make_trainer) -> Stepper:
    trainer = make_trainer(
        sizes=(2, 2, 1),
        activations=("sigmoid", "sigmoid"),
        loss="half_sse",
        optimizer="sgd",
        learning_rate=ETA,
        batch_size=1,
        X=X_SEED[None, :],
        Y=Y_SEED[None, :],
        regularization=Regularization(),
        init=InitSpec(weights=[W1.tolist(), W2.tolist()], biases=[B1.tolist(), B2.tolist()]),
    )
    return Stepper(trainer)


def test_seed_example_records_equal_the_seed_formulas(seed_stepper: Stepper) -> None:
    # The seed's equations, by hand, for the one sample.
    z1 = W1 @ X_SEED + B1
    a1 = _sigmoid(z1)
    z2 = W2 @ a1 + B2
    yhat = _sigmoid(z2)
    J = 0.5 * np.sum((yhat - Y_SEED) ** 2)
    delta2 = (yhat - Y_SEED) * yhat * (1 - yhat)
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)
    dW2, db2 = np.outer(delta2, a1), delta2
    dW1, db1 = np.outer(delta1, X_SEED), delta1
    assert yhat[0] == pytest.approx(0.75136507, abs=1e-8)  # the published value of this example

    result = seed_stepper.step("phase", 6)
    f1, f2, loss, b2, b1, update = result.records

    np.testing.assert_allclose(f1.z, z1, **TIGHT)
    np.testing.assert_allclose(f1.a, a1, **TIGHT)
    np.testing.assert_array_equal(f1.a_prev, X_SEED)
    np.testing.assert_array_equal(f1.W, W1)
    np.testing.assert_array_equal(f1.b, B1)
    np.testing.assert_allclose(f2.z, z2, **TIGHT)
    np.testing.assert_allclose(f2.a, yhat, **TIGHT)
    np.testing.assert_allclose(f2.a_prev, a1, **TIGHT)

    assert loss.loss == pytest.approx(J, rel=1e-14)
    assert loss.sample_loss == pytest.approx(J, rel=1e-14)
    assert loss.penalty == 0.0
    np.testing.assert_allclose(loss.delta, delta2, **TIGHT)
    np.testing.assert_allclose(loss.fprime, yhat * (1 - yhat), **TIGHT)
    np.testing.assert_array_equal(loss.y, Y_SEED)
    np.testing.assert_array_equal(loss.batch, [0])
    assert loss.focus_in_batch is True

    np.testing.assert_allclose(b2.delta, delta2, **TIGHT)
    np.testing.assert_allclose(b2.grad_W, dW2, **TIGHT)
    np.testing.assert_allclose(b2.grad_b, db2, **TIGHT)
    np.testing.assert_allclose(b2.sample_grad_W, dW2, **TIGHT)
    np.testing.assert_allclose(b1.delta, delta1, **TIGHT)
    np.testing.assert_allclose(b1.fprime, a1 * (1 - a1), **TIGHT)
    np.testing.assert_allclose(b1.grad_W, dW1, **TIGHT)
    np.testing.assert_allclose(b1.grad_b, db1, **TIGHT)

    # W := W − η ∂J/∂W, b := b − η ∂J/∂b
    new = [W1 - ETA * dW1, W2 - ETA * dW2]
    new_b = [B1 - ETA * db1, B2 - ETA * db2]
    for got, want in zip(update.W + update.b, new + new_b, strict=True):
        np.testing.assert_allclose(got, want, **TIGHT)
    for got, want in zip(update.step_W + update.step_b, [-ETA * dW1, -ETA * dW2, -ETA * db1, -ETA * db2], strict=True):
        np.testing.assert_allclose(got, want, **TIGHT)
    assert update.learning_rate == ETA
    net = seed_stepper.trainer.network
    for got, want in zip(net.W + net.b, new + new_b, strict=True):
        np.testing.assert_allclose(got, want, **TIGHT)


def test_seed_example_weights_do_not_change_before_the_update_phase(seed_stepper: Stepper) -> None:
    seed_stepper.step("phase", 5)
    np.testing.assert_array_equal(seed_stepper.trainer.network.W[0], W1)
    np.testing.assert_array_equal(seed_stepper.trainer.network.W[1], W2)
    assert seed_stepper.pass_index == 0
    seed_stepper.step("phase", 1)
    assert not np.array_equal(seed_stepper.trainer.network.W[1], W2)
    assert seed_stepper.pass_index == 1


def test_phase_order_labels_layers_and_counters(seed_stepper: Stepper) -> None:
    records = seed_stepper.step("phase", 12).records
    assert [r.label for r in records] == ["F1", "F2", "J", "B2", "B1", "U"] * 2
    assert [r.phase for r in records[:6]] == ["forward", "forward", "loss", "backward", "backward", "update"]
    assert [r.layer for r in records[:6]] == [1, 2, None, 2, 1, None]
    assert [r.position for r in records] == list(range(6)) * 2
    assert [r.pass_index for r in records] == [0] * 6 + [1] * 6
    assert [r.epoch for r in records] == [0] * 6 + [1] * 6  # one sample: every pass is an epoch
    assert seed_stepper.pass_index == 2 and seed_stepper.trainer.epoch == 2
    assert seed_stepper.phases_per_pass == 6


def test_phase_sequence_of_a_deeper_network(make_trainer) -> None:
    stepper = Stepper(make_trainer(sizes=(2, 3, 3, 3, 1), activations=("tanh", "tanh", "tanh", "sigmoid")))
    assert stepper.phases_per_pass == 10
    labels = [r.label for r in stepper.step("pass", 1).records]
    assert labels == ["F1", "F2", "F3", "F4", "J", "B4", "B3", "B2", "B1", "U"]
    assert stepper.next_phase == ("forward", 1)


def test_a_refused_step_command_raises_clear_errors(seed_stepper: Stepper) -> None:
    with pytest.raises(ValueError, match="unit must be one of phase, pass, epoch, got 'batch'"):
        seed_stepper.step("batch")
    with pytest.raises(ValueError, match="count must be at least 1, got 0"):
        seed_stepper.step("pass", 0)
    with pytest.raises(ValueError, match="unit must be one of phase, pass, got 'epoch'"):
        seed_stepper.back("epoch")
    with pytest.raises(ValueError, match="passes must be at least 1, got 0"):
        seed_stepper.train(0)


# -- stepping equals the fast path ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_stepping_passes_phase_by_phase_equals_the_fast_path_bitwise(
    optimizer: str, dtype: str, make_trainer, state_of, same_state
) -> None:
    kwargs = {"optimizer": optimizer, "dtype": dtype, "learning_rate": 0.05, "batch_size": 4, "test_samples": 6}
    stepped = make_trainer(**kwargs)  # 10 samples in batches of 4 (shuffled), L2 on
    fast = make_trainer(**kwargs)
    result = Stepper(stepped).step("pass", 40)
    run = fast.run_passes(40)
    assert result.passes == run.passes == 40 and result.diverged is None and run.diverged is None
    assert len(result.records) == 40 * 8
    same_state(state_of(stepped), state_of(fast))


def test_two_fresh_steppers_produce_identical_records(make_trainer, same_records, state_of, same_state) -> None:
    a, b = Stepper(make_trainer(optimizer="adam")), Stepper(make_trainer(optimizer="adam"))
    same_records(a.step("pass", 5).records, b.step("pass", 5).records)
    same_state(state_of(a.trainer), state_of(b.trainer))


# -- stepping back ------------------------------------------------------------------------------------------------


def _view(stepper: Stepper, state_of) -> tuple:
    return stepper.position, stepper.pass_index, state_of(stepper.trainer), list(stepper.visible_records)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_back_one_phase_restores_every_earlier_phase_bitwise(
    optimizer: str, make_trainer, state_of, same_state, same_records
) -> None:
    """Walk 2½ passes forward phase by phase, then back one phase at a time; each step back lands on exactly
    the view seen on the way forward, including across pass boundaries (start of pass p → before U of p − 1)."""
    stepper = Stepper(make_trainer(optimizer=optimizer))
    seen = [_view(stepper, state_of)]
    for _ in range(20):  # 8 phases per pass
        stepper.step_phase()
        seen.append(_view(stepper, state_of))
    for k in range(19, -1, -1):
        result = stepper.back("phase")
        assert result.moved == 1 and result.limit_reached is None
        position, pass_index, state, visible = seen[k]
        assert (stepper.position, stepper.pass_index) == (position, pass_index)
        same_state(state_of(stepper.trainer), state)
        same_records(stepper.visible_records, visible)
        same_records(result.visible, visible)


def test_back_one_phase_across_a_pass_boundary_shows_the_pass_before_its_update(
    make_trainer, state_of, same_state
) -> None:
    stepper = Stepper(make_trainer())
    stepper.step("pass", 2)
    stepper.step("phase", 7)
    before_update = state_of(stepper.trainer)
    stepper.step("phase", 1)  # U of pass 2 (index 2)
    assert stepper.position == 0 and stepper.pass_index == 3
    stepper.back("phase")
    assert stepper.pass_index == 2 and stepper.position == 7
    assert stepper.next_phase == ("update", None)
    assert [r.label for r in stepper.visible_records] == ["F1", "F2", "F3", "J", "B3", "B2", "B1"]
    same_state(state_of(stepper.trainer), before_update)


def test_after_back_stepping_forward_reproduces_the_same_records(make_trainer, same_records) -> None:
    stepper = Stepper(make_trainer(optimizer="momentum"))
    first = stepper.step("phase", 30).records
    stepper.back("phase", 30)
    assert stepper.pass_index == 0 and stepper.position == 0
    same_records(stepper.step("phase", 30).records, first)
    stepper.back("pass", 2)
    same_records(stepper.step("phase", 14).records, first[16:30])


def test_back_one_pass_mid_pass_rewinds_to_its_start(make_trainer, state_of, same_state) -> None:
    stepper = Stepper(make_trainer(optimizer="adam"))
    stepper.step("pass", 3)
    at_start = state_of(stepper.trainer)
    stepper.step("phase", 5)
    result = stepper.back("pass")
    assert result.moved == 1 and result.visible == []
    assert stepper.position == 0 and stepper.pass_index == 3
    same_state(state_of(stepper.trainer), at_start)


def test_back_one_pass_from_a_pass_start_goes_to_the_previous_pass(make_trainer, state_of, same_state) -> None:
    stepper = Stepper(make_trainer(optimizer="adam"))
    stepper.step("pass", 4)
    at_pass_4 = state_of(stepper.trainer)
    stepper.step("pass", 1)
    stepper.back("pass")
    assert stepper.pass_index == 4 and stepper.position == 0
    same_state(state_of(stepper.trainer), at_pass_4)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_back_many_passes_after_a_fast_path_run_replays_from_keyframes(
    optimizer: str, make_trainer, state_of, same_state
) -> None:
    """The fast path keeps a keyframe every 32 passes; going back to pass 63 restores pass 32 and replays 31."""
    kwargs = {"optimizer": optimizer, "learning_rate": 0.05, "batch_size": 3, "test_samples": 4}
    stepper = Stepper(make_trainer(**kwargs))
    assert stepper.train(100).passes == 100
    reference = make_trainer(**kwargs)
    reference.run_passes(63)
    result = stepper.back("pass", 37)
    assert result.moved == 37 and result.limit_reached is None
    assert stepper.pass_index == 63
    same_state(state_of(stepper.trainer), state_of(reference))
    stepper.step("pass", 37)  # forward again, phase by phase
    reference.run_passes(37)
    same_state(state_of(stepper.trainer), state_of(reference))


def test_back_at_the_start_reports_the_limit(seed_stepper: Stepper) -> None:
    result = seed_stepper.back("phase")
    assert result.moved == 0
    assert result.limit_reached == "already at the start of training: there is no earlier pass"
    seed_stepper.step("pass", 2)
    result = seed_stepper.back("pass", 5)
    assert result.moved == 2 and "already at the start" in result.limit_reached
    assert seed_stepper.pass_index == 0
    np.testing.assert_array_equal(seed_stepper.trainer.network.W[0], W1)


# -- the focus sample ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [4, 10], ids=["mini-batch", "full-batch"])
def test_records_carry_the_focus_sample_and_the_batch_mean_gradients(batch_size: int, make_trainer) -> None:
    trainer = make_trainer(optimizer="sgd", batch_size=batch_size)
    stepper = Stepper(trainer, focus=2)
    net = trainer.network
    x, y = trainer.X_train[2:3], trainer.Y_train[2:3]
    sample_fwd = net.forward(x)
    sample_bwd = net.backward(sample_fwd, y, regularize=False)
    records = stepper.step("phase", 7).records
    batch = records[3].batch
    assert len(batch) == batch_size
    batch_bwd = net.backward(net.forward(trainer.X_train[batch]), trainer.Y_train[batch])
    for record in records:
        assert record.focus == 2
        i = (record.layer or net.L) - 1
        np.testing.assert_allclose(record.z, sample_fwd.z[i][0], rtol=1e-14)
        if record.phase == "forward":
            np.testing.assert_allclose(record.a, sample_fwd.a[i + 1][0], rtol=1e-14)
        else:
            np.testing.assert_allclose(record.delta, sample_bwd.delta[i][0], rtol=1e-14)
        if record.phase == "backward":
            np.testing.assert_allclose(record.grad_W, batch_bwd.grad_W[i], rtol=1e-13)  # batch mean, with L2
            np.testing.assert_allclose(record.grad_b, batch_bwd.grad_b[i], rtol=1e-13)
            np.testing.assert_allclose(record.sample_grad_W, sample_bwd.grad_W[i], rtol=1e-14)
            np.testing.assert_allclose(record.sample_grad_b, sample_bwd.grad_b[i], rtol=1e-14)
    assert records[3].sample_loss == pytest.approx(net.data_loss(sample_fwd, y), rel=1e-14)
    assert records[3].loss == pytest.approx(
        net.total_loss(net.forward(trainer.X_train[batch]), trainer.Y_train[batch]), rel=1e-14
    )


def test_a_focus_in_the_batch_shows_its_rows_of_the_batch_pass(make_trainer) -> None:
    """In the batch, the focus sample's z, a and δ are its rows of the batch's arrays (no pass of its own): bitwise
    those rows, and equal to a one-sample forward/backward pass up to the rounding of the batch's matrix products,
    rtol 1e-14 as for the records above. Its own ∂J_i/∂W = δ aᵀ is the outer product of those rows."""
    trainer = make_trainer(optimizer="sgd", batch_size=10)  # the whole set: every pass holds the focus
    stepper = Stepper(trainer, focus=6)
    net = trainer.network
    x, y = trainer.X_train[6:7], trainer.Y_train[6:7]
    sample_fwd = net.forward(x)
    sample_bwd = net.backward(sample_fwd, y, regularize=False)
    records = stepper.step("phase", 2 * net.L + 1).records  # every phase before the update
    work = stepper._open.work
    row = int(np.flatnonzero(work.indices == 6)[0])
    assert records[net.L].focus_in_batch is True
    for record in records:
        i = (record.layer or net.L) - 1
        np.testing.assert_array_equal(record.z, work.fwd.z[i][row])
        np.testing.assert_allclose(record.z, sample_fwd.z[i][0], rtol=1e-14)
        if record.phase == "forward":
            np.testing.assert_array_equal(record.a, work.fwd.a[i + 1][row])
            np.testing.assert_allclose(record.a, sample_fwd.a[i + 1][0], rtol=1e-14)
            continue
        np.testing.assert_array_equal(record.delta, work.bwd.delta[i][row])
        np.testing.assert_allclose(record.delta, sample_bwd.delta[i][0], rtol=1e-14)
        fprime = net.activations[i].df(sample_fwd.z[i], sample_fwd.a[i + 1])[0]
        np.testing.assert_allclose(record.fprime, fprime, rtol=1e-14)
        if record.phase == "backward":
            np.testing.assert_array_equal(record.sample_grad_W, np.outer(record.delta, record.a_prev))
            np.testing.assert_allclose(record.sample_grad_W, sample_bwd.grad_W[i], rtol=1e-14)
            np.testing.assert_array_equal(record.sample_grad_b, record.delta)
    assert records[net.L].sample_loss == pytest.approx(net.data_loss(sample_fwd, y), rel=1e-14)


def test_a_focus_outside_the_batch_gets_a_one_sample_pass_bitwise(make_trainer) -> None:
    trainer = make_trainer(optimizer="sgd", batch_size=4)
    stepper = Stepper(trainer, focus=6)
    net = trainer.network
    x, y = trainer.X_train[6:7], trainer.Y_train[6:7]
    phases = 2 * net.L + 1
    for _ in range(6):  # two epochs of 3 batches: some batch lacks the focus
        records = stepper.step("phase", phases).records
        if not records[net.L].focus_in_batch:
            break
        stepper.step("phase", 1)  # the update
    assert records[net.L].focus_in_batch is False
    sample_fwd = net.forward(x)  # the weights of the open pass: the update has not happened yet
    sample_bwd = net.backward(sample_fwd, y, regularize=False)
    for record in records:
        i = (record.layer or net.L) - 1
        np.testing.assert_array_equal(record.z, sample_fwd.z[i][0])
        if record.phase == "forward":
            np.testing.assert_array_equal(record.a, sample_fwd.a[i + 1][0])
            continue
        np.testing.assert_array_equal(record.delta, sample_bwd.delta[i][0])
        if record.phase == "backward":
            np.testing.assert_array_equal(record.sample_grad_W, sample_bwd.grad_W[i])
            np.testing.assert_array_equal(record.sample_grad_b, sample_bwd.grad_b[i])
    assert records[net.L].sample_loss == net.data_loss(sample_fwd, y)


def test_focus_in_batch_flags_exactly_the_batch_holding_the_focus(make_trainer) -> None:
    stepper = Stepper(make_trainer(batch_size=4), focus=6)
    loss_records = [r for r in stepper.step("pass", 6).records if r.phase == "loss"]  # two epochs of 3 batches
    flags = [r.focus_in_batch for r in loss_records]
    assert flags == [6 in r.batch for r in loss_records]
    assert flags[:3].count(True) == 1 and flags[3:].count(True) == 1


def test_set_focus_mid_pass_recomputes_the_open_pass_records(make_trainer, state_of, same_state) -> None:
    trainer = make_trainer(optimizer="adam")
    stepper = Stepper(trainer, focus=0)
    shown = stepper.step("phase", 5).records
    state = state_of(trainer)
    stepper.set_focus(5)
    assert stepper.position == 5 and stepper.focus == 5
    same_state(state_of(trainer), state)  # same batch, weights, everything
    visible = stepper.visible_records
    expected = trainer.network.forward(trainer.X_train[5:6])
    for record in visible[:3]:
        assert record.focus == 5
        np.testing.assert_allclose(record.z, expected.z[record.layer - 1][0], rtol=1e-14)
    np.testing.assert_array_equal(visible[3].batch, shown[3].batch)
    assert visible[3].loss == shown[3].loss  # the batch loss does not depend on the focus
    np.testing.assert_array_equal(visible[4].grad_W, shown[4].grad_W)
    assert not np.array_equal(visible[0].z, shown[0].z)


def test_the_focus_does_not_change_training(make_trainer, state_of, same_state) -> None:
    a, b = make_trainer(optimizer="adam"), make_trainer(optimizer="adam")
    stepper = Stepper(a, focus=0)
    stepper.step("phase", 3)
    stepper.set_focus(9)
    stepper.step("pass", 4)
    Stepper(b, focus=0).step("pass", 4)
    same_state(state_of(a), state_of(b))


def test_a_focus_outside_the_training_set_is_refused(make_trainer) -> None:
    stepper = Stepper(make_trainer(samples=10))
    with pytest.raises(ValueError, match="focus must be a training sample index from 0 to 9, got 10"):
        stepper.set_focus(10)
    with pytest.raises(ValueError, match="got -1"):
        Stepper(make_trainer(), focus=-1)


# -- divergence ---------------------------------------------------------------------------------------------------

DIVERGING = {
    "activations": ("relu", "relu", "linear"),
    "loss": "half_sse",
    "learning_rate": 1e6,
    "regularization": Regularization(),
}


def test_a_diverging_pass_is_refused_and_the_state_kept(make_trainer, state_of, same_state) -> None:
    stepper = Stepper(make_trainer(**DIVERGING))
    result = stepper.step("pass", 100)
    assert result.diverged is not None
    k = result.diverged.pass_index
    assert 0 < k < 100 and result.passes == k
    assert "learning rate" in result.diverged.hint
    assert result.diverged.message.startswith(f"pass {k + 1} diverged (")
    assert "learning rate" in result.diverged.message
    reference = Stepper(make_trainer(**DIVERGING))
    reference.step("pass", k)
    assert stepper.pass_index == k and stepper.position == 0
    same_state(state_of(stepper.trainer), state_of(reference.trainer))
    again = stepper.step("pass", 1)  # the same pass is refused again, nothing changes
    assert again.diverged == result.diverged and again.passes == 0
    same_state(state_of(stepper.trainer), state_of(reference.trainer))


def test_the_divergence_is_refused_at_the_loss_phase_when_j_is_not_finite(make_trainer) -> None:
    huge = InitSpec(weights=[[[1e200, 1e200]], [[1e200]]], biases=[[0.0], [0.0]])
    trainer = make_trainer(
        sizes=(2, 1, 1), activations=("linear", "linear"), loss="half_sse", init=huge, regularization=Regularization()
    )
    stepper = Stepper(trainer)
    result = stepper.step("phase", 6)
    assert [r.label for r in result.records] == ["F1", "F2"]
    assert isinstance(result.diverged, Diverged)
    assert result.diverged.pass_index == 0 and "the loss J is" in result.diverged.reason
    assert stepper.position == 0 and stepper.pass_index == 0
    np.testing.assert_array_equal(trainer.network.W[0], [[1e200, 1e200]])


def test_the_divergence_is_refused_at_the_update_when_new_weights_are_not_finite(
    make_trainer, state_of, same_state
) -> None:
    """A finite loss (bce of a sigmoid is ~|z|) but a gradient η ∂J/∂W² that overflows."""
    init = InitSpec(weights=[[[1e300]], [[1e-300]]], biases=[[0.0], [0.0]])
    trainer = make_trainer(
        sizes=(1, 1, 1),
        activations=("linear", "sigmoid"),
        loss="bce",
        learning_rate=1e10,
        X=np.array([[1.0]]),
        Y=np.array([[0.0]]),
        init=init,
        regularization=Regularization(),
    )
    stepper = Stepper(trainer)
    before = state_of(trainer)
    outcome = [stepper.step_phase() for _ in range(6)]
    assert [r.label for r in outcome[:5]] == ["F1", "F2", "J", "B2", "B1"]
    assert np.isfinite(outcome[2].loss)
    assert outcome[5] == Diverged(0, "the new weights are not finite")
    assert stepper.position == 0 and stepper.pass_index == 0
    same_state(state_of(trainer), before)


@pytest.mark.parametrize("start", [0, 2, 5], ids=["at-a-pass-start", "mid-forward", "mid-backward"])
def test_stepping_whole_passes_shows_the_same_records_as_phase_by_phase(
    start: int, make_trainer, same_records, state_of, same_state
) -> None:
    by_pass, by_phase = Stepper(make_trainer(optimizer="adam")), Stepper(make_trainer(optimizer="adam"))
    if start:
        same_records(by_pass.step("phase", start).records, by_phase.step("phase", start).records)
    records = by_pass.step("pass", 3).records
    same_records(records, by_phase.step("phase", 3 * by_phase.phases_per_pass - start).records)
    same_state(state_of(by_pass.trainer), state_of(by_phase.trainer))


@pytest.mark.parametrize("unit", ["pass", "phase"])
def test_a_pass_whose_loss_is_not_finite_shows_its_forward_phases_then_is_refused(unit: str, make_trainer) -> None:
    huge = InitSpec(weights=[[[1e200, 1e200]], [[1e200]]], biases=[[0.0], [0.0]])
    trainer = make_trainer(
        sizes=(2, 1, 1), activations=("linear", "linear"), loss="half_sse", init=huge, regularization=Regularization()
    )
    stepper = Stepper(trainer)
    stepper.step("phase", 1)
    result = stepper.step(unit, 1 if unit == "pass" else 5)
    assert [r.label for r in result.records] == ["F2"]
    assert result.diverged is not None and "the loss J is" in result.diverged.reason
    assert result.passes == 0 and stepper.position == 0 and stepper.pass_index == 0


# -- changes between steps ----------------------------------------------------------------------------------------


def test_apply_config_mid_pass_takes_effect_at_the_next_pass(make_trainer) -> None:
    trainer = make_trainer(optimizer="sgd", learning_rate=0.1, regularization=Regularization())
    stepper = Stepper(trainer)
    stepper.step("phase", 2)
    new = TrainingConfig(OptimizerConfig("sgd", learning_rate=0.5), 4, Regularization())
    assert stepper.apply_config(new) is False
    assert stepper.pending_config == new
    records = stepper.step("phase", 6).records  # the rest of pass 0
    backward, update = records[4], records[5]
    assert update.learning_rate == 0.1
    np.testing.assert_array_equal(update.step_W[0], -0.1 * backward.grad_W)
    assert stepper.pending_config is None and trainer.config == new
    records = stepper.step("pass", 1).records
    assert records[-1].learning_rate == 0.5
    np.testing.assert_array_equal(records[-1].step_W[0], -0.5 * records[-2].grad_W)


def test_back_across_a_config_change_restores_the_hyperparameters_in_force_then(
    make_trainer, state_of, same_state
) -> None:
    stepper = Stepper(make_trainer(optimizer="momentum", batch_size=4))
    stepper.step("pass", 2)
    at_pass_2 = state_of(stepper.trainer)
    stepper.step("pass", 1)
    stepper.apply_config(TrainingConfig(OptimizerConfig("adam", learning_rate=0.01), 2, Regularization()))
    stepper.step("pass", 3)
    stepper.back("pass", 4)
    assert stepper.trainer.config.optimizer.name == "momentum" and stepper.trainer.sampler.batch_size == 4
    same_state(state_of(stepper.trainer), at_pass_2)


def test_apply_config_between_passes_is_applied_at_once(make_trainer) -> None:
    stepper = Stepper(make_trainer(batch_size=4))
    new = TrainingConfig(OptimizerConfig("adam", learning_rate=0.01), 2, Regularization("l1", 0.01))
    assert stepper.apply_config(new) is True
    assert stepper.pending_config is None
    assert stepper.trainer.optimizer.config.name == "adam"
    assert stepper.trainer.sampler.batch_size == 2
    assert stepper.trainer.network.regularization == Regularization("l1", 0.01)
    loss_record = stepper.step("phase", 4).records[3]
    assert len(loss_record.batch) == 2


def test_edit_parameter_sets_one_weight_and_rewinds_the_open_pass(make_trainer, state_of, same_state) -> None:
    trainer = make_trainer(optimizer="momentum")
    stepper = Stepper(trainer)
    stepper.step("pass", 2)
    at_start = state_of(trainer)
    stepper.step("phase", 5)
    stepper.edit_parameter(2, 1, 0, 0.75)
    assert stepper.position == 0 and stepper.visible_records == []
    after = state_of(trainer)
    assert after["W"][1][1, 0] == 0.75
    after["W"][1][1, 0] = at_start["W"][1][1, 0]
    same_state(after, at_start)  # nothing else changed: same batch position, optimizer state, counters
    f2 = stepper.step("phase", 2).records[1]
    assert f2.W[1, 0] == 0.75


def test_edit_parameter_with_no_column_sets_a_bias(make_trainer) -> None:
    stepper = Stepper(make_trainer())
    stepper.edit_parameter(3, 0, None, -2.5)
    assert stepper.trainer.network.b[2][0] == -2.5
    assert stepper.step("phase", 3).records[2].b[0] == -2.5


def test_an_edit_survives_stepping_back_to_its_pass(make_trainer) -> None:
    stepper = Stepper(make_trainer())
    stepper.step("pass", 1)
    stepper.edit_parameter(1, 0, 1, 3.0)
    stepper.step("pass", 2)
    stepper.back("pass", 2)
    assert stepper.pass_index == 1
    assert stepper.trainer.network.W[0][0, 1] == 3.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 0, 0, 1.0), r"layer must be from 1 to 3, got 0"),
        ((4, 0, 0, 1.0), r"layer must be from 1 to 3, got 4"),
        ((1, 4, 0, 1.0), r"layer 1 has neurons 0 to 3; got row 4"),
        ((2, 0, 4, 1.0), r"layer 2 neurons have inputs 0 to 3; got column 4"),
        ((1, 0, None, float("nan")), r"a weight must be a finite number, got nan"),
        ((1, 0, 0, float("inf")), r"a weight must be a finite number, got inf"),
        ((1, 0, 0, 1e300), r"1e\+300 is beyond what this network's float32 weights can hold"),
    ],
)
def test_edit_parameter_refuses_bad_indices_and_values(args: tuple, message: str, make_trainer) -> None:
    stepper = Stepper(make_trainer(dtype="float32"))
    before = [W.copy() for W in stepper.trainer.network.W]
    with pytest.raises(ValueError, match=message):
        stepper.edit_parameter(*args)
    for W, W0 in zip(stepper.trainer.network.W, before, strict=True):
        np.testing.assert_array_equal(W, W0)


def test_reset_returns_to_the_initial_state_and_keeps_hyperparameters(make_trainer, state_of, same_state) -> None:
    trainer = make_trainer(optimizer="adam", learning_rate=0.01)
    stepper = Stepper(trainer)
    initial = state_of(trainer)
    stepper.step("pass", 5)
    new = TrainingConfig(OptimizerConfig("adam", learning_rate=0.03), 4, Regularization("l2", 1e-3))
    stepper.apply_config(new)
    stepper.step("pass", 2)
    stepper.step("phase", 3)
    stepper.reset()
    assert stepper.pass_index == 0 and stepper.position == 0 and stepper.visible_records == []
    assert trainer.config == new
    after = state_of(trainer)
    assert after["optimizer"] == new.optimizer
    after["optimizer"] = initial["optimizer"]
    same_state(after, initial)
    # training after reset is the same as training from scratch with the kept hyperparameters
    fresh = make_trainer(optimizer="adam", learning_rate=0.03)
    stepper.step("pass", 3)
    Stepper(fresh).step("pass", 3)
    same_state(state_of(trainer), state_of(fresh))


def test_reset_forgets_a_pending_config_by_applying_it(make_trainer) -> None:
    stepper = Stepper(make_trainer(learning_rate=0.1))
    stepper.step("phase", 2)
    stepper.apply_config(TrainingConfig(OptimizerConfig("sgd", learning_rate=0.2), 4, Regularization()))
    stepper.reset()
    assert stepper.pending_config is None
    assert stepper.trainer.config.optimizer.learning_rate == 0.2


# -- epochs and the fast path from the stepper --------------------------------------------------------------------


def test_step_one_epoch_with_batch_3_of_10_samples_makes_4_passes(make_trainer) -> None:
    stepper = Stepper(make_trainer(samples=10, batch_size=3))
    assert stepper.passes_for_epochs(1) == 4
    result = stepper.step("epoch", 1)
    assert result.passes == 4 and stepper.pass_index == 4 and stepper.trainer.epoch == 1
    batches = [r.batch for r in result.records if r.phase == "loss"]
    assert [len(b) for b in batches] == [3, 3, 3, 1]


def test_passes_for_epochs_counts_from_mid_epoch(make_trainer) -> None:
    stepper = Stepper(make_trainer(samples=10, batch_size=3))
    stepper.step("pass", 1)
    assert stepper.passes_for_epochs(1) == 3
    assert stepper.passes_for_epochs(2) == 7
    result = stepper.step("epoch", 2)
    assert result.passes == 7 and stepper.trainer.epoch == 2


def test_train_finishes_the_open_pass_then_runs_the_fast_path(make_trainer, state_of, same_state) -> None:
    stepper = Stepper(make_trainer(optimizer="adam"))
    stepper.step("phase", 3)
    run = stepper.train(5)
    assert run.passes == 5 and stepper.position == 0
    reference = make_trainer(optimizer="adam")
    reference.run_passes(5)
    same_state(state_of(stepper.trainer), state_of(reference))


@pytest.mark.parametrize(("unit", "count"), [("phase", 50), ("pass", 7), ("epoch", 3)])
def test_a_long_step_keeps_only_the_last_pass_records_past_max_records(
    unit: str, count: int, make_trainer, same_records
) -> None:
    """The same records as keeping them all and taking the last pass's, while holding at most one pass's arrays."""
    full = Stepper(make_trainer()).step(unit, count)
    trimmed = Stepper(make_trainer()).step(unit, count, max_records=10)
    per_pass = 2 * 3 + 2
    assert trimmed.passes == full.passes and full.omitted == 0
    assert trimmed.omitted == len(full.records) - per_pass
    labels = [(r.pass_index, r.label) for r in full.records[-per_pass:]]
    assert [(r.pass_index, r.label) for r in trimmed.records] == labels
    same_records(trimmed.records, full.records[-per_pass:])
    short = Stepper(make_trainer()).step("phase", 5, max_records=10)
    assert short.omitted == 0 and len(short.records) == 5


@pytest.mark.parametrize("sizes", [(2, 1), (2, 4, 1), (2, 3, 3, 2, 1)])
def test_the_next_phase_is_the_timelines_entry_at_every_position(make_trainer, sizes) -> None:
    activations = ["tanh"] * (len(sizes) - 2) + ["sigmoid"]
    stepper = Stepper(make_trainer(sizes=sizes, activations=activations))
    seen = []
    for _ in range(len(stepper.phases)):
        seen.append(stepper.next_phase)
        stepper.step("phase", 1)
    assert seen == stepper.phases and stepper.next_phase == ("forward", 1)
