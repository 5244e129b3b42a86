"""The bounded loss log: a series thins itself out past its bound (every other point, by x), drops what lies past
a point it went back to, and counts those rewrites so that a copy of its first points can tell it is still good."""

from __future__ import annotations

from engine.metrics import Series


def test_a_series_past_its_bound_keeps_every_other_point_and_then_only_points_on_its_stride():
    series = Series(max_points=8)
    for x in range(1, 10):
        series.append(x, x / 10)
    assert series.stride == 2 and series.x == [2, 4, 6, 8] and series.y == [0.2, 0.4, 0.6, 0.8]
    assert series.append(11, 1.1) is False and series.append(12, 1.2) is True
    assert series.x[-1] == 12


def test_going_back_drops_the_points_after_it():
    series = Series()
    for x in range(1, 6):
        series.append(x, float(x))
    series.truncate_after(3)
    assert series.x == [1, 2, 3] and series.y == [1.0, 2.0, 3.0]


def test_only_dropping_points_counts_as_a_rewrite():
    series = Series(max_points=4)
    for x in range(1, 5):
        series.append(x, 0.0)
    series.truncate_after(10)  # nothing past 10: the series is as it was
    assert series.rewrites == 0
    series.truncate_after(3)
    assert series.rewrites == 1 and len(series) == 3
    for x in range(4, 6):
        series.append(x, 0.0)  # 5 points > 4: thinned
    assert series.rewrites == 2 and series.x == [2, 4]
