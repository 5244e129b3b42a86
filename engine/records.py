"""What each phase of a pass shows, named as in the seed: one record type per phase, and the functions that
build them from a pass.

  ForwardRecord  (F1 … FL)  z^l, a^l, a^{l−1}, and the W^l, b^l they were computed with
  LossRecord     (J)        the batch J and the focus sample's own J_i, y, a^L, ∂J_i/∂a^L, f'(z^L), δ^L, the batch
  BackwardRecord (BL … B1)  f'(z^l), δ^l, the batch ∂J/∂W^l, ∂J/∂b^l and the focus sample's own δ^l (a^{l−1})ᵀ, δ^l
  UpdateRecord   (U)        every W and b after the update, the steps ΔW, Δb, and η

Vectors are the focus sample's own: its row of the batch's matrices, or a one-sample pass of its own when the
batch does not hold it (always for a focus in the test split). A pass taught on an example has that example as
its whole batch and its focus: `focus` is EXAMPLE_INDEX (−1) in its records. Arrays of the records before the
update are shared with the pass (W and b are the pass's keyframe copies): they are read, never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from engine.batches import EXAMPLE_INDEX
from engine.history import Checkpoint
from engine.training import PassWork, Trainer

Array = np.ndarray

_Record = TypeVar("_Record", bound="PhaseRecord")


def phase_label(phase: str, layer: int | None) -> str:
    """Short name on the page's timeline: F1 … FL, J, BL … B1, U."""
    return {"forward": f"F{layer}", "loss": "J", "backward": f"B{layer}", "update": "U"}[phase]


@dataclass(frozen=True, kw_only=True)
class PhaseRecord:
    """What every record carries: its phase and layer (None for the loss and the update), the pass and epoch it
    belongs to, its position in the pass (0-based), and the training sample it follows."""

    phase: ClassVar[str]
    layer: int | None = None
    pass_index: int
    epoch: int
    position: int
    focus: int

    @property
    def label(self) -> str:
        return phase_label(self.phase, self.layer)


@dataclass(frozen=True, kw_only=True)
class ForwardRecord(PhaseRecord):
    """z^l = W^l a^{l−1} + b^l and a^l = f(z^l) for the focus sample."""

    phase: ClassVar[str] = "forward"
    z: Array
    a: Array
    a_prev: Array
    W: Array
    b: Array


@dataclass(frozen=True, kw_only=True)
class LossRecord(PhaseRecord):
    """J of the batch (with the penalty) and J_i of the focus sample, and δ^L, the error the backward pass starts
    from; `batch` holds the sample indices of the pass's batch."""

    phase: ClassVar[str] = "loss"
    z: Array
    a: Array
    grad_a: Array  # ∂J_i/∂a^L, what the chain rule multiplies f'(z^L) by (δ^L = ∂J_i/∂a^L ⊙ f'(z^L) elementwise)
    fprime: Array
    delta: Array
    y: Array
    loss: float | None
    penalty: float
    sample_loss: float
    batch: Array
    focus_in_batch: bool


@dataclass(frozen=True, kw_only=True)
class BackwardRecord(PhaseRecord):
    """δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ f'(z^l) for the focus sample, with the batch gradients the update uses
    (`grad_W`, `grad_b`) beside the sample's own ∂J_i/∂W^l = δ^l (a^{l−1})ᵀ and ∂J_i/∂b^l = δ^l."""

    phase: ClassVar[str] = "backward"
    z: Array
    a_prev: Array
    fprime: Array
    delta: Array
    grad_W: Array
    grad_b: Array
    sample_grad_W: Array
    sample_grad_b: Array
    W: Array


@dataclass(frozen=True, kw_only=True)
class UpdateRecord(PhaseRecord):
    """The parameters after W := W − η ∂J/∂W (or the optimizer's rule), layer by layer (index 0 is layer 1),
    and the steps ΔW, Δb that were added."""

    phase: ClassVar[str] = "update"
    W: list[Array]
    b: list[Array]
    step_W: list[Array]
    step_b: list[Array]
    learning_rate: float


def _new(record_type: type[_Record], common: dict[str, Any], **fields: Any) -> _Record:
    """A record of `record_type` with the `common` fields and these, given as its __dict__ at once: the
    dataclass's own __init__ would set each field of the frozen instance through a call of its own, for every
    phase of every stepped pass. tests/engine/test_records.py checks that every record has all its fields."""
    fields.update(common)
    record = object.__new__(record_type)
    object.__setattr__(record, "__dict__", fields)
    return record


def records_before_update(
    trainer: Trainer, work: PassWork, frame: Checkpoint, focus: int, split: str = "train"
) -> list[ForwardRecord | LossRecord | BackwardRecord]:
    """The forward, loss and backward records of a pass, in pass order, for the focus sample (of the `split`,
    "train" or "test") and the batch; a pass on an example follows the example. The weights they show are the
    pass's keyframe copies: read-only, and equal to the weights until the update."""
    net = trainer.network
    L = net.L
    if work.example is not None:
        focus, r = EXAMPLE_INDEX, 0
    else:
        r = row_in_batch(work.indices, focus) if split == "train" else None
    if r is not None:
        # The focus sample is in the batch: its z, a and δ are row r of the batch's matrices (the rows of a batch
        # are its samples), so they need no pass of their own. They equal a one-sample pass up to the rounding
        # of the batch's matrix products (tests/engine/test_stepper.py states the tolerance).
        z_rows, a_rows, delta_rows = work.fwd.z, work.fwd.a, work.bwd.delta
        row, y = r, work.Y[r]
    else:
        X_split, Y_split = (trainer.X_test, trainer.Y_test) if split == "test" else (trainer.X_train, trainer.Y_train)
        x = X_split[focus : focus + 1]
        row, y = 0, Y_split[focus]
        sample_fwd = net.forward(x)
        z_rows, a_rows = sample_fwd.z, sample_fwd.a
        delta_rows = net.backward(sample_fwd, y[None], regularize=False).delta
    if r is not None and work.sample_losses is not None:
        sample_loss = float(work.sample_losses[r])
    else:
        sample_loss = net.loss.value(a_rows[-1][row : row + 1], y[None], z_rows[-1][row : row + 1], net.activations[-1])
    common = {"pass_index": work.pass_index, "epoch": work.epoch, "focus": focus}
    forward: list[ForwardRecord] = []
    backward: list[BackwardRecord] = []
    a_prev = a_rows[0][row]
    bwd = work.bwd
    per_layer = zip(
        net.activations, z_rows, a_rows[1:], delta_rows, frame.W, frame.b, bwd.grad_W, bwd.grad_b, strict=True
    )
    for layer, (act, Z, A, Delta, W, b, grad_W, grad_b) in enumerate(per_layer, start=1):
        z, a, delta = Z[row], A[row], Delta[row]  # the focus sample's z^l, a^l, δ^l
        forward.append(_new(ForwardRecord, common, layer=layer, position=layer - 1, z=z, a=a, a_prev=a_prev, W=W, b=b))
        backward.append(
            _new(
                BackwardRecord,
                common,
                layer=layer,
                position=2 * L + 1 - layer,
                z=z,
                a_prev=a_prev,
                fprime=act.df(z, a),  # the Jacobian's diagonal for softmax
                delta=delta,
                grad_W=grad_W,
                grad_b=grad_b,
                # The sample's own δ^l (a^{l−1})ᵀ, a column times a row: each entry one product, as in a
                # one-sample backward pass.
                sample_grad_W=delta[:, None] * a_prev,
                sample_grad_b=delta,
                W=W,
            )
        )
        a_prev = a
    last = backward[-1]  # layer L
    loss = _new(
        LossRecord,
        common,
        layer=None,
        position=L,
        z=last.z,
        a=a_prev,
        grad_a=net.loss.grad(a_prev[None], y[None])[0],
        fprime=last.fprime,
        delta=last.delta,
        y=y,
        loss=work.loss,
        penalty=net.regularization.penalty(net.W),
        sample_loss=sample_loss,
        batch=work.indices,
        focus_in_batch=r is not None,
    )
    backward.reverse()  # backward runs from layer L down to 1
    return [*forward, loss, *backward]


def update_record(trainer: Trainer, work: PassWork, focus: int, steps: list[Array]) -> UpdateRecord:
    """The update's record: copies of the new parameters, and the steps [ΔW^1, Δb^1, …] the optimizer took."""
    net = trainer.network
    focus = EXAMPLE_INDEX if work.example is not None else focus
    return _new(
        UpdateRecord,
        {"pass_index": work.pass_index, "epoch": work.epoch, "focus": focus},
        layer=None,
        position=2 * net.L + 1,
        W=[W.copy(order="K") for W in net.W],
        b=[b.copy() for b in net.b],
        step_W=steps[0::2],
        step_b=steps[1::2],
        learning_rate=trainer.optimizer.config.learning_rate,
    )


def row_in_batch(indices: Array, sample: int) -> int | None:
    """The row of `sample` in a batch given by its sample indices, or None if the batch does not hold it. A
    batch of the whole set in stored order (where the sample's row is its index) is recognized at once."""
    if sample < indices.shape[0] and indices[sample] == sample:
        return sample
    rows = (indices == sample).nonzero()[0]
    return int(rows[0]) if rows.size else None
