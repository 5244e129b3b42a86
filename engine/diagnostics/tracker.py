"""A session's diagnostics over time: measurements on its probe, their histograms on fixed bins, the flags, and
a bounded history of all of it for the page's charts.

`measure(trainer)` takes one measurement now (engine/diagnostics/stats.py), counts its histograms on each
layer's and quantity's `BinnedHistory` and records it as the history's entry for that pass: an entry for the same
or a later pass is replaced (the training went back, or was reset), so the history always describes the past of
the state the session is in. Past MAX_ENTRIES entries every other one is dropped (the newest always stays), as the
loss curve's series thin out: the history spans the whole run at a coarser step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.diagnostics.flags import Flag, health_flags
from engine.diagnostics.histograms import BinnedHistory
from engine.diagnostics.probeset import ProbeSet, probe_set
from engine.diagnostics.stats import QUANTITIES, Measurement, measure
from engine.diagnostics.units import Projection
from engine.training import Trainer

HISTORY_FOR_FLAGS = 8  # earlier measurements the flags look back at (flags.py needs at most 4)
MAX_ENTRIES = 256  # entries of the history (each: every layer's scalars and 4 histograms of ≤ 60 bins)


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True)
class Snapshot:
    """One measurement as the wire shows it: the statistics, each layer's histograms, the flags."""

    measurement: Measurement
    histograms: list[dict[str, Histogram]]  # per layer, QUANTITIES → histogram
    flags: list[Flag]

    @property
    def pass_index(self) -> int:
        return self.measurement.pass_index


class DiagnosticsTracker:
    """Diagnostics of one trainer's network (sizes fixed: a rebuilt session gets a new tracker)."""

    def __init__(self, trainer: Trainer) -> None:
        self.probe: ProbeSet = probe_set(trainer.X_train, trainer.Y_train, trainer.network.parameter_count)
        self.entries: list[Measurement] = []  # oldest first; the scalars of each recorded measurement
        self.tracks: list[dict[str, BinnedHistory]] | None = None  # per layer, QUANTITIES → its bins and rows
        self.projections: dict[int, Projection] = {}  # hidden-unit views' PCA axes, fixed once chosen
        self.latest: Snapshot | None = None

    def measure(self, trainer: Trainer) -> Snapshot:
        """Measure now, record it as the entry of the current pass, and return it with its flags."""
        m = measure(trainer.network, self.probe, trainer.pass_index, trainer.last_steps)
        if self.tracks is None:  # the bins come from the first state measured (a new session's initial one)
            self.tracks = [{q: BinnedHistory(s.values[q]) for q in QUANTITIES} for s in m.layers]
        self._forget_from(m.pass_index)
        histograms = []
        for stats, tracks in zip(m.layers, self.tracks, strict=True):
            counts = {q: tracks[q].record(stats.values[q]) for q in QUANTITIES}
            histograms.append({q: Histogram(tracks[q].edges, counts[q]) for q in QUANTITIES})
        flags = health_flags(m, self.entries[-HISTORY_FOR_FLAGS:])
        self.entries.append(_scalars_only(m))
        self._thin()
        self.latest = Snapshot(m, histograms, flags)
        return self.latest

    def _forget_from(self, pass_index: int) -> None:
        """Drop the entries of this pass and later ones (they describe a past that was undone)."""
        keep = [i for i, e in enumerate(self.entries) if e.pass_index < pass_index]
        if len(keep) != len(self.entries):
            self._keep(keep)

    def _thin(self) -> None:
        n = len(self.entries)
        if n > MAX_ENTRIES:
            keep = [*range(0, n - 1, 2), n - 1]
            self._keep(keep)

    def _keep(self, positions: list[int]) -> None:
        self.entries = [self.entries[i] for i in positions]
        for tracks in self.tracks or ():
            for track in tracks.values():
                track.keep(positions)

    # -- the history, as series ---------------------------------------------------------------------------
    @property
    def passes(self) -> list[int]:
        return [e.pass_index for e in self.entries]

    def series(self, layer: int, name: str) -> list[float | None]:
        """A scalar statistic of layer `layer` (1..L) at every entry, oldest first."""
        return [getattr(e.layers[layer - 1], name) for e in self.entries]

    def histogram_history(self, layer: int, quantity: str) -> tuple[np.ndarray, list[np.ndarray]]:
        """The bin edges and every entry's counts (on those edges) of one layer's quantity."""
        assert self.tracks is not None
        track = self.tracks[layer - 1][quantity]
        return track.edges, list(track.rows)


def _scalars_only(m: Measurement) -> Measurement:
    """The measurement without its arrays (the history keeps numbers, not a copy of the network per entry)."""
    return replace(m, layers=[replace(s, values={}) for s in m.layers])
