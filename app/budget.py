"""What a session costs in memory, derived from its parts, and the server-wide budget all sessions share.

A session's cost at its peak (`session_cost`), in bytes:

    state      P × s × (1 + k)             weights and biases, and the optimizer's k arrays per parameter
    gradients  P × s × 2                   the batch's and the focus sample's ∂J/∂W, ∂J/∂b
    initial    state                       the pass-0 checkpoint, kept for reset
    history    max(H, 2 × state)           the step-back keyframes (BACKPROP_VIZ_HISTORY_BYTES; the newest always
                                           stays, and one more while it is replaced)
    work       rows × Σn × s × 4           z, a, δ, f' for the largest batch it computes (a batch, the test set,
                                           the 50 × 50 decision-boundary grid)
    data       samples × (inputs + outputs) × 8 × 2
    metrics    points × 64                 the loss history, as it is now (it is bounded and thinned)
    checkpoint numbers × 72                writing it out (export, the store): 3 checkpoints and the metrics as
                                           Python numbers (32 B) and JSON text twice (2 × 20 B); the data the same
                                           way, or at 24 B a number when it is large enough to go as bytes

P parameters, s bytes per number (8 for float64, 4 for float32), k the optimizer's state arrays (sgd 0,
momentum 1, adam 2). The registry refuses a session whose cost does not fit BACKPROP_VIZ_MEMORY_BUDGET_BYTES
beside the others (after evicting idle ones, as at the session cap); one that could never fit is refused before
anything is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from app.config import Settings
from app.errors import InvalidInput, TooMany
from engine.network import parameter_count
from engine.optimizers import OptimizerConfig, make_optimizer
from engine.serialization import LIST_MAX

BOUNDARY_ROWS = 50 * 50  # the decision boundary's grid (Session.boundary)
METRIC_POINT_BYTES = 64  # an x and a y in a Python list
EXPORT_NUMBER_BYTES = 72  # a number while a document is written: a float object and a list slot, JSON text twice
DATA_NUMBER_BYTES = 16  # float64, held by the data set and by the trainer (its own dtype copy)
ENCODED_NUMBER_BYTES = 24  # a number of a large matrix written as bytes: the array, its zlib and base64 copies
SETTING = "BACKPROP_VIZ_MEMORY_BUDGET_BYTES"
ANSWER_NUMBER_BYTES = 24  # a number in a JSON answer at full precision, with its comma
RECORD_OVERHEAD_BYTES = 400  # a phase record's names, labels and counters


@cache
def optimizer_slots(name: str) -> int:
    """How many arrays per parameter the engine's optimizer keeps (sgd 0, momentum 1, adam 2)."""
    return len(make_optimizer(OptimizerConfig(name=name), [np.zeros(1)]).state)


@dataclass(frozen=True)
class SessionCost:
    """A session's peak memory by part (bytes); `total` is what the budget charges."""

    state: int
    gradients: int
    initial: int
    history: int
    work: int
    data: int
    metrics: int
    checkpoint: int

    @property
    def total(self) -> int:
        return (
            self.state
            + self.gradients
            + self.initial
            + self.history
            + self.work
            + self.data
            + self.metrics
            + self.checkpoint
        )


def session_cost(
    layers: list[int],
    *,
    optimizer: str,
    dtype: str,
    batch_size: int,
    samples: int,
    test_samples: int,
    history_bytes: int,
    metric_points: int = 0,
) -> SessionCost:
    """The cost of a session with these parts (see the module docstring)."""
    P = parameter_count(layers)
    s = 4 if dtype == "float32" else 8
    k = optimizer_slots(optimizer)
    state = P * s * (1 + k)
    rows = max(batch_size, test_samples, BOUNDARY_ROWS)
    data_numbers = (samples + test_samples) * (layers[0] + layers[-1])
    export_numbers = 3 * P * (1 + k) + 2 * metric_points
    # A data set is written as lists of numbers, or, when large, as compressed bytes (engine/serialization.py).
    data_out = data_numbers * (EXPORT_NUMBER_BYTES if data_numbers <= LIST_MAX else ENCODED_NUMBER_BYTES)
    return SessionCost(
        state=state,
        gradients=2 * P * s,
        initial=state,
        history=max(history_bytes, 2 * state),
        work=rows * sum(layers) * s * 4,
        data=data_numbers * DATA_NUMBER_BYTES,
        metrics=metric_points * METRIC_POINT_BYTES,
        checkpoint=export_numbers * EXPORT_NUMBER_BYTES + data_out,
    )


def describe(cost: int) -> str:
    """Bytes as a person reads them: '1.2 GiB', '35.0 MiB'."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if cost >= size:
            return f"{cost / size:.1f} {unit}"
    return f"{cost} bytes"


def check_alone(cost: SessionCost, settings: Settings, what: str = "this session") -> None:
    """422 when a session could never fit the budget, even on an empty server (nothing is built yet)."""
    if cost.total > settings.memory_budget_bytes:
        raise InvalidInput(
            f"{what} would cost about {describe(cost.total)} of memory at its peak (weights, optimizer state, "
            f"step-back history, writing it out); the server's whole budget is "
            f"{describe(settings.memory_budget_bytes)} ({SETTING}): use fewer or narrower layers, or a lighter "
            "optimizer",
            field="layers",
        )


def over_budget(needed: int, in_use: int, settings: Settings) -> TooMany:
    """429: the sessions there are leave too little room (and none of them could be evicted)."""
    return TooMany(
        f"this session needs about {describe(needed)} of memory and the sessions kept here already use "
        f"{describe(in_use)} of the {describe(settings.memory_budget_bytes)} budget ({SETTING}), and none of them "
        "is idle: delete a session, wait for one to finish, or ask the operator to raise the budget",
    )


def pass_answer_bytes(layers: list[int], batch_size: int) -> int:
    """About how many bytes one pass's phase records take in an answer: the forward records carry W^l (P in all),
    the backward ones W^l, ∂J/∂W^l and the focus sample's own (3 P), the update all W and their steps (2 P),
    and vectors of every layer's width around them."""
    P = parameter_count(layers)
    L = len(layers) - 1
    vectors = 12 * sum(layers) + 2 * batch_size
    return (6 * P + vectors) * ANSWER_NUMBER_BYTES + (2 * L + 2) * RECORD_OVERHEAD_BYTES


def records_within(answer_bytes: int, layers: list[int], batch_size: int, max_records: int) -> int:
    """The most records one step may answer: BACKPROP_VIZ_MAX_STEP_RECORDS, and no more passes' worth than fit
    BACKPROP_VIZ_MAX_STEP_ANSWER_BYTES — but always one pass's (past the limit, only the last pass's are kept)."""
    phases = 2 * (len(layers) - 1) + 2
    passes = answer_bytes // max(1, pass_answer_bytes(layers, batch_size))
    return max(phases, min(max_records, passes * phases))
