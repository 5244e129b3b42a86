"""One CPU for a server process's threads: the calling thread and the threads it starts after, the k-th CPU the
process may use for worker k (counting round), and not with several training threads. Each test pins a thread of
its own, which ends with the test: the test runner's own threads keep every CPU."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest

from app import affinity

CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
needs_affinity = pytest.mark.skipif(not CPUS, reason="no CPU affinity on this platform")


def in_a_thread(work: Callable[[], object]) -> object:
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join(30)
    return result[0]


@needs_affinity
def test_the_calling_thread_and_the_threads_it_starts_stay_on_one_cpu():
    def pin_then_start_one() -> tuple[int | None, set[int], set[int]]:
        cpu = affinity.pin_to_one_cpu(0)
        started: list[set[int]] = []
        child = threading.Thread(target=lambda: started.append(os.sched_getaffinity(0)))
        child.start()
        child.join(30)
        return cpu, os.sched_getaffinity(0), started[0]

    cpu, own, child = in_a_thread(pin_then_start_one)
    assert cpu == CPUS[0]
    assert own == {CPUS[0]} and child == {CPUS[0]}
    assert sorted(os.sched_getaffinity(0)) == CPUS, "only the calling thread was pinned, not the test runner"


@needs_affinity
def test_worker_k_takes_the_kth_cpu_counting_round():
    for index in (1, len(CPUS), len(CPUS) + 1):
        cpu = in_a_thread(lambda index=index: affinity.pin_to_one_cpu(index))
        assert cpu == CPUS[index % len(CPUS)]


def test_where_affinity_cannot_be_set_nothing_changes(monkeypatch):
    def refused(pid: int, cpus: set[int]) -> None:
        raise PermissionError("not allowed here")

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "sched_setaffinity", refused, raising=False)
    assert affinity.pin_to_one_cpu(0) is None


def test_only_one_training_thread_is_kept_on_one_cpu():
    assert affinity.wanted(pin_cpu=True, training_threads=1)
    assert not affinity.wanted(pin_cpu=True, training_threads=2)  # NumPy-heavy threads should spread
    assert not affinity.wanted(pin_cpu=False, training_threads=1)
