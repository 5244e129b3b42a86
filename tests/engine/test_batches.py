"""Mini-batches: one shuffled sweep per epoch, reproducible from a seed, and restorable to the same batches."""

from __future__ import annotations

import numpy as np
import pytest

from engine.batches import BatchSampler


def _sampler(n: int = 10, batch_size: int = 3, seed: int = 0) -> BatchSampler:
    X = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    Y = np.arange(n, dtype=np.float64).reshape(n, 1)
    return BatchSampler(X, Y, batch_size, seed)


def _draw(sampler: BatchSampler, count: int) -> list[np.ndarray]:
    return [sampler.next_batch()[0].copy() for _ in range(count)]


def test_full_batch_is_the_whole_set_in_order_every_pass() -> None:
    sampler = _sampler(batch_size=10)
    for epoch in range(3):
        indices, X, Y = sampler.next_batch()
        np.testing.assert_array_equal(indices, np.arange(10))
        np.testing.assert_array_equal(X, sampler.X)
        np.testing.assert_array_equal(Y, sampler.Y)
        assert sampler.epoch == epoch + 1 and sampler.cursor == 0
    assert sampler.full_batch and sampler.passes_per_epoch == 1


def test_batch_size_larger_than_the_set_is_clipped_to_a_full_batch() -> None:
    sampler = _sampler(batch_size=50)
    assert sampler.batch_size == 10 and sampler.full_batch


def test_an_epoch_of_mini_batches_covers_every_sample_once() -> None:
    sampler = _sampler(n=10, batch_size=3)
    batches = []
    for _ in range(4):
        indices, X, Y = sampler.next_batch()
        np.testing.assert_array_equal(X, sampler.X[indices])
        np.testing.assert_array_equal(Y, sampler.Y[indices])
        batches.append(indices.copy())
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert sampler.epoch == 1 and sampler.cursor == 0
    assert sampler.passes_per_epoch == 4
    assert not np.array_equal(np.concatenate(batches), np.arange(10))  # shuffled


def test_each_epoch_draws_a_new_order() -> None:
    sampler = _sampler(n=10, batch_size=5)
    first = np.concatenate(_draw(sampler, 2))
    second = np.concatenate(_draw(sampler, 2))
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(10))
    assert not np.array_equal(first, second)


def test_the_same_seed_gives_the_same_batches() -> None:
    a = _draw(_sampler(seed=5), 9)
    b = _draw(_sampler(seed=5), 9)
    c = _draw(_sampler(seed=6), 9)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_restoring_a_snapshot_mid_epoch_replays_the_same_batches() -> None:
    sampler = _sampler(n=10, batch_size=3)
    _draw(sampler, 2)
    snap = sampler.snapshot()
    assert (snap.epoch, snap.cursor) == (0, 6)
    ahead = [sampler.next_batch() for _ in range(6)]  # crosses into the next epoch
    sampler.restore(snap)
    assert (sampler.epoch, sampler.cursor) == (0, 6)
    again = [sampler.next_batch() for _ in range(6)]
    for (i1, x1, y1), (i2, x2, y2) in zip(ahead, again, strict=True):
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)


def test_restoring_a_snapshot_from_an_earlier_epoch_restores_its_order() -> None:
    sampler = _sampler(n=10, batch_size=4)
    sampler.next_batch()
    snap = sampler.snapshot()
    order = sampler.order.copy()
    _draw(sampler, 5)
    assert not np.array_equal(sampler.order, order)
    sampler.restore(snap)
    np.testing.assert_array_equal(sampler.order, order)
    indices, X, _ = sampler.next_batch()
    np.testing.assert_array_equal(indices, order[4:8])
    np.testing.assert_array_equal(X, sampler.X[order[4:8]])


def test_a_snapshot_is_not_changed_by_later_draws() -> None:
    sampler = _sampler()
    sampler.next_batch()
    snap = sampler.snapshot()
    order, rng_state = snap.order.copy(), repr(snap.rng_state)
    _draw(sampler, 12)
    np.testing.assert_array_equal(snap.order, order)
    assert repr(snap.rng_state) == rng_state
    assert (snap.epoch, snap.cursor) == (0, 3)


def test_changing_the_batch_size_mid_epoch_keeps_the_order() -> None:
    sampler = _sampler(n=10, batch_size=2)
    sampler.next_batch()
    order = sampler.order.copy()
    sampler.set_batch_size(5)
    indices, _, _ = sampler.next_batch()
    np.testing.assert_array_equal(indices, order[2:7])
    indices, _, _ = sampler.next_batch()
    np.testing.assert_array_equal(indices, order[7:10])
    assert sampler.epoch == 1


def test_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        _sampler(batch_size=0)
    sampler = _sampler()
    with pytest.raises(ValueError, match="batch_size must be at least 1, got -3"):
        sampler.set_batch_size(-3)


def test_an_empty_training_set_is_refused() -> None:
    with pytest.raises(ValueError, match="the training set is empty"):
        BatchSampler(np.empty((0, 2)), np.empty((0, 1)), 4)
