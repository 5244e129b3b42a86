"""Health flags from constructed measurements: each threshold on both sides, the sentences' numbers."""

from __future__ import annotations

import pytest

from engine.diagnostics import flags
from engine.diagnostics.stats import LayerStats, Measurement


def layer(
    number: int, grad_norm: float = 1.0, update_ratio: float | None = 1e-3, activation: str = "tanh", **kw
) -> LayerStats:
    fields = dict(units=10, weight_norm=1.0, dead_fraction=None, saturated_fraction=None, values={})
    fields.update(kw)
    return LayerStats(layer=number, activation=activation, grad_norm=grad_norm, update_ratio=update_ratio, **fields)


def at(*layers: LayerStats, loss: float = 0.5) -> Measurement:
    return Measurement(1, loss, list(layers))


def kinds(found: list[flags.Flag]) -> list[tuple[str, int | None]]:
    return [f.key for f in found]


def test_a_healthy_network_raises_no_flag():
    assert flags.health_flags(at(layer(1), layer(2), layer(3))) == []


def test_gradient_ratio_below_and_above_its_thresholds():
    assert kinds(flags.health_flags(at(layer(1, 0.9e-3), layer(2, 1.0)))) == [("vanishing", None)]
    assert kinds(flags.health_flags(at(layer(1, 1.1e-3), layer(2, 1.0)))) == []
    exploding = flags.health_flags(at(layer(1, 2e3), layer(2, 1.0)))
    assert kinds(exploding) == [("exploding", None)] and exploding[0].value == 2e3
    assert "2 × 10³ times layer 2's" in exploding[0].message


def test_a_gradient_norm_growing_a_hundredfold_between_measurements_explodes():
    before = at(layer(1), layer(2, 1.0))
    found = flags.health_flags(at(layer(1), layer(2, 150.0)), [before])
    assert ("exploding", 2) in kinds(found)
    assert "grew 150-fold" in next(f for f in found if f.key == ("exploding", 2)).message
    assert ("exploding", 2) not in kinds(flags.health_flags(at(layer(1), layer(2, 50.0)), [before]))


def test_dead_units_from_a_fifth_of_a_layer_and_saturation_from_half_of_a_hidden_one():
    m = at(
        layer(1, activation="relu", dead_fraction=0.2),
        layer(2, activation="relu", dead_fraction=0.1),
        layer(3, activation="sigmoid", saturated_fraction=1.0),
    )
    assert kinds(flags.health_flags(m)) == [("dead_units", 1)]
    m = at(layer(1, activation="sigmoid", saturated_fraction=0.5), layer(2, activation="sigmoid"))
    found = flags.health_flags(m)
    assert kinds(found) == [("saturated", 1)] and found[0].lesson == "03-vanishing-gradients"
    assert found[0].message.startswith("50% of layer 1's sigmoid units are saturated")


def test_update_ratios_outside_the_band_in_each_of_the_last_measurements_are_flagged_per_layer():
    def m(first: float | None, second: float | None) -> Measurement:
        return at(layer(1, update_ratio=first), layer(2, update_ratio=second), layer(3, update_ratio=None))

    found = flags.health_flags(m(0.2, 0.5e-6), [m(0.3, 1e-7), m(0.15, 2e-7)])
    assert kinds(found) == [("update_too_large", 1), ("update_too_small", 2)]
    assert found[0].threshold == flags.UPDATE_TOO_LARGE and found[1].threshold == flags.UPDATE_TOO_SMALL
    assert "0.2 of its weights" in found[0].message and "5 × 10⁻⁷" in found[1].message
    assert flags.health_flags(m(0.2, 0.5e-6), [m(0.3, 1e-7)]) == []  # two measurements: not yet
    assert flags.health_flags(m(0.2, 0.5e-6), [m(0.3, 1e-7), m(0.05, 1e-3)]) == []  # one was in the band
    assert flags.health_flags(m(0.2, 0.5e-6), [m(None, None), m(0.3, 1e-7)]) == []  # before any update


def test_diverging_needs_a_rise_at_each_of_the_last_measurements_and_ten_percent_in_all():
    def check(losses: list[float]) -> list[flags.Flag]:
        *before, now = [at(layer(1), layer(2), loss=loss) for loss in losses]
        return flags.health_flags(now, before)

    assert kinds(check([1.0, 1.1, 1.2, 1.3, 1.4])) == [("diverging", None)]
    assert check([1.0, 1.1, 1.0, 1.3, 1.4]) == []  # not at each measurement
    assert check([1.0, 1.01, 1.02, 1.03, 1.04]) == []  # 4% in all: noise
    assert check([1.1, 1.2, 1.3, 1.4]) == []  # too few measurements
    found = check([3.0, 0.5, 1.0, 2.0, 4.0, 8.0])
    assert found[0].value == pytest.approx(16.0) and "(0.5 → 8)" in found[0].message


@pytest.mark.parametrize(
    ("x", "text"),
    [(0.25, "0.25"), (3.1e-5, "3.1 × 10⁻⁵"), (1e-5, "10⁻⁵"), (2400.0, "2.4 × 10³"), (float("inf"), "∞"), (0.0, "0")],
)
def test_numbers_read_as_a_person_writes_them(x, text):
    assert flags.readable(x) == text
