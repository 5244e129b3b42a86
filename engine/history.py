"""Keyframes of the training state, bounded by memory, for stepping back bitwise.

A checkpoint is everything a pass depends on: weights, biases, optimizer state, the sampler's position and
RNG, and the hyperparameters in force. Stepping back restores the nearest keyframe at or before the target
pass and replays forward; replay is exact because training is deterministic.

A pass taught on an example (`Stepper.teach`) is not determined by the sampler: its keyframe carries the
example, and the pass after it always has a keyframe of its own, so no replay ever runs through it.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.batches import Example, SamplerState

Array = np.ndarray

DEFAULT_HISTORY_BYTES = 64 * 1024 * 1024
_OVERHEAD_BYTES = 1024  # the RNG state's dicts, the dataclass, its tuples and lists (measured: about 900)


@dataclass(frozen=True)
class Checkpoint:
    """The whole training state at the start of pass `pass_index`."""

    pass_index: int
    W: tuple[Array, ...]
    b: tuple[Array, ...]
    optimizer: tuple[int, dict[str, list[Array]]]
    optimizer_config: Any
    regularization: Any
    batch_size: int
    sampler: SamplerState
    epoch_accumulators: tuple[float, int, int]
    example: Example | None = None  # the pass from here trains on this example, not the sampler's batch

    @property
    def nbytes(self) -> int:
        """The memory it holds: its arrays with their headers, the sampler's order, a taught example, the rest (the
        history counts an order shared with the frame before it once)."""
        arrays = (*self.W, *self.b, *(s for states in self.optimizer[1].values() for s in states))
        example = self.example.nbytes if self.example is not None else 0
        return sum(sys.getsizeof(a) for a in arrays) + self.order_bytes + example + _OVERHEAD_BYTES

    @property
    def order_bytes(self) -> int:
        order = self.sampler.order
        return 0 if order is None else sys.getsizeof(order)


class History:
    """Keyframes in pass order; the oldest are dropped once their bytes exceed the cap (the newest stays)."""

    def __init__(self, max_bytes: int = DEFAULT_HISTORY_BYTES) -> None:
        self.max_bytes = max_bytes
        self._frames: deque[Checkpoint] = deque()
        self._sizes: deque[int] = deque()  # each frame's nbytes, summed once when it is pushed
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[Checkpoint]:
        """The keyframes, oldest first."""
        return iter(self._frames)

    @property
    def nbytes(self) -> int:
        return self._bytes

    @property
    def oldest_pass(self) -> int | None:
        return self._frames[0].pass_index if self._frames else None

    def push(self, frame: Checkpoint) -> None:
        """Add a keyframe; one for the same or a later pass replaces those (the past was rewritten)."""
        self.truncate_after(frame.pass_index - 1)
        size = frame.nbytes
        if self._frames and _same_order(self._frames[-1], frame):
            size -= frame.order_bytes  # the epoch's order is shared: counted with the frame that came first
        self._frames.append(frame)
        self._sizes.append(size)
        self._bytes += size
        while self._bytes > self.max_bytes and len(self._frames) > 1:
            dropped = self._frames.popleft()
            self._bytes -= self._sizes.popleft()
            if _same_order(dropped, self._frames[0]):  # the order lives on in the next frame: it counts there now
                self._sizes[0] += dropped.order_bytes
                self._bytes += dropped.order_bytes

    def latest_at_or_before(self, pass_index: int) -> Checkpoint | None:
        """The keyframe to restore to reach `pass_index` (None if it has been dropped)."""
        for frame in reversed(self._frames):
            if frame.pass_index <= pass_index:
                return frame
        return None

    def truncate_after(self, pass_index: int) -> None:
        """Drop keyframes of passes after `pass_index` (they describe a future that was undone)."""
        while self._frames and self._frames[-1].pass_index > pass_index:
            self._frames.pop()
            self._bytes -= self._sizes.pop()

    def clear(self) -> None:
        self._frames.clear()
        self._sizes.clear()
        self._bytes = 0


def _same_order(a: Checkpoint, b: Checkpoint) -> bool:
    return a.sampler.order is not None and a.sampler.order is b.sampler.order
