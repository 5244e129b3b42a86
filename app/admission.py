"""Admission caps counted in the event loop: how many sessions may play at once (BACKPROP_VIZ_MAX_CONCURRENT_PLAYS),
as the job runner's semaphore caps background jobs. A cap decides who may start; fairness between those running
is the scheduler's business, not this."""

from __future__ import annotations

from app.errors import TooMany


class Slots:
    """Up to `capacity` holders at once; `take` refuses the next one with a TooMany naming `setting`. Used from the
    event loop only (no lock)."""

    def __init__(self, capacity: int, what: str, setting: str) -> None:
        self.capacity = capacity
        self.what = what
        self.setting = setting
        self._holders: set[object] = set()

    def take(self, holder: object) -> None:
        """Count `holder` in (again is harmless); TooMany when the cap is reached."""
        if holder in self._holders:
            return
        if len(self._holders) >= self.capacity:
            raise TooMany(
                f"{len(self._holders)} {self.what} already, the most this server allows ({self.setting}); "
                "pause one, or try again in a moment"
            )
        self._holders.add(holder)

    def give(self, holder: object) -> None:
        self._holders.discard(holder)

    def __len__(self) -> int:
        return len(self._holders)
