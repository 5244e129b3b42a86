"""Histograms whose bins stay comparable over a whole training run: a heatmap of pass × bin needs every pass's
counts on the same bins.

A `BinnedHistory` chooses its bins once, from the first values it sees (the initial state: INITIAL_BINS equal
bins over their range), and keeps them. When later values leave the range it adds whole bins of the same width
at either end; past MAX_BINS it merges neighbouring pairs (the width doubles). Both keep every bin edge an old
edge, so the counts recorded earlier are re-binned exactly (zeros for the new bins, pair sums for merged ones)
and every row of the history is on the current edges. Values that are not finite are not counted.
"""

from __future__ import annotations

import math

import numpy as np

Array = np.ndarray

INITIAL_BINS = 30
MAX_BINS = 60
COUNT_DTYPE = np.int32  # counts of at most probe × layer width values (256 × 2,048): half int64's memory


class BinnedHistory:
    """Counts of one quantity (say a^2) at recorded passes, all on the bins `edges`."""

    def __init__(self, values: Array) -> None:
        finite = _finite(values)
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        if not high > low:
            pad = max(abs(low), 1.0) * 1e-3  # one value (zero-initialized biases): a narrow range around it
            low, high = low - pad, high + pad
        self.low = low
        self.width = (high - low) / INITIAL_BINS
        self.bins = INITIAL_BINS
        self.rows: list[Array] = []  # one row of counts per recorded entry, oldest first

    @property
    def high(self) -> float:
        return self.low + self.bins * self.width

    @property
    def edges(self) -> Array:
        return self.low + self.width * np.arange(self.bins + 1)

    def counts(self, values: Array) -> Array:
        """The histogram of `values` on the bins, widened first if they leave them (the history is re-binned).

        Measured at every pass of a stepping student and many times a second in a class, so it takes few NumPy
        calls: the range tells whether any value is not finite (NaN or ±inf make it so), and the bin index is
        truncated rather than floored — the same for values at or above the low edge, which all are once covered
        (one that rounds just below it lands in bin 0 either way)."""
        flat = np.asarray(values, dtype=np.float64).ravel()
        if flat.size:
            low, high = float(flat.min()), float(flat.max())
            if not (math.isfinite(low) and math.isfinite(high)):  # a NaN or an infinity: count the finite ones
                flat = flat[np.isfinite(flat)]
                low, high = (float(flat.min()), float(flat.max())) if flat.size else (low, high)
            if flat.size:
                self._cover(low, high)
        index = ((flat - self.low) / self.width).astype(np.intp)
        np.minimum(index, self.bins - 1, out=index)  # a value on the top edge, or rounding there
        return np.bincount(index, minlength=self.bins).astype(COUNT_DTYPE)

    def _cover(self, low: float, high: float) -> None:
        """Add bins (and merge pairs past MAX_BINS) until [low, high] lies within the edges."""
        while True:
            left = math.ceil((self.low - low) / self.width) if low < self.low else 0
            right = math.ceil((high - self.high) / self.width) if high > self.high else 0
            if left == 0 and right == 0:
                return
            if self.bins + left + right <= MAX_BINS:
                self._extend(left, right)
                return
            self._extend(0, self.bins % 2)  # an even count, so the pairs line up from the low edge
            self._merge_pairs()

    def _extend(self, left: int, right: int) -> None:
        self.low -= left * self.width
        self.bins += left + right
        if self.rows:  # every row at once (a history of 256 rows: one copy, not 256 calls)
            block = np.zeros((len(self.rows), self.bins), dtype=COUNT_DTYPE)
            block[:, left : self.bins - right] = np.stack(self.rows)
            self.rows = list(block)

    def _merge_pairs(self) -> None:
        self.width *= 2
        self.bins //= 2
        if self.rows:
            block = np.stack(self.rows)
            self.rows = list(block.reshape(len(self.rows), self.bins, 2).sum(axis=2, dtype=COUNT_DTYPE))

    # -- the history's rows (kept in step with the tracker's entries) -----------------------------------
    def record(self, values: Array) -> Array:
        counts = self.counts(values)
        self.rows.append(counts)
        return counts

    def keep(self, positions: list[int]) -> None:
        """Keep only the rows at these positions (the tracker thinned or truncated its entries)."""
        self.rows = [self.rows[i] for i in positions]


def _finite(values: Array) -> Array:
    flat = np.asarray(values, dtype=np.float64).ravel()
    return flat if np.isfinite(flat).all() else flat[np.isfinite(flat)]
