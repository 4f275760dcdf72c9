"""Pure rules: KPI colour, direction of travel, period formats, a series' assessment."""

from __future__ import annotations

from datetime import date

import pytest

from services.kpis import periods, signals
from services.kpis.models import Measurement
from services.kpis.schemas import Colour, Direction, Frequency, SignalRule, Unit
from services.kpis.service import (
    Standards,
    assess_series,
    check_period,
    check_value,
    direction_of_travel,
    kpi_colour,
)

B, G, A, R = Colour.blue, Colour.green, Colour.amber, Colour.red


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100.0, B),
        (95.0, B),  # target + tolerance: Blue
        (94.99, G),
        (90.0, G),  # on target: Green
        (89.99, A),
        (85.0, A),  # target - tolerance: still Amber
        (84.99, R),
        (0.0, R),
    ],
)
def test_colour_higher_is_better(value: float, expected: Colour) -> None:
    assert kpi_colour(value, target=90, tolerance=5, higher_is_better=True) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, B),
        (8.0, B),  # target - tolerance: Blue
        (8.01, G),
        (10.0, G),  # on target: Green
        (10.01, A),
        (12.0, A),  # target + tolerance: still Amber
        (12.01, R),
        (50.0, R),
    ],
)
def test_colour_lower_is_better(value: float, expected: Colour) -> None:
    assert kpi_colour(value, target=10, tolerance=2, higher_is_better=False) is expected


def test_colour_boundaries_survive_binary_floating_point() -> None:
    # 0.7 - 0.6 == 0.09999999999999998 in binary floating point; the boundary still holds.
    assert kpi_colour(0.7, target=0.6, tolerance=0.1, higher_is_better=True) is B
    assert kpi_colour(0.5, target=0.6, tolerance=0.1, higher_is_better=True) is A
    assert kpi_colour(0.5, target=0.6, tolerance=0.1, higher_is_better=False) is B
    assert kpi_colour(0.7, target=0.6, tolerance=0.1, higher_is_better=False) is A
    # Large £ values: exactly on the line is on the line.
    assert (
        kpi_colour(157_290_000, target=149_800_000, tolerance=7_490_000, higher_is_better=True) is B
    )
    assert (
        kpi_colour(142_310_000, target=149_800_000, tolerance=7_490_000, higher_is_better=True) is A
    )


def test_colour_without_target_or_tolerance() -> None:
    assert kpi_colour(50, target=None, tolerance=5, higher_is_better=True) is None
    assert kpi_colour(50, target=None, tolerance=None, higher_is_better=False) is None
    # No tolerance is a zero-width band: at or beyond the target Blue, short of it Red.
    assert kpi_colour(90, target=90, tolerance=None, higher_is_better=True) is B
    assert kpi_colour(89.9, target=90, tolerance=None, higher_is_better=True) is R
    assert kpi_colour(0, target=0, tolerance=0, higher_is_better=False) is B
    assert kpi_colour(0.1, target=0, tolerance=0, higher_is_better=False) is R


@pytest.mark.parametrize(
    ("value", "previous", "higher", "expected"),
    [
        (6, 5, True, Direction.improving),
        (4, 5, True, Direction.worsening),
        (5, 5, True, Direction.unchanged),
        (4, 5, False, Direction.improving),
        (6, 5, False, Direction.worsening),
        (5, 5, False, Direction.unchanged),
        (5, None, True, None),
        (5, None, False, None),
        (0.0, -0.0, True, Direction.unchanged),
    ],
)
def test_direction_of_travel(
    value: float, previous: float | None, higher: bool, expected: Direction | None
) -> None:
    assert direction_of_travel(value, previous, higher_is_better=higher) == expected


@pytest.mark.parametrize(
    ("text", "frequency", "start", "end"),
    [
        ("2024-07", Frequency.monthly, date(2024, 7, 1), date(2024, 7, 31)),
        ("2024-02", Frequency.monthly, date(2024, 2, 1), date(2024, 2, 29)),
        # Financial-year quarters, as the programmes service writes them: Q1 is April-June.
        ("2024/25 Q1", Frequency.quarterly, date(2024, 4, 1), date(2024, 6, 30)),
        ("2024/25 Q3", Frequency.quarterly, date(2024, 10, 1), date(2024, 12, 31)),
        ("2024/25 Q4", Frequency.quarterly, date(2025, 1, 1), date(2025, 3, 31)),
        ("2024/25", Frequency.annual, date(2024, 4, 1), date(2025, 3, 31)),
        ("2099/00", Frequency.annual, date(2099, 4, 1), date(2100, 3, 31)),
        ("2023", Frequency.survey, date(2023, 1, 1), date(2023, 12, 31)),
    ],
)
def test_periods_parse(text: str, frequency: Frequency, start: date, end: date) -> None:
    period = periods.parse(text, frequency)
    assert (period.text, period.start, period.end) == (text, start, end)
    assert periods.parse_any(text) == period


@pytest.mark.parametrize(
    ("text", "frequency"),
    [
        ("2024-Q2", Frequency.monthly),
        ("2024-13", Frequency.monthly),
        ("2024-7", Frequency.monthly),
        ("July 2024", Frequency.monthly),
        ("2024-07", Frequency.quarterly),
        ("2024/25 Q5", Frequency.quarterly),
        ("2024-Q1", Frequency.quarterly),
        ("2024/26 Q1", Frequency.quarterly),
        ("2024", Frequency.annual),
        ("2024/26", Frequency.annual),
        ("2024-25", Frequency.annual),
        ("2024/25", Frequency.survey),
        ("0999", Frequency.survey),
    ],
)
def test_periods_refuse_other_formats(text: str, frequency: Frequency) -> None:
    with pytest.raises(ValueError):
        periods.parse(text, frequency)


def test_parse_any_refuses_non_periods() -> None:
    with pytest.raises(ValueError, match="not a period"):
        periods.parse_any("last month")


STANDARDS = Standards(target=90.0, tolerance=5.0, higher_is_better=True)


def _m(id: int, period: str, value: float, revision: int = 1) -> Measurement:
    p = periods.parse(period, Frequency.monthly)
    return Measurement(
        id=id,
        kpi_id=1,
        period=period,
        period_start=p.start,
        period_end=p.end,
        value=value,
        revision=revision,
        pushed_by="t",
        idempotency_key=str(id),
    )


def test_assess_series_marks_current_revisions_and_compares_with_previous_period() -> None:
    rows = [
        _m(1, "2024-05", 80),
        _m(2, "2024-06", 85),
        _m(3, "2024-06", 92, revision=2),  # restated: the current June value
        _m(4, "2024-08", 91),  # July missing: August compares with June
    ]
    series = assess_series(STANDARDS, rows)
    assert [(a.measurement.id, a.current) for a in series] == [
        (4, True),
        (3, True),
        (2, False),
        (1, True),
    ]
    by_id = {a.measurement.id: a for a in series}
    previous = by_id[4].previous
    assert previous is not None
    assert (by_id[4].colour, by_id[4].direction, previous.id) == (G, Direction.worsening, 3)
    assert (by_id[3].colour, by_id[3].direction) == (G, Direction.improving)
    assert (by_id[2].colour, by_id[2].direction) == (A, Direction.improving)
    assert (by_id[1].colour, by_id[1].direction, by_id[1].previous) == (R, None, None)


def test_a_financial_year_target_rates_its_periods_and_others_keep_the_standing_one() -> None:
    standards = Standards(
        target=90.0, tolerance=5.0, higher_is_better=True, by_year={"2025/26": (95.0, 2.0)}
    )
    # March 2026 is in 2025/26 (April-March): 94 is short of 95 but within 2, Amber.
    assert standards.colour(94, date(2026, 3, 1)) is A
    # March 2025 is in 2024/25, which has no target of its own: 94 against 90 +/- 5 is Green.
    assert standards.colour(94, date(2025, 3, 1)) is G
    assert standards.for_period(date(2025, 4, 1)) == (95.0, 2.0)


def test_periods_follow_one_another_across_the_financial_year() -> None:
    q4 = periods.parse("2024/25 Q4", Frequency.quarterly)
    assert periods.following(q4).text == "2025/26 Q1"
    assert periods.containing(date(2025, 3, 31), Frequency.quarterly).text == "2024/25 Q4"
    assert periods.containing(date(2025, 4, 1), Frequency.annual).text == "2025/26"
    months = periods.between(date(2024, 11, 15), date(2025, 2, 27), Frequency.monthly)
    assert [p.text for p in months] == ["2024-11", "2024-12", "2025-01"]  # February not ended


@pytest.mark.parametrize(
    ("unit", "value", "sane"),
    [
        (Unit.percent, 100.0, True),
        (Unit.percent, 140.0, False),
        (Unit.percent, -0.1, False),
        (Unit.number, -1.0, False),
        (Unit.number, 0.0, True),
        (Unit.days, -2.0, False),
        (Unit.pounds, -5_000_000.0, True),  # an overspend is a negative variance
        (Unit.rate_per_1000, 1001.0, False),
    ],
)
def test_values_must_be_sane_for_their_unit(unit: Unit, value: float, sane: bool) -> None:
    assert (check_value(unit, value) is None) is sane


def test_a_period_that_has_not_begun_takes_no_value() -> None:
    today = date(2026, 12, 7)
    assert isinstance(check_period("2026-12", Frequency.monthly, today), periods.Period)
    assert "has not begun" in str(check_period("2027-01", Frequency.monthly, today))
    assert "has not begun" in str(check_period("2026/27 Q4", Frequency.quarterly, today))
    assert "financial-year quarter" in str(check_period("2026-Q4", Frequency.quarterly, today))


def test_improving_streak_counts_back_from_the_latest_period() -> None:
    assert signals.improving_for([5, 4, 6, 7, 8], higher_is_better=True) == 3
    assert signals.improving_for([5, 4, 6, 7, 8], higher_is_better=False) == 0
    assert signals.improving_for([9, 8, 7], higher_is_better=False) == 2
    assert signals.improving_for([7, 7], higher_is_better=True) == 0
    assert signals.improving_for([3], higher_is_better=True) == 0


def test_xmr_needs_enough_points() -> None:
    assert signals.xmr_limits([1.0] * (signals.MIN_POINTS - 1)) is None
    assert signals.xmr_signals([1.0] * (signals.MIN_POINTS - 1)) == []


def test_xmr_limits_are_wheelers() -> None:
    values = [10, 12, 11, 13, 12, 11, 10, 12, 13, 11]
    limits = signals.xmr_limits(values)
    assert limits is not None
    ranges = [2, 1, 2, 1, 1, 1, 2, 1, 2]
    assert limits.mean == pytest.approx(11.5)
    assert limits.moving_range_mean == pytest.approx(sum(ranges) / 9)
    assert limits.upper == pytest.approx(11.5 + 2.66 * sum(ranges) / 9)
    assert signals.xmr_signals(values, limits) == []  # a stable process signals nothing


def test_each_xmr_rule_fires_labelled_where_it_should() -> None:
    stable = [10, 12, 11, 13, 12, 11, 10, 12, 13, 11]
    spike = [f for f in signals.xmr_signals([*stable, 30]) if f.rule is SignalRule.beyond_limits]
    assert [f.index for f in spike] == [10]
    assert "above the upper" in spike[0].detail
    # A shift: eight points below the mean, then eight above it.
    shifted = [5, 5, 6, 5, 4, 5, 6, 5, 9, 8, 9, 8, 9, 8, 9, 8]
    runs = [f for f in signals.xmr_signals(shifted) if f.rule is SignalRule.run]
    assert [f.index for f in runs] == [7, 15]
    assert "below the mean" in runs[0].detail and "above the mean" in runs[1].detail
    # Six points in a row each falling.
    falling = [10, 11, 10, 11, 10, 11, 10, 9, 8, 7, 6, 5]
    trends = [f for f in signals.xmr_signals(falling) if f.rule is SignalRule.trend]
    assert [f.index for f in trends] == [10]  # 11, 10, 9, 8, 7, 6
    assert "falling" in trends[0].detail
