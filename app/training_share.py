"""A costly extra of a busy session — a play frame's decision boundary, a measurement of its layer statistics — paid
by the session's own training: it is due again only once the session has trained `ratio` times as long as the
extra last took. One session alone trains most of the time and is held back by its wall-clock rates instead; thirty
sessions sharing the training threads each train a thirtieth of the time, so each pays for its extras about a
thirtieth as often, and the server's throughput stays close to one session's (issue 11)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainingShare:
    """Seconds the extra last took (`cost`), and seconds trained since (`trained`); CPU time of the thread."""

    ratio: float
    cost: float = 0.0
    trained: float = 0.0

    def earn(self, seconds: float) -> None:
        """The session trained for `seconds`."""
        self.trained += seconds

    @property
    def paid(self) -> bool:
        """Whether the training since the extra last ran pays for it again."""
        return self.trained >= self.ratio * self.cost

    def spent(self, seconds: float) -> None:
        """The extra ran now and took `seconds`: the count starts again."""
        self.cost, self.trained = seconds, 0.0

    def also(self, seconds: float) -> None:
        """The extra that last ran took `seconds` more, in a part done later (its conversion for the wire)."""
        self.cost += seconds
