"""Which points of each session's loss history the store already holds, so that a checkpoint writes only the new
ones.

A session's history is up to 100,000 points in each of six series (engine.metrics); written whole, it made a
checkpoint of a session that had played a while 5 MB of JSON and ~150 ms of CPU, every second it played — a class
of 30 with persistence on (the default) spent more on checkpoints than on training. A series only grows, is cut
after stepping back, or is thinned; a `Series` counts its thinnings and keeps a low-water mark of its length since
the last checkpoint marked it. So, while the series object and its thinnings are the ones last written, the store's
first min(length written, low water) points are the series' own: a checkpoint appends the new points as one more
block (store.SeriesWrite), or after a cut rewrites from the start of the block the cut fell in; every MAX_BLOCKS
small blocks are merged into one (rewriting only the points since the last merge). Otherwise — or past MAX_MERGED
merged blocks — the series is written whole, replacing its blocks.
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
MAX_MERGED = 64  # larger blocks a series may have before it is written whole again (fewer rows to read back)


@dataclass(frozen=True)
class _Held:
    """What the store holds of one series: the first `length` points of `series` as it was at `thinnings`, in blocks
    beginning at `starts`, the last `small` of them written one per checkpoint."""

    series: weakref.ref[Series]
    thinnings: int
    length: int
    starts: tuple[int, ...]
    small: int


class SavedSeries:
    """The store's copy of every session's loss history, as far as this process wrote or read it."""

    def __init__(self) -> None:
        self._held: dict[str, dict[str, _Held]] = {}
        self._lock = threading.Lock()

    def writes(self, session_id: str, log: MetricsLog) -> dict[str, SeriesWrite]:
        """What the store needs so that it holds `log` as it is now (call under the session's lock): the new points
        as one more block; after a cut, the points from the start of the block it fell in (replacing the blocks from
        there); when MAX_BLOCKS small blocks have piled up, the points since they began (one block for them all); a
        series whole when the store's copy is of another series or thinning. A checkpoint so costs about its new
        points, whatever the history's length."""
        with self._lock:
            held = dict(self._held.get(session_id, {}))
        writes = {}
        for name in METRICS_SERIES:
            series: Series = getattr(log, name)
            h = held.get(name)
            if (
                h is None
                or h.series() is not series
                or h.thinnings != series.thinnings
                or len(h.starts) - h.small >= MAX_MERGED
            ):
                writes[name] = SeriesWrite(0, list(series.x), list(series.y), replace=True)
                continue
            kept = min(h.length, series.low_water)
            if kept < h.length:  # cut since: rewrite from the block the cut fell in
                start = max((s for s in h.starts if s <= kept), default=0)
                writes[name] = SeriesWrite(start, series.x[start:], series.y[start:], replace=True)
            elif len(series) > h.length and h.small >= MAX_BLOCKS:
                start = h.starts[-h.small]
                writes[name] = SeriesWrite(start, series.x[start:], series.y[start:], replace=True)
            elif len(series) > h.length:
                writes[name] = SeriesWrite(h.length, series.x[h.length :], series.y[h.length :])
        return writes

    def written(self, session_id: str, log: MetricsLog, writes: Mapping[str, SeriesWrite]) -> None:
        """The store committed `writes` (made from `log`, the session's lock still held): remember what it holds,
        and mark every series (the store holds each as it is now)."""
        with self._lock:
            held = self._held.setdefault(session_id, {})
            for name, write in writes.items():
                series: Series = getattr(log, name)
                before = held.get(name)
                here = (write.start,) if write.x else ()
                if write.replace:  # one block from write.start on, in place of those there were
                    earlier = () if before is None else tuple(s for s in before.starts if s < write.start)
                    starts, small = earlier + here, 0
                else:
                    assert before is not None, "an append to a series the store does not hold"
                    starts, small = before.starts + here, before.small + len(here)
                held[name] = _Held(weakref.ref(series), series.thinnings, write.start + len(write.x), starts, small)
            for name in METRICS_SERIES:
                getattr(log, name).mark()

    def read(self, session_id: str, log: MetricsLog, starts: Mapping[str, list[int]]) -> None:
        """A session restored with `log` from the store, its series in blocks beginning at `starts`: the store holds
        it."""
        with self._lock:
            self._held[session_id] = {
                name: _Held(weakref.ref(series), series.thinnings, len(series), tuple(begins), 0)
                for name, begins in starts.items()
                if name in METRICS_SERIES
                for series in [getattr(log, name)]
            }
            for name in METRICS_SERIES:
                getattr(log, name).mark()

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._held.pop(session_id, None)
