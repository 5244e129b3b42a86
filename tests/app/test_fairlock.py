"""The session lock is reentrant and fair: a thread waiting for it gets it even when the holder retakes it at
once in a tight loop (what play mode and training jobs do)."""

from __future__ import annotations

import threading
import time

from app.fairlock import FairRLock


def test_reentrant_in_one_thread():
    lock = FairRLock()
    with lock, lock:
        assert lock.held_by_me()
    assert not lock.held_by_me()


def test_release_by_another_thread_is_refused():
    lock = FairRLock()
    lock.acquire()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            lock.release()
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert len(errors) == 1
    lock.release()


def test_non_blocking_and_timeout_fail_while_held_elsewhere():
    lock = FairRLock()
    taken = threading.Event()
    done = threading.Event()

    def holder() -> None:
        with lock:
            taken.set()
            done.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    taken.wait(5)
    assert lock.acquire(blocking=False) is False
    assert lock.acquire(timeout=0.05) is False
    done.set()
    thread.join()
    assert lock.acquire(timeout=1) is True  # a timed-out waiter left the queue: the lock is free again
    lock.release()


def test_a_waiter_gets_in_between_two_holds_of_a_busy_loop():
    rounds = 20
    lock = FairRLock()
    stop = threading.Event()
    holds = 0

    def busy() -> None:  # like a training job: hold for a chunk, retake at once
        nonlocal holds
        while not stop.is_set():
            with lock:
                holds += 1
                time.sleep(0.002)

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        for _ in range(rounds):
            before = holds
            assert lock.acquire(timeout=5), "the waiter starved"
            lock.release()
            # Fair hand-off: the waiter got in within a couple of the loop's holds, not after many.
            assert holds - before <= 2
    finally:
        stop.set()
        thread.join()


def test_an_inner_release_keeps_the_lock_from_a_waiter():
    """Reentrant holds are the owner's own: only the outermost release hands the lock to the thread waiting."""
    lock = FairRLock()
    got_it = threading.Event()
    lock.acquire()
    lock.acquire()

    def waiter() -> None:
        with lock:
            got_it.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    while not lock._queue:  # the waiter is in line
        time.sleep(0.001)
    lock.release()  # the inner hold
    assert lock.held_by_me() and not got_it.wait(0.05)
    lock.release()  # the outer one
    assert got_it.wait(5)
    thread.join()
    assert not lock.held_by_me()


def test_an_inner_release_by_another_thread_is_refused_too():
    lock = FairRLock()
    lock.acquire()
    lock.acquire()
    errors: list[BaseException] = []
    thread = threading.Thread(target=lambda: _release_into(lock, errors))
    thread.start()
    thread.join()
    assert len(errors) == 1 and lock.held_by_me()
    lock.release()
    lock.release()
    assert not lock.held_by_me()


def _release_into(lock: FairRLock, errors: list[BaseException]) -> None:
    try:
        lock.release()
    except RuntimeError as exc:
        errors.append(exc)
