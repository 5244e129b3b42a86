"""A session's diagnostics as they follow its changes: when to measure, what was measured last, and the latest
loss landscape. The Session holds one `Watch` (a new one when it is rebuilt) and calls it with its lock held.

Measuring costs one forward and backward pass over the probe batch (about half a millisecond for a 2-8-8-1
network): it is done again when the pass changes (or a weight is edited, or the session is rebuilt) — at once
when the session is idle; while it plays or trains, at most `BACKPROP_VIZ_DIAGNOSTICS_RATE` times a second, and
only once the session has trained TRAINING_PER_MEASUREMENT times as long as the last measurement took, its
conversion for the wire included (so that statistics cost a session at most about 1/100 of its own training, however
many sessions share the machine: with 30 sessions playing, each trains a thirtieth of the time, and is measured
about a thirtieth as often as alone — every second or two on a 2-core machine; one session alone is held back by
the rate instead, and so spends less of its time measuring: 1/100, not 1/50, keeps a class's throughput within a
few percent of one session's);
never by itself with `BACKPROP_VIZ_DIAGNOSTICS=false` (then only on request: GET …/diagnostics).
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass

from app import schemas
from app.config import Settings
from app.sessions import diagnosing
from app.training_share import TrainingShare
from engine.diagnostics.tracker import DiagnosticsTracker, Snapshot
from engine.training import Trainer

log = logging.getLogger(__name__)

TRAINING_PER_MEASUREMENT = 100.0  # while busy: seconds of training between measurements, per second one takes
_versions = itertools.count(1)  # shared by every Watch: a rebuilt session's new Watch never repeats an old version


@dataclass
class Update:
    """What changed since a reader's last version: the frame's statistics, and the flags with their keys."""

    version: int
    frame: schemas.FrameDiagnostics
    flags: list[schemas.HealthFlag]
    flag_keys: list[tuple[str, int | None]]


class Watch:
    def __init__(self, trainer: Trainer, settings: Settings) -> None:
        self.trainer = trainer
        self.settings = settings
        self.tracker = DiagnosticsTracker(trainer)
        self.version = 0  # of the latest measurement (0: none yet)
        self.edits = 0  # weights edited by hand: the statistics change without a new pass
        self._key: tuple[int, int] | None = None
        self._at = -float("inf")
        self.share = TrainingShare(TRAINING_PER_MEASUREMENT)  # while busy, measurements are paid by training
        self.landscape: schemas.Landscape | None = None
        self._update: Update | None = None  # a measurement on the wire, made once (its version says which)
        self.measure()  # the histograms' bins come from the state the session starts in

    def _current_key(self) -> tuple[int, int]:
        return self.trainer.pass_index, self.edits

    def measure(self) -> Snapshot:
        started = time.thread_time()
        snapshot = self.tracker.measure(self.trainer)
        self.share.spent(time.thread_time() - started)
        self._key = self._current_key()
        self._at = time.monotonic()
        self.version = next(_versions)
        return snapshot

    def latest(self) -> Snapshot:
        """The measurement of the state now (measured again if the state moved on)."""
        if self._key != self._current_key() or self.tracker.latest is None:
            return self.measure()
        return self.tracker.latest

    def refresh(self, busy: bool) -> None:
        """After a change: measure if the pass moved on — at once when idle, throttled while busy (see above)."""
        if not self.settings.diagnostics or self._key == self._current_key():
            return
        if busy and (time.monotonic() - self._at < 1.0 / self.settings.diagnostics_rate or not self.share.paid):
            return
        try:
            self.measure()
        except Exception:  # diagnostics must never break the change they follow
            log.exception("measuring the diagnostics failed")
            self._key = self._current_key()  # not again until the state moves on

    def since(self, version: int) -> Update | None:
        """The latest measurement if it is newer than `version` (None when it is not, or when turned off). Its
        wire form is made once per measurement, and its cost counts as the measurement's (it is about half of it)."""
        latest = self.tracker.latest
        if not self.settings.diagnostics or latest is None or self.version == version:
            return None
        if self._update is None or self._update.version != self.version:
            started = time.thread_time()
            self._update = Update(
                self.version, diagnosing.frame(latest), diagnosing.flags(latest.flags), [f.key for f in latest.flags]
            )
            self.share.also(time.thread_time() - started)
        return self._update
