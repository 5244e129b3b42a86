"""The phase-by-phase stepper: one training pass shown as F1 … FL, J, BL … B1, U — and stepped back again.

Phases of a pass, in order (layers numbered as in the seed: 1 is the first after the input, L the output):
  forward l   z^l = W^l a^{l−1} + b^l,  a^l = f(z^l)               (l = 1..L)
  loss        J, and the output error δ^L
  backward l  δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ f'(z^l),  ∂J/∂W^l = δ^l (a^{l−1})ᵀ,  ∂J/∂b^l = δ^l   (l = L..1)
  update      W := W − η ∂J/∂W,  b := b − η ∂J/∂b   (or the optimizer's rule)

A pass is computed when its first phase is shown and revealed one phase at a time; weights change only at
`update`. What each phase shows is a record of its own type, built by `engine/records.py`.

`teach` opens a pass on one example given by hand instead of the next batch; it is stepped like any other pass,
and stepping back to its start undoes it exactly and forgets the example (the next pass trains on the data).
The focus sample the records follow may be a training sample or a test sample (`set_focus(i, "test")`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.batches import Example
from engine.history import Checkpoint
from engine.records import PhaseRecord, phase_label, records_before_update, update_record
from engine.training import QUIET_NUMERICS, Diverged, PassWork, RunResult, Trainer, TrainingConfig

__all__ = ["SPLITS", "UNITS", "BackResult", "Example", "PhaseRecord", "StepResult", "Stepper", "phase_label"]

Array = np.ndarray

UNITS = ("phase", "pass", "epoch")
TEACH_UNITS = ("phase", "pass")
SPLITS = ("train", "test")


@dataclass
class StepResult:
    """Records produced by a step command, and the divergence that cut it short, if any."""

    records: list[PhaseRecord] = field(default_factory=list)
    diverged: Diverged | None = None
    passes: int = 0
    omitted: int = 0  # records left out beyond `max_records` (the earliest ones)

    def trim(self, max_records: int | None, keep: int) -> None:
        """Past `max_records` records, keep only the last `keep`, so a long step holds one pass's arrays."""
        if max_records is not None and len(self.records) > (keep if self.omitted else max_records):
            drop = len(self.records) - keep
            del self.records[:drop]
            self.omitted += drop


@dataclass
class BackResult:
    """How far a back command went, and the records of the open pass now visible."""

    moved: int
    visible: list[PhaseRecord]
    limit_reached: str | None = None


@dataclass
class _OpenPass:
    """The pass being shown: its records and what is needed to finish it."""

    work: PassWork
    records: list[PhaseRecord]


class Stepper:
    """Phase cursor and history on top of a Trainer; the fast path is reached through `train`."""

    def __init__(
        self, trainer: Trainer, focus: int = 0, initial: Checkpoint | None = None, focus_split: str = "train"
    ) -> None:
        """`initial` is the state reset returns to (default: the trainer's state now)."""
        self.trainer = trainer
        self.focus_split = _checked_split(focus_split)
        self.focus = self._checked_focus(focus, self.focus_split)
        self.position = 0
        self._open: _OpenPass | None = None
        self._finished_example: Example | None = None  # the example of the pass just updated, if it had one
        self._added_at: int | None = None  # the pass at which a sample was last added: back stops there
        self._deferred_config: TrainingConfig | None = None
        self.initial = initial or trainer.checkpoint()
        if not trainer.history:
            trainer.history.push(trainer.checkpoint())

    # -- shape of a pass -----------------------------------------------------------------------------------
    @property
    def L(self) -> int:
        return self.trainer.network.L

    @property
    def phases(self) -> list[tuple[str, int | None]]:
        """The phase sequence of one pass: forward 1..L, loss, backward L..1, update."""
        L = self.L
        return (
            [("forward", layer) for layer in range(1, L + 1)]
            + [("loss", None)]
            + [("backward", layer) for layer in range(L, 0, -1)]
            + [("update", None)]
        )

    @property
    def phases_per_pass(self) -> int:
        return 2 * self.L + 2

    @property
    def next_phase(self) -> tuple[str, int | None]:
        """`phases[position]`, without making the whole sequence (every state asks)."""
        L, position = self.L, self.position
        if position < L:
            return "forward", position + 1
        if position == L:
            return "loss", None
        if position <= 2 * L:
            return "backward", 2 * L + 1 - position
        return "update", None

    @property
    def pass_index(self) -> int:
        return self.trainer.pass_index

    @property
    def visible_records(self) -> list[PhaseRecord]:
        """Records of the open pass that have been shown (empty at the start of a pass)."""
        return self._open.records[: self.position] if self._open else []

    @property
    def example(self) -> Example | None:
        """The example the pass being shown trains on (the open pass, or the one just updated), if it has one."""
        return self._open.work.example if self._open is not None else self._finished_example

    # -- stepping forward --------------------------------------------------------------------------------
    @QUIET_NUMERICS
    def step_phase(self) -> PhaseRecord | Diverged:
        """Show the next phase; at `update` the weights change. A diverging pass is refused and rewound."""
        return self._step_phase()

    def _step_phase(self) -> PhaseRecord | Diverged:
        # `step_phase` without entering QUIET_NUMERICS again: `step` is already inside it.
        open_pass = self._opened()
        record = open_pass.records[self.position] if self.position < len(open_pass.records) else None
        if record is None:  # the update: applied only now
            return self._update()
        if record.phase == "loss":
            reason = Trainer.divergence_reason(open_pass.work)
            if reason is not None:
                return self._refuse(reason)
        self.position += 1
        return record

    @QUIET_NUMERICS
    def step(self, unit: str = "phase", count: int = 1, max_records: int | None = None) -> StepResult:
        """Advance `count` phases, passes (to the end of the pass) or epochs, with every record; once more than
        `max_records` have been made, only the last pass's are kept (the rest are counted in `omitted`)."""
        _check_unit(unit, UNITS)
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        result = StepResult()
        start_pass = self.pass_index
        keep = self.phases_per_pass
        if unit == "phase":
            for _ in range(count):
                if not self._emit(result):
                    break
                result.trim(max_records, keep)
        elif unit == "pass":
            for _ in range(count):
                if not self._finish_pass(result):
                    break
                result.trim(max_records, keep)
        else:
            target_epoch = self.trainer.epoch + count
            while self.trainer.epoch < target_epoch and self._finish_pass(result):
                result.trim(max_records, keep)
        result.trim(max_records, keep)
        result.passes = self.pass_index - start_pass
        return result

    def _emit(self, result: StepResult) -> bool:
        outcome = self._step_phase()
        if isinstance(outcome, Diverged):
            result.diverged = outcome
            return False
        result.records.append(outcome)
        return True

    def _finish_pass(self, result: StepResult) -> bool:
        """`_emit` until the pass has been updated, with the records before the update taken at once (they were
        computed together when the pass began): the same records and refusals as phase by phase."""
        open_pass = self._opened()
        records = open_pass.records
        if self.position <= self.L:  # the loss phase is still ahead, where a pass whose J is not finite is refused
            reason = Trainer.divergence_reason(open_pass.work)
            if reason is not None:
                result.records.extend(records[self.position : self.L])
                result.diverged = self._refuse(reason)
                return False
        result.records.extend(records[self.position :])
        self.position = len(records)
        return self._emit(result)  # the update

    def _opened(self) -> _OpenPass:
        """The open pass; at the start of one, it is begun (deferred hyperparameters applied first)."""
        if self._open is None:
            self._apply_deferred_config()
            self._begin()
        assert self._open is not None
        return self._open

    def _begin(self, example: Example | None = None) -> None:
        """Open the pass at `pass_index`: on `example`, or on the example its keyframe carries (a taught pass
        stepped back into, or one imported half-shown), else on the sampler's next batch."""
        trainer = self.trainer
        if example is None:
            kept = trainer.history.latest_at_or_before(trainer.pass_index)
            example = kept.example if kept is not None and kept.pass_index == trainer.pass_index else None
        frame = trainer.keyframe(example)
        work = trainer.begin_pass(track_metrics=True, example=example)
        self._open = _OpenPass(work, records_before_update(trainer, work, frame, self.focus, self.focus_split))
        self._finished_example = None

    def _update(self) -> PhaseRecord | Diverged:
        assert self._open is not None
        trainer = self.trainer
        work = self._open.work
        # Not reusing the gradient arrays: the backward records still show them.
        steps = trainer.finish_pass(work, reuse_grads=False)
        if not trainer.network.params_finite():
            return self._refuse("the new weights are not finite")
        record = update_record(trainer, work, self.focus, steps)
        self._open = None
        self.position = 0
        self._finished_example = work.example
        if work.example is not None:
            trainer.keyframe()  # replays never run through a taught pass: the pass after it starts from here
        self._apply_deferred_config()
        return record

    def _refuse(self, reason: str) -> Diverged:
        """Rewind the open pass to its start and report the divergence."""
        pass_index = self._open.work.pass_index if self._open else self.pass_index
        self._rewind_open_pass(pass_index)
        return Diverged(pass_index, reason)

    # -- stepping back -----------------------------------------------------------------------------------
    @QUIET_NUMERICS
    def back(self, unit: str = "phase", count: int = 1) -> BackResult:
        """Go back `count` phases or passes, restoring the exact earlier state (weights, optimizer, batches)."""
        _check_unit(unit, ("phase", "pass"))
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        moved = 0
        limit: str | None = None
        for _ in range(count):
            limit = self._back_phase() if unit == "phase" else self._back_pass()
            if limit is not None:
                break
            moved += 1
        return BackResult(moved, self.visible_records, limit)

    def _back_phase(self) -> str | None:
        if self.position > 1:
            self.position -= 1
            return None
        if self.position == 1:
            self._rewind_open_pass()
            return None
        target = self.pass_index - 1
        limit = self._go_to_pass(target)
        if limit is None:
            self._begin()
            self.position = self.phases_per_pass - 1
        return limit

    def _back_pass(self) -> str | None:
        if self.position > 0:
            self._rewind_open_pass()
            return None
        limit = self._go_to_pass(self.pass_index - 1)
        if limit is None:
            self._forget_example()
        return limit

    def _go_to_pass(self, target: int) -> str | None:
        if target < 0:
            return "already at the start of training: there is no earlier pass"
        if self._added_at is not None and target < self._added_at:
            return (
                f"a sample was added to the training set at pass {self._added_at + 1}: the passes before it were "
                "drawn from the smaller set and cannot be stepped back to"
            )
        if not self.trainer.go_to_pass(target):
            oldest = self.trainer.history.oldest_pass
            return (
                f"the history no longer holds pass {target + 1} (the oldest kept is pass {(oldest or 0) + 1}); "
                "raise the history memory limit to keep more"
            )
        self._open = None
        self._finished_example = None
        self.position = 0
        return None

    def _rewind_open_pass(self, pass_index: int | None = None) -> None:
        """Back to the start of the open pass (nothing of it applied); the sampler returns to its batch, and a
        taught pass's example is forgotten."""
        pass_index = self.pass_index if pass_index is None else pass_index
        frame = self.trainer.history.latest_at_or_before(pass_index)
        assert frame is not None and frame.pass_index == pass_index, "the open pass has no keyframe"
        self.trainer.restore(frame)
        self._forget_example()
        self._open = None
        self._finished_example = None
        self.position = 0
        self._apply_deferred_config()

    def _forget_example(self) -> None:
        """At the start of a taught pass, reached by stepping back: keep its state and drop its example (and the
        future after it), so the next pass trains on the data — stepping back undoes a teach."""
        frame = self.trainer.history.latest_at_or_before(self.pass_index)
        if frame is not None and frame.pass_index == self.pass_index and frame.example is not None:
            self.trainer.keyframe()

    # -- teaching one example ----------------------------------------------------------------------------
    @QUIET_NUMERICS
    def teach(self, example: Example, unit: str = "pass", max_records: int | None = None) -> StepResult:
        """Open a pass on `example` (its whole batch and its focus) instead of the next batch, and show its first
        phase (`unit="phase"`; step on as usual) or the whole pass (`"pass"`). An open pass is rewound first,
        as nothing of it was applied. The history keeps the exact state before it: stepping back undoes it."""
        _check_unit(unit, TEACH_UNITS)
        net = self.trainer.network
        if example.x.shape != (net.sizes[0],) or example.y.shape != (net.sizes[-1],):
            raise ValueError(
                f"an example needs {net.sizes[0]} inputs and {net.sizes[-1]} targets, "
                f"got {example.x.size} and {example.y.size}"
            )
        if self._open is not None:
            self._rewind_open_pass()
        self._apply_deferred_config()
        self._begin(example)
        result = StepResult()
        start_pass = self.pass_index
        if unit == "phase":
            self._emit(result)
        else:
            self._finish_pass(result)
        result.trim(max_records, self.phases_per_pass)
        result.passes = self.pass_index - start_pass
        return result

    def add_sample(self, example: Example) -> None:
        """Add `example` to the training set (an open pass is rewound first). The history before it is gone:
        stepping back stops at the addition; reset still returns to the initial weights, on the larger set."""
        if self._open is not None:
            self._rewind_open_pass()
        self._apply_deferred_config()
        self.trainer.add_sample(example)
        self._finished_example = None
        self._added_at = self.pass_index

    # -- changes between steps ---------------------------------------------------------------------------
    def set_focus(self, focus: int, split: str = "train") -> None:
        """Follow another sample (of the training or the test split); the open pass's records are recomputed."""
        split = _checked_split(split)
        self.focus = self._checked_focus(focus, split)
        self.focus_split = split
        if self._open is not None:
            position = self.position
            frame = self.trainer.history.latest_at_or_before(self.pass_index)
            assert frame is not None
            self.trainer.restore(frame)
            self._begin()
            self.position = position

    def _checked_focus(self, focus: int, split: str = "train") -> int:
        n = (self.trainer.X_test if split == "test" else self.trainer.X_train).shape[0]
        if not 0 <= focus < n:
            kind = "test" if split == "test" else "training"
            if n == 0:
                raise ValueError(f"there are no {kind} samples to focus on")
            raise ValueError(f"focus must be a {kind} sample index from 0 to {n - 1}, got {focus}")
        return int(focus)

    def apply_config(self, config: TrainingConfig) -> bool:
        """New hyperparameters from the next pass; returns True if applied now, False if deferred to the end
        of the open pass."""
        self._deferred_config = config
        if self.position == 0:
            self._apply_deferred_config()
            return True
        return False

    @property
    def pending_config(self) -> TrainingConfig | None:
        return self._deferred_config

    def _apply_deferred_config(self) -> None:
        if self._deferred_config is not None:
            self.trainer.apply_config(self._deferred_config)
            self._deferred_config = None
            self.trainer.keyframe()

    def edit_parameter(self, layer: int, row: int, column: int | None, value: float) -> None:
        """Set one weight W^l[row, column] (or bias b^l[row] when column is None) by hand. The open pass is
        rewound to its start, because its numbers no longer hold."""
        net = self.trainer.network
        if not 1 <= layer <= net.L:
            raise ValueError(f"layer must be from 1 to {net.L}, got {layer}")
        W, b = net.W[layer - 1], net.b[layer - 1]
        if not 0 <= row < W.shape[0]:
            raise ValueError(f"layer {layer} has neurons 0 to {W.shape[0] - 1}; got row {row}")
        if column is not None and not 0 <= column < W.shape[1]:
            raise ValueError(f"layer {layer} neurons have inputs 0 to {W.shape[1] - 1}; got column {column}")
        if not np.isfinite(value):
            raise ValueError(f"a weight must be a finite number, got {value}")
        largest = float(np.finfo(W.dtype).max)
        if abs(value) > largest:
            raise ValueError(
                f"{value} is beyond what this network's {W.dtype.name} weights can hold (±{largest:.3g}); "
                "give a smaller number"
            )
        if self._open is not None:
            self._rewind_open_pass()
        if column is None:
            b[row] = value
        else:
            W[row, column] = value
        self._finished_example = None
        self.trainer.keyframe()

    def reset(self) -> None:
        """Back to the initial weights, pass 0, fresh optimizer state and batches; hyperparameters kept."""
        config = self._deferred_config or self.trainer.config
        self.trainer.history.clear()
        self.trainer.restore(self.initial)
        self.trainer.metrics.truncate_after(0, 0)
        self.trainer.history.push(self.initial)
        self._open = None
        self._finished_example = None
        self._added_at = None
        self.position = 0
        self._deferred_config = None
        if config != self.trainer.config:
            self.apply_config(config)

    # -- the fast path -----------------------------------------------------------------------------------
    def passes_for_epochs(self, epochs: int) -> int:
        """Passes from here to the end of `epochs` more epochs at the current batch size."""
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        sampler = self.trainer.sampler
        remaining = -(-(sampler.n - sampler.cursor) // sampler.batch_size)
        taught = 1 if self._open is not None and self._open.work.example is not None else 0  # finished first
        return taught + remaining + (epochs - 1) * sampler.passes_per_epoch

    @QUIET_NUMERICS
    def train(self, passes: int, **kwargs: object) -> RunResult:
        """Train `passes` passes on the fast path (no records); an open pass is finished first."""
        if passes < 1:
            raise ValueError(f"passes must be at least 1, got {passes}")
        finished = 0
        self._finished_example = None
        if self.position > 0:
            result = StepResult()
            if not self._finish_pass(result):
                return RunResult(0, result.diverged)
            finished = 1
        self._apply_deferred_config()
        run = self.trainer.run_passes(passes - finished, **kwargs) if passes > finished else RunResult(0)
        run.passes += finished
        return run


def _checked_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def _check_unit(unit: str, allowed: tuple[str, ...]) -> None:
    if unit not in allowed:
        raise ValueError(f"unit must be one of {', '.join(allowed)}, got {unit!r}")
