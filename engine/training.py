"""The training state (network, optimizer, batches, counters, metrics) and the fast path that trains many
passes without records.

A pass is: draw a batch, forward, loss, backward, update. The stepper shows those phases one by one; the
fast path runs the same two halves (`begin_pass`, `finish_pass`) back to back, so both produce bit-identical
weights. Divergence is caught after each chunk of passes and pinned to the exact pass by replaying the chunk.

A pass may also train on one `Example` given by hand instead of the next batch (`begin_pass(example=…)`): the
sampler does not move, and its loss is the pass's batch loss but not part of the epoch's training loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.batches import BatchSampler, Example
from engine.history import DEFAULT_HISTORY_BYTES, Checkpoint, History
from engine.metrics import MetricsLog, correct_count, evaluate
from engine.network import BackwardPass, ForwardPass, Network
from engine.optimizers import Optimizer, OptimizerConfig, make_optimizer
from engine.regularization import Regularization

#: Overflow and 0·inf on the way to a refused pass are expected: the pass is checked and refused as "diverged",
#: so NumPy's RuntimeWarnings would only be noise (and an exception under `-W error`).
QUIET_NUMERICS = np.errstate(over="ignore", invalid="ignore", divide="ignore")

Array = np.ndarray

DIVERGED_HINT = "lower the learning rate (for example to a tenth), or use a smaller initialization"


@dataclass
class PassWork:
    """One pass's batch and everything computed from it before the update."""

    pass_index: int
    epoch: int
    indices: Array
    X: Array
    Y: Array
    fwd: ForwardPass
    bwd: BackwardPass
    loss: float | None
    correct: int | None
    sample_losses: Array | None = None  # J_i of each sample of the batch, with the metrics
    example: Example | None = None  # the pass trains on this example instead of a batch of the data


@dataclass(frozen=True)
class Diverged:
    """A refused pass: its loss or new weights were not finite; the state is the one before it."""

    pass_index: int
    reason: str
    hint: str = DIVERGED_HINT

    @property
    def message(self) -> str:
        return f"pass {self.pass_index + 1} diverged ({self.reason}); the state is the one before it: {self.hint}"


@dataclass
class RunResult:
    """What a fast-path run did: passes completed, and the divergence that stopped it, if any."""

    passes: int
    diverged: Diverged | None = None
    stopped: bool = False


@dataclass
class TrainingConfig:
    """Hyperparameters that may change between passes."""

    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    batch_size: int = 32
    regularization: Regularization = field(default_factory=Regularization)


def _read_only_copy(array: Array) -> Array:
    """A keyframe's copy: read-only, so records may show it without copying it again."""
    copy = array.copy(order="K")  # W's own (column-major) layout: a plain memory copy, not a transposing one
    copy.setflags(write=False)  # as `copy.flags.writeable = False`, without building the flags object
    return copy


class Trainer:
    """Owns the training state and advances it pass by pass; knows nothing of phases or records."""

    def __init__(
        self,
        network: Network,
        X_train: Array,
        Y_train: Array,
        *,
        X_test: Array | None = None,
        Y_test: Array | None = None,
        config: TrainingConfig | None = None,
        seed: int = 0,
        classification: bool = False,
        history_bytes: int = DEFAULT_HISTORY_BYTES,
        keyframe_interval: int = 32,
        test_eval_interval: int = 1,
    ) -> None:
        self.network = network
        dtype = network.dtype
        n_features = network.sizes[0]
        with np.errstate(over="ignore"):  # a value beyond float32's range becomes inf: `_check_data` refuses it
            self.X_train = np.ascontiguousarray(X_train, dtype=dtype)
            self.Y_train = np.ascontiguousarray(Y_train, dtype=dtype)
            self.X_test = np.ascontiguousarray(X_test if X_test is not None else np.empty((0, n_features)), dtype=dtype)
            self.Y_test = np.ascontiguousarray(
                Y_test if Y_test is not None else np.empty((0, network.sizes[-1])), dtype=dtype
            )
        self._check_data()
        self.config = config or TrainingConfig()
        self.network.regularization = self.config.regularization
        self.classification = classification
        self.sampler = BatchSampler(self.X_train, self.Y_train, self.config.batch_size, seed)
        self._params = [p for pair in zip(network.W, network.b, strict=True) for p in pair]
        self.optimizer: Optimizer = make_optimizer(self.config.optimizer, self._params)
        self.pass_index = 0
        self.metrics = MetricsLog()
        self.history = History(history_bytes)
        self.keyframe_interval = max(1, keyframe_interval)
        self.test_eval_interval = max(1, test_eval_interval)
        self._epoch_loss_sum = 0.0
        self._epoch_correct = 0
        self._epoch_seen = 0
        self.last_steps: list[Array] | None = None  # the last update's [ΔW^1, Δb^1, …] (None after a restore)

    def _check_data(self) -> None:
        net = self.network
        for name, X, Y in (("training", self.X_train, self.Y_train), ("test", self.X_test, self.Y_test)):
            if X.ndim != 2 or X.shape[1] != net.sizes[0]:
                raise ValueError(
                    f"the {name} inputs have {X.shape[-1] if X.ndim == 2 else '?'} features but the input "
                    f"layer has {net.sizes[0]} neurons; make layers[0] equal the number of features"
                )
            if Y.ndim != 2 or Y.shape[1] != net.sizes[-1]:
                raise ValueError(
                    f"the {name} targets have {Y.shape[-1] if Y.ndim == 2 else '?'} columns but the output "
                    f"layer has {net.sizes[-1]} neurons; make the last layer size match the targets"
                )
            if X.shape[0] != Y.shape[0]:
                raise ValueError(f"the {name} set has {X.shape[0]} inputs but {Y.shape[0]} targets")
            for what, array in (("inputs", X), ("targets", Y)):
                if not np.isfinite(array).all():
                    raise ValueError(
                        f"the {name} {what} hold values that are not finite in {net.dtype_name} (NaN, ±inf, or "
                        f"beyond ±{float(np.finfo(net.dtype).max):.3g}); rescale the data or use dtype float64"
                    )

    @property
    def epoch(self) -> int:
        """Completed epochs (sweeps over the training set)."""
        return self.sampler.epoch

    # -- hyperparameters -------------------------------------------------------------------------------
    def apply_config(self, config: TrainingConfig) -> None:
        """Use new hyperparameters from the next pass; a new optimizer kind starts from fresh state."""
        if config.optimizer.name != self.config.optimizer.name:
            self.optimizer = make_optimizer(config.optimizer, self._params)
        else:
            self.optimizer.config = config.optimizer
        self.sampler.set_batch_size(config.batch_size)
        self.network.regularization = config.regularization
        self.config = config

    def add_sample(self, example: Example) -> None:
        """Append one sample to the training set: it is drawn at the end of this epoch, then with the rest.
        Passes before it were drawn from the smaller set and cannot be replayed on this one, so the history is
        dropped: stepping back stops here."""
        dtype = self.network.dtype
        self.X_train = np.ascontiguousarray(np.vstack([self.X_train, example.x[None, :].astype(dtype)]))
        self.Y_train = np.ascontiguousarray(np.vstack([self.Y_train, example.y[None, :].astype(dtype)]))
        self.sampler.extend(self.X_train, self.Y_train)
        self.sampler.set_batch_size(self.config.batch_size)
        self.history.clear()
        self.keyframe()

    # -- checkpoints -----------------------------------------------------------------------------------
    def checkpoint(self, example: Example | None = None) -> Checkpoint:
        """The whole state at the start of the next pass, copied (`example`: that pass trains on it)."""
        return Checkpoint(
            pass_index=self.pass_index,
            W=tuple(_read_only_copy(W) for W in self.network.W),
            b=tuple(_read_only_copy(b) for b in self.network.b),
            optimizer=self.optimizer.snapshot(),
            optimizer_config=self.optimizer.config,
            regularization=self.config.regularization,
            batch_size=self.config.batch_size,
            sampler=self.sampler.snapshot(),
            epoch_accumulators=(self._epoch_loss_sum, self._epoch_correct, self._epoch_seen),
            example=example,
        )

    def keyframe(self, example: Example | None = None) -> Checkpoint:
        """Take a checkpoint and keep it in the history."""
        frame = self.checkpoint(example)
        self.history.push(frame)
        return frame

    def restore(self, frame: Checkpoint) -> None:
        """Return bitwise to a checkpoint's state; metrics after it are forgotten."""
        self.network.set_params(frame.W, frame.b)
        config = TrainingConfig(frame.optimizer_config, frame.batch_size, frame.regularization)
        if frame.optimizer_config.name != self.optimizer.config.name:
            self.optimizer = make_optimizer(frame.optimizer_config, self._params)
        self.optimizer.config = frame.optimizer_config
        self.optimizer.restore(frame.optimizer)
        self.config = config
        self.network.regularization = frame.regularization
        self.sampler.set_batch_size(frame.batch_size)
        self.sampler.restore(frame.sampler)
        self.pass_index = frame.pass_index
        self.last_steps = None
        self._epoch_loss_sum, self._epoch_correct, self._epoch_seen = frame.epoch_accumulators
        self.metrics.truncate_after(self.pass_index, self.epoch)

    def go_to_pass(self, pass_index: int) -> bool:
        """Restore the nearest keyframe at or before `pass_index` and replay to it; False if it is too old."""
        frame = self.history.latest_at_or_before(pass_index)
        if frame is None:
            return False
        self.restore(frame)
        self._replay(pass_index - frame.pass_index)
        return True

    def _replay(self, passes: int) -> None:
        for _ in range(passes):
            self.finish_pass(self.begin_pass(track_metrics=True), reuse_grads=True)

    # -- one pass in two halves --------------------------------------------------------------------------
    def begin_pass(self, track_metrics: bool = True, example: Example | None = None) -> PassWork:
        """Draw the next batch (or take the one `example`) and compute forward, loss and backward; the weights
        do not change yet."""
        pass_index, epoch = self.pass_index, self.sampler.epoch
        indices, X, Y = self.sampler.next_batch() if example is None else example.batch(self.network.dtype)
        net = self.network
        fwd = net.forward(X)
        loss = correct = sample_losses = None
        if track_metrics:
            sample_losses = net.sample_losses(fwd, Y)  # kept: the stepper shows the focus sample's J_i
            loss = net.total_loss(fwd, Y, sample_losses)
            if self.classification:
                correct = correct_count(fwd.a[-1], Y)
        bwd = net.backward(fwd, Y)
        return PassWork(pass_index, epoch, indices, X, Y, fwd, bwd, loss, correct, sample_losses, example)

    def finish_pass(self, work: PassWork, reuse_grads: bool = False) -> list[Array]:
        """The update θ := θ + Δθ, then counters and metrics; returns the steps [ΔW^1, Δb^1, …]."""
        steps = self.optimizer.apply(self._params, work.bwd.grads, reuse_grads=reuse_grads)
        self.last_steps = steps
        self.pass_index += 1
        if work.loss is not None:
            self._record_pass(work)
        return steps

    def _record_pass(self, work: PassWork) -> None:
        m = work.X.shape[0]
        self.metrics.batch_loss.append(self.pass_index, work.loss)
        if work.example is not None:
            return  # not a sample of the training set: the epoch's loss and accuracy are the data's
        self._epoch_loss_sum += work.loss * m
        self._epoch_correct += work.correct or 0
        self._epoch_seen += m
        if self.sampler.epoch > work.epoch:
            self._end_epoch()

    def _end_epoch(self) -> None:
        epoch = self.sampler.epoch
        log = self.metrics
        if log.epoch_index.append(epoch, self.pass_index):
            log.train_loss.append(epoch, self._epoch_loss_sum / self._epoch_seen)
            log.train_accuracy.append(epoch, self._epoch_correct / self._epoch_seen if self.classification else None)
            test_loss = test_acc = None
            if self.X_test.shape[0] and epoch % self.test_eval_interval == 0:
                test_loss, test_acc = evaluate(self.network, self.X_test, self.Y_test, self.classification)
            log.test_loss.append(epoch, test_loss)
            log.test_accuracy.append(epoch, test_acc)
        self._epoch_loss_sum = 0.0
        self._epoch_correct = 0
        self._epoch_seen = 0

    # -- the fast path -----------------------------------------------------------------------------------
    @QUIET_NUMERICS
    def run_passes(
        self,
        passes: int,
        *,
        track_metrics: bool = True,
        should_stop: Callable[[], bool] | None = None,
        on_chunk: Callable[[int], None] | None = None,
    ) -> RunResult:
        """Train `passes` passes without records. A keyframe starts every chunk; a chunk that ends with
        non-finite weights or loss is replayed pass by pass to refuse exactly the pass that diverged."""
        done = 0
        begin_pass, finish_pass = self.begin_pass, self.finish_pass
        while done < passes:
            chunk = min(self.keyframe_interval, passes - done)
            frame = self.keyframe()
            for _ in range(chunk):
                finish_pass(begin_pass(track_metrics), reuse_grads=True)
            if not self._chunk_finite(chunk):
                diverged = self._pin_divergence(frame, chunk)
                return RunResult(done + diverged.pass_index - frame.pass_index, diverged)
            done += chunk
            if on_chunk is not None:
                on_chunk(done)
            if should_stop is not None and should_stop():
                return RunResult(done, stopped=done < passes)
        return RunResult(done)

    def _chunk_finite(self, chunk: int) -> bool:
        if not self.network.params_finite():
            return False
        losses = self.metrics.batch_loss.y[-chunk:] if self.metrics.batch_loss.stride == 1 else []
        return all(loss is not None and math.isfinite(loss) for loss in losses)  # plain floats: not np.isfinite's µs

    @QUIET_NUMERICS
    def _pin_divergence(self, frame: Checkpoint, chunk: int) -> Diverged:
        """Replay a chunk from its keyframe with checks; stop before the first pass that is not finite."""
        self.restore(frame)
        for _ in range(chunk):
            before = self.checkpoint()
            work = self.begin_pass(track_metrics=True)
            reason = self.divergence_reason(work)
            if reason is None:
                self.finish_pass(work, reuse_grads=True)
                reason = None if self.network.params_finite() else "the new weights are not finite"
            if reason is not None:
                self.restore(before)
                return Diverged(before.pass_index, reason)
        raise AssertionError("a chunk that diverged replayed without diverging: training is not deterministic")

    @staticmethod
    def divergence_reason(work: PassWork) -> str | None:
        if work.loss is not None and not math.isfinite(work.loss):
            return f"the loss J is {work.loss}"
        return None

    def evaluate(self) -> dict[str, float | None]:
        """Loss and accuracy on the whole training and test sets, now."""
        train_loss, train_acc = evaluate(self.network, self.X_train, self.Y_train, self.classification)
        test_loss, test_acc = evaluate(self.network, self.X_test, self.Y_test, self.classification)
        return {
            "train_loss": train_loss,
            "train_accuracy": train_acc,
            "test_loss": test_loss if self.X_test.shape[0] else None,
            "test_accuracy": test_acc,
        }
