"""Mini-batches drawn from the training set: one shuffled sweep per epoch, reproducible from a seed.

The sampler's whole position (epoch, cursor, this epoch's order and the RNG) can be saved and restored,
so stepping back returns to exactly the same batches. An `Example` is the other kind of batch: one sample
given by hand (a drawing to teach), which a pass may train on instead of the sampler's next batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray


EXAMPLE_INDEX = -1  # the sample index an example's batch and records show: it is not a row of the training set


@dataclass(frozen=True, eq=False)
class Example:
    """One sample given by hand: the network's input x (standardized as the data are) and its target y."""

    x: Array
    y: Array

    def __post_init__(self) -> None:
        for name in ("x", "y"):
            value = np.array(getattr(self, name), dtype=np.float64).reshape(-1)
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    @property
    def nbytes(self) -> int:
        return self.x.nbytes + self.y.nbytes

    def batch(self, dtype: type) -> tuple[Array, Array, Array]:
        """(indices, X, Y) of the batch of this one example, as `BatchSampler.next_batch` answers a batch."""
        return np.array([EXAMPLE_INDEX]), self.x[None, :].astype(dtype), self.y[None, :].astype(dtype)


@dataclass(frozen=True)
class SamplerState:
    """Where the sampler stands: restore it and the same batches come out again."""

    epoch: int
    cursor: int
    order: Array | None
    rng_state: dict


class BatchSampler:
    """Yields (indices, X batch, Y batch); a batch as large as the set is the set itself, unshuffled."""

    def __init__(self, X: Array, Y: Array, batch_size: int, seed: int = 0) -> None:
        if X.shape[0] == 0:
            raise ValueError("the training set is empty; training needs at least one sample")
        self.X = X
        self.Y = Y
        self.n = X.shape[0]
        self.batch_size = self._checked(batch_size)
        self.rng = np.random.default_rng(seed)
        # rng.bit_generator.state, read once after each draw (only _start_epoch draws): reading it builds a dict
        self._rng_state: dict | None = None
        self.epoch = 0
        self.cursor = 0
        self.order: Array | None = None
        self._all_indices = np.arange(self.n)
        self._all_indices.flags.writeable = False
        self._epoch_indices: Array = self._all_indices
        self._epoch_X: Array = X
        self._epoch_Y: Array = Y

    def _checked(self, batch_size: int) -> int:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        return min(int(batch_size), self.n)

    @property
    def full_batch(self) -> bool:
        return self.batch_size >= self.n

    @property
    def passes_per_epoch(self) -> int:
        return -(-self.n // self.batch_size)

    def set_batch_size(self, batch_size: int) -> None:
        """Change the batch size from the next pass; the current epoch's order is kept."""
        self.batch_size = self._checked(batch_size)

    def _start_epoch(self) -> None:
        if self.full_batch:
            if self.order is not None:
                self._use_order(None)
        else:
            order = self.rng.permutation(self.n)
            order.flags.writeable = False
            self._rng_state = None
            self._use_order(order)

    def _use_order(self, order: Array | None) -> None:
        """This epoch's sample order (None: as stored), gathered once so each batch is a contiguous slice."""
        if order is None:
            self._epoch_indices, self._epoch_X, self._epoch_Y = self._all_indices, self.X, self.Y
        elif order is not self.order:
            self._epoch_indices, self._epoch_X, self._epoch_Y = order, self.X[order], self.Y[order]
        self.order = order

    def next_batch(self) -> tuple[Array, Array, Array]:
        """The next batch's sample indices (read-only), inputs and targets; advances the cursor (and the epoch
        at its end)."""
        start = self.cursor
        if start == 0:
            self._start_epoch()
        stop = start + self.batch_size
        if stop < self.n:
            self.cursor = stop
            return self._epoch_indices[start:stop], self._epoch_X[start:stop], self._epoch_Y[start:stop]
        self.cursor = 0
        self.epoch += 1
        if start == 0:  # the whole set in one batch
            return self._epoch_indices, self._epoch_X, self._epoch_Y
        return self._epoch_indices[start:], self._epoch_X[start:], self._epoch_Y[start:]

    def extend(self, X: Array, Y: Array) -> None:
        """The training set grew by rows appended at its end (X, Y are the whole new set): they are drawn at the
        end of this epoch (appended to its order), then shuffled in with the rest from the next epoch on."""
        added = np.arange(self.n, X.shape[0])
        self.X, self.Y, self.n = X, Y, X.shape[0]
        self._all_indices = np.arange(self.n)
        self._all_indices.flags.writeable = False
        if self.order is None:
            self._epoch_indices, self._epoch_X, self._epoch_Y = self._all_indices, X, Y
        else:
            order = np.concatenate([self.order, added])
            order.flags.writeable = False
            self.order = None  # so _use_order gathers the epoch's rows again
            self._use_order(order)

    def snapshot(self) -> SamplerState:
        if self._rng_state is None:
            self._rng_state = self.rng.bit_generator.state
        return SamplerState(self.epoch, self.cursor, self.order, self._rng_state)

    def restore(self, state: SamplerState) -> None:
        self.epoch = state.epoch
        if state.rng_state is not self._rng_state:
            self.rng.bit_generator.state = state.rng_state
            self._rng_state = state.rng_state
        self._use_order(state.order)
        self.cursor = state.cursor
