"""The bounded loss log: a series thins itself out past its bound (every other point, by x), drops what lies past
a point it went back to, and keeps what a copy of its first points needs to tell whether it is still good: how often it
was thinned, and the fewest points it held since a mark."""

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


def test_a_mark_remembers_how_far_the_series_was_cut_and_thinning_counts_apart():
    series = Series(max_points=4)
    for x in range(1, 5):
        series.append(x, 0.0)
    series.mark()
    assert series.low_water == 4
    series.truncate_after(10)  # nothing past 10: the series is as it was
    assert series.low_water == 4
    series.truncate_after(2)
    series.append(3, 1.0)
    series.truncate_after(3)
    assert series.low_water == 2 and len(series) == 3  # regrown, but its first 2 points only are the marked ones
    series.mark()
    assert series.low_water == 3 and series.thinnings == 0
    for x in range(4, 6):
        series.append(x, 0.0)  # 5 points > 4: thinned, every point another one
    assert series.thinnings == 1 and series.low_water == 0 and series.x == [2, 4]
