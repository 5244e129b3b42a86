"""Which points of each session's loss history the store already holds, so that a checkpoint writes only the new
ones.

A session's history is up to 100,000 points in each of six series (engine.metrics); written whole, it made a
checkpoint of a session that had played a while 5 MB of JSON and ~150 ms of CPU, every second it played — a class
of 30 with persistence on (the default) spent more on checkpoints than on training. The history only grows
between two rewrites (the engine thinning it, or stepping back), and a `Series` counts those (`rewrites`): while
the count and the series object are the ones last written, the store's points are a prefix of the series, and a
checkpoint appends the rest as one more block (store.SeriesWrite); every MAX_BLOCKS such blocks are merged into one
(rewriting only the points since the last merge). Otherwise — or past MAX_MERGED merged blocks — it is written
whole again, replacing its blocks.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

from app.store import SeriesWrite
from engine.metrics import MetricsLog, Series
from engine.serialization import METRICS_SERIES

MAX_BLOCKS = 64  # small blocks (one per checkpoint) merged into one when there are this many
MAX_MERGED = 64  # merged blocks a series may have before it is written whole again (fewer rows to read back)


@dataclass(frozen=True)
class _Held:
    """What the store holds of one series: the first `length` points of `series` as it was at `rewrites`, in
    `blocks` blocks, the last `small` of them written one per checkpoint from index `merged` on."""

    series: weakref.ref[Series]
    rewrites: int
    length: int
    blocks: int
    merged: int
    small: int


class SavedSeries:
    """The store's copy of every session's loss history, as far as this process wrote or read it."""

    def __init__(self) -> None:
        self._held: dict[str, dict[str, _Held]] = {}
        self._lock = threading.Lock()

    def writes(self, session_id: str, log: MetricsLog) -> dict[str, SeriesWrite]:
        """What the store needs so that it holds `log` as it is now (call under the session's lock): a series whole
        after a rewrite; else its new points, as one more block — or, when MAX_BLOCKS have piled up since the last
        merge, with them as one block (so a checkpoint costs about its new points, whatever the history's length)."""
        with self._lock:
            held = dict(self._held.get(session_id, {}))
        writes = {}
        for name in METRICS_SERIES:
            series: Series = getattr(log, name)
            h = held.get(name)
            if (
                h is None
                or h.series() is not series
                or h.rewrites != series.rewrites
                or h.length > len(series)
                or h.blocks - h.small >= MAX_MERGED
            ):
                writes[name] = SeriesWrite(0, list(series.x), list(series.y), replace=True)
            elif len(series) > h.length and h.small >= MAX_BLOCKS:
                writes[name] = SeriesWrite(h.merged, series.x[h.merged :], series.y[h.merged :], replace=True)
            elif len(series) > h.length:
                writes[name] = SeriesWrite(h.length, series.x[h.length :], series.y[h.length :])
        return writes

    def written(self, session_id: str, log: MetricsLog, writes: Mapping[str, SeriesWrite]) -> None:
        """The store committed `writes` (made from `log`, the session's lock still held): remember what it holds."""
        with self._lock:
            held = self._held.setdefault(session_id, {})
            for name, write in writes.items():
                series: Series = getattr(log, name)
                before = held.get(name)
                length = write.start + len(write.x)
                block = int(bool(write.x))
                if write.replace:  # the whole series, or the small blocks merged: one block from write.start on
                    kept = 0 if write.start == 0 or before is None else before.blocks - before.small
                    blocks, merged, small = kept + block, length, 0
                else:
                    assert before is not None, "an append to a series the store does not hold"
                    blocks, merged, small = before.blocks + block, before.merged, before.small + block
                held[name] = _Held(weakref.ref(series), series.rewrites, length, blocks, merged, small)

    def read(self, session_id: str, log: MetricsLog, blocks: Mapping[str, int]) -> None:
        """A session restored with `log` from the store, its series in `blocks` blocks each: the store holds it."""
        with self._lock:
            self._held[session_id] = {
                name: _Held(weakref.ref(series), series.rewrites, len(series), n, len(series), 0)
                for name, n in blocks.items()
                if name in METRICS_SERIES
                for series in [getattr(log, name)]
            }

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._held.pop(session_id, None)
