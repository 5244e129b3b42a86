"""The training scheduler alone, driven without threads on a fake clock (no timing asserts): slices go round-robin
so every runnable task gets the same share; a task paced to a later time waits off the queue and never runs early;
a woken task (a pause, a cancel) goes first; no slice starts while interactive work is marked, for at most
max_yield at a time; a finished or failing task leaves the rotation."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from app.scheduler import Scheduler


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeTask:
    """Runs `slices` slices of `cost` fake seconds each; `period` > 0 asks to run again that long after a slice
    began (a finite play speed), else at once."""

    name: str
    clock: FakeClock
    slices: int = 1_000
    cost: float = 0.01
    period: float = 0.0
    ran: list[float] = field(default_factory=list)
    fail_at: int | None = None

    def run_slice(self) -> float | None:
        started = self.clock.now
        self.ran.append(started)
        if len(self.ran) == self.fail_at:
            raise RuntimeError("a task's failure")
        self.clock.now += self.cost
        if len(self.ran) >= self.slices:
            return None
        return started + self.period if self.period else self.clock.now


def make() -> tuple[Scheduler, FakeClock]:
    clock = FakeClock()
    return Scheduler(0, clock=clock, sleep=clock.sleep, max_yield=0.05), clock


def run(scheduler: Scheduler, count: int) -> list[str | None]:
    return [scheduler.run_next() for _ in range(count)]


def test_slices_go_round_robin_and_every_task_gets_the_same_share():
    scheduler, clock = make()
    tasks = [FakeTask(name, clock, cost=cost) for name, cost in (("a", 0.01), ("b", 0.002), ("c", 0.03))]
    for task in tasks:
        scheduler.add(task)
    order = run(scheduler, 30)
    assert order[:6] == ["a", "b", "c", "a", "b", "c"]
    assert Counter(order) == {"a": 10, "b": 10, "c": 10}  # the same number of turns, however costly a slice


def test_a_task_added_later_joins_at_the_back_and_a_finished_one_leaves():
    scheduler, clock = make()
    scheduler.add(FakeTask("a", clock))
    scheduler.add(FakeTask("short", clock, slices=2))
    assert run(scheduler, 3) == ["a", "short", "a"]
    scheduler.add(FakeTask("late", clock))
    assert run(scheduler, 5) == ["short", "a", "late", "a", "late"]  # "short" ended after its 2nd slice
    assert len(scheduler) == 2


def test_a_paced_task_waits_off_the_queue_and_never_runs_early():
    scheduler, clock = make()
    paced = FakeTask("paced", clock, period=0.1, cost=0.001)
    busy = FakeTask("busy", clock, cost=0.01)
    scheduler.add(paced)
    scheduler.add(busy)
    run(scheduler, 200)
    gaps = [b - a for a, b in zip(paced.ran, paced.ran[1:], strict=False)]
    assert gaps and min(gaps) >= 0.1 - 1e-9  # never before its time
    assert max(gaps) <= 0.1 + busy.cost + 1e-9  # and late by at most the slice in progress
    assert len(busy.ran) > 8 * len(paced.ran)  # the busy one has the rest


def test_an_idle_scheduler_sleeps_until_the_next_paced_task_is_due():
    scheduler, clock = make()
    paced = FakeTask("paced", clock, period=0.5, cost=0.0, slices=4)
    scheduler.add(paced)
    assert run(scheduler, 4) == ["paced"] * 4
    assert paced.ran == [0.0, 0.5, 1.0, 1.5]
    assert scheduler.run_next() is None and len(scheduler) == 0


def test_a_woken_task_goes_first_even_while_sleeping():
    scheduler, clock = make()
    tasks = {name: FakeTask(name, clock) for name in "abc"}
    tasks["sleepy"] = FakeTask("sleepy", clock, period=100.0)
    for task in tasks.values():
        scheduler.add(task)
    assert run(scheduler, 4) == ["a", "b", "c", "sleepy"]  # now asleep for 100 s
    scheduler.wake(tasks["sleepy"])
    assert run(scheduler, 2) == ["sleepy", "a"]
    scheduler.wake(tasks["c"])  # a queued task jumps the queue
    assert run(scheduler, 2) == ["c", "b"]


def test_no_slice_starts_during_interactive_work_until_max_yield_has_passed():
    scheduler, clock = make()
    task = FakeTask("play", clock)
    scheduler.add(task)
    with scheduler.interactive():
        assert scheduler.run_next() is None  # held back: the interactive work goes first
        clock.now += 0.02
        assert scheduler.run_next() is None
        clock.now += 0.05  # held back for longer than max_yield: one slice runs anyway (no starvation)
        assert scheduler.run_next() == "play"
        assert scheduler.run_next() is None  # and it holds back again
    assert scheduler.interactive_pending == 0
    assert scheduler.run_next() == "play"


def test_a_failing_task_leaves_the_rotation_and_the_others_go_on():
    scheduler, clock = make()
    scheduler.add(FakeTask("bad", clock, fail_at=2))
    scheduler.add(FakeTask("good", clock))
    assert run(scheduler, 5) == ["bad", "good", "bad", "good", "good"]
    assert len(scheduler) == 1


def test_with_threads_every_task_runs_and_a_wake_reaches_a_running_task():
    scheduler = Scheduler(2)
    done = threading.Event()
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    @dataclass
    class Counting:
        name: str
        limit: int

        def run_slice(self) -> float | None:
            with lock:
                counts[self.name] += 1
                if all(counts[n] >= 50 for n in "xyz"):
                    done.set()
            return None if counts[self.name] >= self.limit else 0.0

    for name in "xyz":
        scheduler.add(Counting(name, 50))
    assert done.wait(30)
    scheduler.close()
    assert counts == {"x": 50, "y": 50, "z": 50}


def test_rest_reads_and_small_bodies_are_interactive_uploads_are_not():
    import asyncio

    from app.scheduler import InteractiveRequests

    scheduler = Scheduler(0)
    seen: list[int] = []

    async def app(scope, receive, send):
        seen.append(scheduler.interactive_pending)

    middleware = InteractiveRequests(app, scheduler)

    def call(method: str, path: str = "/api/sessions/x", length: int | None = None) -> int:
        headers = [] if length is None else [(b"content-length", str(length).encode())]
        scope = {"type": "http", "method": method, "path": path, "headers": headers}
        asyncio.run(middleware(scope, None, None))
        return seen[-1]

    assert call("GET") == 1
    assert call("POST", "/api/sessions/x/step", 40) == 1
    assert call("POST", "/api/datasets", 50_000_000) == 0  # an upload streams for seconds: not interactive
    assert call("POST", "/api/datasets") == 0  # chunked: no declared length
    assert call("GET", "/static/js/main.js") == 0  # the page's files are not the session's
    assert scheduler.interactive_pending == 0
