"""The trainer and its fast path: keyframes, determinism, metrics, divergence pinned to the exact pass, data
checks, configuration changes and float32 all the way through."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.regularization import Regularization
from engine.stepper import Stepper
from engine.training import Trainer, TrainingConfig


def test_run_passes_counts_passes_and_epochs(make_trainer) -> None:
    trainer = make_trainer(samples=10, batch_size=4)
    run = trainer.run_passes(7)
    assert run.passes == 7 and run.diverged is None and not run.stopped
    assert trainer.pass_index == 7
    assert trainer.epoch == 2  # 3 passes per epoch
    assert (trainer.sampler.cursor, trainer.sampler.epoch) == (4, 2)


def test_the_fast_path_keeps_a_keyframe_every_32_passes(make_trainer) -> None:
    trainer = make_trainer()
    trainer.run_passes(70)
    assert len(trainer.history) == 3
    kept = {p: trainer.history.latest_at_or_before(p).pass_index for p in (0, 31, 32, 63, 64, 69)}
    assert kept == {0: 0, 31: 0, 32: 32, 63: 32, 64: 64, 69: 64}


def test_chunking_does_not_change_the_result(make_trainer, state_of, same_state) -> None:
    whole, split = make_trainer(optimizer="adam"), make_trainer(optimizer="adam")
    whole.run_passes(70)
    split.run_passes(30)
    split.run_passes(1)
    split.run_passes(39)
    same_state(state_of(whole), state_of(split))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_two_fresh_runs_with_one_seed_are_bitwise_equal(optimizer: str, make_trainer, state_of, same_state) -> None:
    a, b = make_trainer(optimizer=optimizer, test_samples=5), make_trainer(optimizer=optimizer, test_samples=5)
    a.run_passes(50)
    b.run_passes(50)
    same_state(state_of(a), state_of(b))


def test_a_different_sampler_seed_gives_different_training(make_trainer) -> None:
    a, b = make_trainer(seed=1), make_trainer(seed=2)
    a.run_passes(5)
    b.run_passes(5)
    assert not np.array_equal(a.network.W[0], b.network.W[0])


def test_training_without_metrics_gives_the_same_weights(make_trainer) -> None:
    tracked, untracked = make_trainer(optimizer="adam"), make_trainer(optimizer="adam")
    tracked.run_passes(40)
    untracked.run_passes(40, track_metrics=False)
    assert len(untracked.metrics.batch_loss) == 0
    for a, b in zip(tracked.network.W + tracked.network.b, untracked.network.W + untracked.network.b, strict=True):
        np.testing.assert_array_equal(a, b)


def test_batch_loss_is_logged_per_pass_as_the_loss_before_the_update(make_trainer) -> None:
    trainer = make_trainer(samples=8, batch_size=8, regularization=Regularization("l2", 0.01))
    net = trainer.network
    expected = []
    for _ in range(3):
        expected.append(net.total_loss(net.forward(trainer.X_train), trainer.Y_train))
        trainer.run_passes(1)
    assert trainer.metrics.batch_loss.x == [1, 2, 3]
    np.testing.assert_allclose(trainer.metrics.batch_loss.y, expected, rtol=1e-14)


def test_epoch_metrics_are_logged_at_each_epoch_end(make_trainer) -> None:
    trainer = make_trainer(samples=10, batch_size=4, test_samples=6)
    trainer.run_passes(9)
    log = trainer.metrics
    assert log.epoch_index.x == [1, 2, 3] and log.epoch_index.y == [3, 6, 9]
    assert len(log.train_loss) == len(log.test_loss) == len(log.train_accuracy) == len(log.test_accuracy) == 3
    test_loss = trainer.evaluate()["test_loss"]
    assert log.test_loss.y[-1] == pytest.approx(test_loss, rel=1e-14)
    assert all(0.0 <= acc <= 1.0 for acc in log.train_accuracy.y + log.test_accuracy.y)
    # the epoch's train loss is the sample-weighted mean of its batch losses (batches of 4, 4, 2)
    batch = log.batch_loss.y[6:9]
    assert log.train_loss.y[-1] == pytest.approx((4 * batch[0] + 4 * batch[1] + 2 * batch[2]) / 10, rel=1e-14)


def test_evaluate_reports_none_for_a_missing_test_set(make_trainer) -> None:
    report = make_trainer().evaluate()
    assert report["test_loss"] is None and report["test_accuracy"] is None
    assert np.isfinite(report["train_loss"]) and 0.0 <= report["train_accuracy"] <= 1.0


def test_on_chunk_and_should_stop_end_a_run_after_a_chunk(make_trainer) -> None:
    trainer = make_trainer()
    chunks: list[int] = []
    run = trainer.run_passes(200, on_chunk=chunks.append, should_stop=lambda: len(chunks) == 2)
    assert chunks == [32, 64]
    assert run.passes == 64 and run.stopped and trainer.pass_index == 64


# -- divergence ---------------------------------------------------------------------------------------------------

DIVERGING = {
    "activations": ("relu", "relu", "linear"),
    "loss": "half_sse",
    "learning_rate": 1e6,
    "regularization": Regularization(),
}


@pytest.mark.parametrize("batch_size", [4, 10])
def test_fast_path_stops_at_the_same_pass_as_the_stepper_and_keeps_the_state_before_it(
    batch_size: int, make_trainer, state_of, same_state
) -> None:
    fast = make_trainer(batch_size=batch_size, **DIVERGING)
    run = fast.run_passes(500)
    stepper = Stepper(make_trainer(batch_size=batch_size, **DIVERGING))
    stepped = stepper.step("pass", 500)
    assert run.diverged is not None and stepped.diverged is not None
    assert run.diverged == stepped.diverged
    assert run.passes == stepped.passes == run.diverged.pass_index == fast.pass_index
    assert "learning rate" in run.diverged.hint
    same_state(state_of(fast), state_of(stepper.trainer))
    assert fast.network.params_finite()
    reference = make_trainer(batch_size=batch_size, **DIVERGING)
    reference.run_passes(run.passes)  # exactly the passes before the refused one: no divergence yet
    same_state(state_of(fast), state_of(reference))


def test_divergence_in_a_later_chunk_counts_all_passes_done(make_trainer) -> None:
    """With a smaller learning rate the loss overflows after more than one 32-pass chunk."""
    kwargs = {**DIVERGING, "learning_rate": 10.0}
    fast = make_trainer(**kwargs)
    run = fast.run_passes(1000)
    assert run.diverged is not None and run.passes == run.diverged.pass_index > 32
    stepper = Stepper(make_trainer(**kwargs))
    assert stepper.step("pass", 1000).diverged == run.diverged


def test_divergence_is_reported_without_runtime_warnings(make_trainer) -> None:
    """Overflow on the way to a refused pass is expected, so it must not surface as a RuntimeWarning (which
    `-W error` turns into an exception instead of a Diverged result)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        run = make_trainer(**DIVERGING).run_passes(500)
        stepped = Stepper(make_trainer(**DIVERGING)).step("pass", 500)
    assert run.diverged is not None and stepped.diverged == run.diverged


# -- data and configuration ---------------------------------------------------------------------------------------


def _net() -> Network:
    return Network.build([2, 3, 1], ["tanh", "sigmoid"], "bce")


@pytest.mark.parametrize(
    ("X", "Y", "kwargs", "message"),
    [
        (np.zeros((4, 3)), np.zeros((4, 1)), {}, r"the training inputs have 3 features but the input layer has 2"),
        (np.zeros((4, 2)), np.zeros((4, 2)), {}, r"the training targets have 2 columns but the output layer has 1"),
        (np.zeros((4, 2)), np.zeros((3, 1)), {}, r"the training set has 4 inputs but 3 targets"),
        (
            np.zeros((4, 2)),
            np.zeros((4, 1)),
            {"X_test": np.zeros((2, 5)), "Y_test": np.zeros((2, 1))},
            r"the test inputs have 5 features",
        ),
        (np.zeros((0, 2)), np.zeros((0, 1)), {}, r"the training set is empty"),
    ],
)
def test_trainer_refuses_data_that_does_not_fit_the_network(X, Y, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Trainer(_net(), X, Y, **kwargs)


def test_apply_config_to_another_optimizer_starts_it_fresh(make_trainer) -> None:
    trainer = make_trainer(optimizer="momentum")
    trainer.run_passes(5)
    trainer.apply_config(TrainingConfig(OptimizerConfig("adam", learning_rate=0.01), 2, Regularization()))
    assert trainer.optimizer.config.name == "adam" and trainer.optimizer.t == 0
    assert all(not s.any() for arrays in trainer.optimizer.state.values() for s in arrays)
    assert trainer.sampler.batch_size == 2
    trainer.run_passes(1)
    assert trainer.optimizer.t == 1


def test_apply_config_to_the_same_optimizer_keeps_its_state(make_trainer) -> None:
    trainer = make_trainer(optimizer="adam", learning_rate=0.01)
    trainer.run_passes(5)
    m = [s.copy() for s in trainer.optimizer.state["m"]]
    trainer.apply_config(TrainingConfig(OptimizerConfig("adam", learning_rate=0.02), 4, Regularization()))
    assert trainer.optimizer.t == 5 and trainer.optimizer.config.learning_rate == 0.02
    for a, b in zip(trainer.optimizer.state["m"], m, strict=True):
        np.testing.assert_array_equal(a, b)


def test_restoring_a_checkpoint_taken_under_another_optimizer_restores_that_optimizer(
    make_trainer, state_of, same_state
) -> None:
    trainer = make_trainer(optimizer="momentum")
    trainer.run_passes(3)
    frame = trainer.checkpoint()
    saved = state_of(trainer)
    trainer.apply_config(TrainingConfig(OptimizerConfig("adam"), 2, Regularization()))
    trainer.run_passes(4)
    trainer.restore(frame)
    assert trainer.optimizer.config.name == "momentum"
    same_state(state_of(trainer), saved)


def test_go_to_pass_is_refused_when_the_history_no_longer_holds_it(make_trainer) -> None:
    trainer = make_trainer(history_bytes=1)  # keeps only the newest keyframe
    trainer.run_passes(70)
    assert len(trainer.history) == 1 and trainer.history.oldest_pass == 64
    assert trainer.go_to_pass(10) is False
    assert trainer.pass_index == 70
    assert trainer.go_to_pass(66) is True and trainer.pass_index == 66


# -- float32 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_float32_training_keeps_every_array_float32(optimizer: str, make_trainer) -> None:
    trainer = make_trainer(optimizer=optimizer, dtype="float32", test_samples=4)
    stepper = Stepper(trainer)
    records = stepper.step("pass", 3).records
    stepper.train(40)
    arrays = trainer.network.W + trainer.network.b + [trainer.X_train, trainer.Y_train, trainer.X_test]
    arrays += [s for states in trainer.optimizer.state.values() for s in states]
    for record in records:
        for value in vars(record).values():  # every field of the record's own type
            if isinstance(value, list):
                arrays.extend(value)
            elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
                arrays.append(value)
    assert arrays and all(a.dtype == np.float32 for a in arrays), {a.dtype for a in arrays}
    frame = trainer.history.latest_at_or_before(trainer.pass_index)
    assert all(a.dtype == np.float32 for a in frame.W + frame.b)
    work = trainer.begin_pass()
    assert all(a.dtype == np.float32 for a in work.fwd.z + work.fwd.a + work.bwd.grad_W + work.bwd.grad_b)


def test_begin_pass_keeps_each_samples_loss_beside_the_batch_loss(make_trainer) -> None:
    trainer = make_trainer(batch_size=4)
    net = trainer.network
    work = trainer.begin_pass(track_metrics=True)
    assert work.loss == net.total_loss(work.fwd, work.Y)  # J = (1/m) Σ_i J_i + penalty, bitwise
    np.testing.assert_array_equal(work.sample_losses, net.sample_losses(work.fwd, work.Y))
    for row in range(work.X.shape[0]):
        alone = net.data_loss(net.forward(work.X[row : row + 1]), work.Y[row : row + 1])
        assert work.sample_losses[row] == pytest.approx(alone, rel=1e-14)
    assert trainer.begin_pass(track_metrics=False).sample_losses is None


@pytest.mark.parametrize(
    ("dtype", "X", "what"),
    [
        ("float32", [[1e300, 0.0], [0.0, 1.0]], "training inputs"),  # finite in float64, inf in float32
        ("float64", [[np.nan, 0.0], [0.0, 1.0]], "training inputs"),
    ],
)
def test_trainer_refuses_data_that_is_not_finite_in_its_dtype(dtype: str, X: list, what: str) -> None:
    net = Network.build([2, 3, 1], ["tanh", "sigmoid"], "bce", dtype=dtype)
    with pytest.raises(ValueError, match=rf"the {what} hold values that are not finite in {dtype}"):
        Trainer(net, np.array(X), np.zeros((2, 1)))
