"""Bins fixed from the first values and widened, with earlier counts re-binned exactly."""

from __future__ import annotations

import numpy as np
import pytest

from engine.diagnostics.histograms import INITIAL_BINS, MAX_BINS, BinnedHistory


def test_the_first_values_set_the_bins_and_every_finite_value_is_counted():
    values = np.array([-1.0, -0.5, 0.0, 0.25, 2.0, np.nan, np.inf])
    track = BinnedHistory(values)
    counts = track.record(values)
    assert track.bins == INITIAL_BINS and track.edges[0] == -1.0 and track.edges[-1] == 2.0
    assert counts.sum() == 5 and counts[0] == 1 and counts[-1] == 1  # the top edge falls in the last bin


def test_values_beyond_the_edges_add_bins_of_the_same_width_and_keep_the_old_edges():
    first = np.linspace(0, 1, 101)
    track = BinnedHistory(first)
    counts = track.record(first).copy()
    old_edges, width = track.edges.copy(), track.width
    track.record(np.array([-0.1, 1.25]))
    assert track.width == width
    assert track.edges[0] <= -0.1 and track.edges[-1] >= 1.25
    left = round((old_edges[0] - track.edges[0]) / width)
    right = track.bins - INITIAL_BINS - left
    assert left == 3 and right == 8  # ceil(0.1 / (1/30)) bins below, ceil(0.25 / (1/30)) above
    np.testing.assert_allclose(track.edges[left : left + INITIAL_BINS + 1], old_edges, rtol=0, atol=1e-12)
    assert np.array_equal(track.rows[0], np.pad(counts, (left, right)))  # re-binned: the same counts, in place
    assert track.rows[1].sum() == 2 and track.rows[1][0] == 1 and track.rows[1][-1] == 1


def test_past_the_bin_cap_pairs_merge_and_earlier_rows_stay_exact():
    rng = np.random.default_rng(0)
    first = rng.normal(size=500)
    track = BinnedHistory(first)
    track.record(first)
    track.record(first * 1_000)  # far outside: many doublings
    assert track.bins <= MAX_BINS and track.edges[0] <= (first * 1_000).min() and track.edges[-1] >= first.max() * 1e3
    assert all(len(row) == track.bins for row in track.rows)
    assert track.rows[0].sum() == 500 and track.rows[1].sum() == 500
    index = np.clip(np.floor((first - track.low) / track.width).astype(int), 0, track.bins - 1)
    assert np.array_equal(track.rows[0], np.bincount(index, minlength=track.bins))


def test_constant_values_get_a_narrow_range_around_them():
    track = BinnedHistory(np.zeros(10))
    assert track.edges[0] < 0 < track.edges[-1] and track.record(np.zeros(10)).sum() == 10


def test_keep_selects_the_rows_of_the_kept_entries():
    track = BinnedHistory(np.arange(3.0))
    for k in range(4):
        track.record(np.full(k + 1, 1.0))
    track.keep([0, 2])
    assert [int(r.sum()) for r in track.rows] == [1, 3]


def _floored(history: BinnedHistory, values: np.ndarray) -> np.ndarray:
    """The counts by the definition: finite values, bin floor((v − low) / width), clipped to the bins."""
    finite = values[np.isfinite(values)]
    index = np.clip(np.floor((finite - history.low) / history.width).astype(np.int64), 0, history.bins - 1)
    return np.bincount(index, minlength=history.bins)


@pytest.mark.parametrize("seed", range(5))
def test_counts_are_the_floored_bins_of_the_finite_values(seed):
    rng = np.random.default_rng(seed)
    history = BinnedHistory(rng.normal(size=50))
    for scale in (0.5, 1.0, 3.0, 10.0):
        values = rng.normal(scale=scale, size=(16, 8))
        values.flat[:4] = [np.nan, np.inf, -np.inf, history.low]  # non-finite ones and one on the low edge
        values.flat[4] = history.high  # and one on the top edge
        counts = history.counts(values)  # may widen the bins first
        assert counts.tolist() == _floored(history, values).tolist()
        assert counts.sum() == np.isfinite(values).sum()


def test_only_non_finite_or_no_values_count_nothing():
    history = BinnedHistory(np.array([0.0, 1.0]))
    bins = history.bins
    assert history.counts(np.array([np.nan, np.inf])).tolist() == [0] * bins
    assert history.counts(np.array([])).tolist() == [0] * bins
    assert history.bins == bins
