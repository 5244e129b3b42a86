"""What following a lesson costs a playing session: one check of each shipped do and goal condition, next to a
chunk of training of the same session, measured in one run.

Run:  .venv/bin/python bench/lessons_bench.py [--rounds R]

While a session plays or trains, the open do or goal step's condition is evaluated at most 4 times a second
(app/lessons/tracker.py CHECK_INTERVAL). For every do and goal step of every shipped lesson this builds the
step's session (the setup that governs it, and the solution's configure if it has one), then times, in
interleaved rounds, one evaluation of the condition (a fresh SessionQuantities, as the tracker makes) and one
chunk of 30 passes on the fast path (for scale). It prints the medians, and the share of a second of play at
max speed the checks take: 4 × one check. Compare the shares, not the absolute figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.lessons.loader import load_lessons  # noqa: E402
from app.lessons.models import ConfigureAction, DoStep, GoalStep, SetupStep  # noqa: E402
from app.lessons.tracker import CHECK_INTERVAL  # noqa: E402
from app.sessions import Session  # noqa: E402
from engine.lessons.conditions import evaluate, parse  # noqa: E402
from engine.lessons.quantities import VOCABULARY, SessionQuantities  # noqa: E402

CHUNK_PASSES = 30


def _no_uploads(dataset_id: str) -> None:
    raise AssertionError(dataset_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    settings = Settings(persist=False)
    catalog = load_lessons(settings=settings)
    print(f"{'lesson, step':44} {'condition':48} {'check ms':>9} {'30 passes ms':>13} {'share':>7}")
    shares = []
    for lesson in catalog.lessons.values():
        session = None
        for index, step in enumerate(lesson.steps):
            if isinstance(step, SetupStep):
                session = Session.create(step.session, settings, _no_uploads)
            if not isinstance(step, DoStep | GoalStep) or session is None:
                continue
            for action in step.solution:
                if isinstance(action, ConfigureAction):
                    session = Session.create(action.configure, settings, _no_uploads)
            parsed = parse(step.condition, VOCABULARY)
            provided = {"init": "xavier", "diverged": 0}
            checks, frames = [], []
            for _ in range(args.rounds):
                started = time.perf_counter()
                evaluate(parsed, SessionQuantities(session.stepper, provided))
                checks.append(time.perf_counter() - started)
                started = time.perf_counter()
                session.stepper.train(CHUNK_PASSES, track_metrics=True)
                frames.append(time.perf_counter() - started)
            check, frame = statistics.median(checks), statistics.median(frames)
            share = check / CHECK_INTERVAL  # seconds of checks per second of play
            shares.append(share)
            where = f"{lesson.id} [{index}]"
            print(f"{where:44} {step.condition[:48]:48} {check * 1e3:9.3f} {frame * 1e3:13.3f} {share:7.2%}")
    print(f"\nchecks take at most {max(shares):.2%} (median {statistics.median(shares):.2%}) of a second of play")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
