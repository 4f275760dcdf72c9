"""The milestone rules as pure functions: slippage, overdue, completion, baseline."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.errors import FieldError
from services.programmes.milestones.service import (
    Progress,
    check_actual,
    due_date,
    financial_year_of,
    is_overdue,
    parse_baseline,
    parse_timescale,
    settle_completion,
    slippage_days,
)
from services.programmes.timescales import Precision

TODAY = date(2025, 1, 15)


def test_slippage_is_forecast_minus_baseline_end() -> None:
    assert slippage_days(date(2025, 2, 28), date(2025, 3, 31)) == 31
    assert slippage_days(date(2025, 2, 28), date(2025, 2, 20)) == -8
    assert slippage_days(date(2025, 2, 28), date(2025, 2, 28)) == 0
    assert slippage_days(None, date(2025, 3, 31)) is None
    assert slippage_days(date(2025, 2, 28), None) is None


def test_due_is_the_forecast_else_the_baseline_end() -> None:
    assert due_date(date(2025, 2, 28), date(2025, 3, 31)) == date(2025, 3, 31)
    assert due_date(date(2025, 2, 28), None) == date(2025, 2, 28)
    assert due_date(None, None) is None


@pytest.mark.parametrize(
    ("status", "end", "forecast", "expected"),
    [
        ("On track", date(2025, 1, 14), None, True),  # baseline end passed
        ("On track", date(2025, 1, 15), None, False),  # due today is not yet overdue
        ("On track", date(2025, 1, 14), date(2025, 2, 1), False),  # the forecast moved it
        ("At risk", date(2025, 3, 1), date(2025, 1, 10), True),  # the forecast has passed
        ("Completed", date(2024, 12, 1), None, False),  # done is never overdue
        ("In progress", None, None, False),  # "TBC": nothing to be late against
        ("Not started", None, date(2025, 1, 1), True),
    ],
)
def test_overdue(status: str, end: date | None, forecast: date | None, expected: bool) -> None:
    assert is_overdue(status, end, forecast, today=TODAY) is expected


def test_completion_defaults_percent_and_actual_date() -> None:
    settled = settle_completion(Progress("Completed", 60, None), {"status"}, today=TODAY)
    assert settled == Progress("Completed", 100, TODAY)
    kept = settle_completion(
        Progress("Completed", 100, date(2025, 1, 2)), {"status", "actual_date"}, today=TODAY
    )
    assert kept.actual_date == date(2025, 1, 2)


def test_completion_refuses_less_than_100_percent_sent() -> None:
    with pytest.raises(FieldError) as caught:
        settle_completion(
            Progress("Completed", 90, None), {"status", "percent_complete"}, today=TODAY
        )
    assert caught.value.errors[0]["field"] == "percent_complete"


def test_completion_refuses_an_actual_date_cleared() -> None:
    with pytest.raises(FieldError) as caught:
        settle_completion(Progress("Completed", 100, None), {"actual_date"}, today=TODAY)
    assert caught.value.errors[0]["field"] == "actual_date"


def test_other_statuses_are_left_alone() -> None:
    progress = Progress("In progress", 40, None)
    assert settle_completion(progress, {"status", "percent_complete"}, today=TODAY) == progress


def test_actual_may_not_precede_the_baseline_start() -> None:
    check_actual(date(2024, 4, 1), date(2024, 4, 1))
    check_actual(None, date(2024, 4, 1))
    check_actual(date(2020, 1, 1), None)
    with pytest.raises(FieldError) as caught:
        check_actual(date(2024, 3, 31), date(2024, 4, 1))
    assert caught.value.errors[0]["field"] == "actual_date"


def test_financial_year() -> None:
    assert financial_year_of(date(2024, 4, 1)) == 2024
    assert financial_year_of(date(2025, 3, 31)) == 2024


def test_baseline_keeps_text_and_anchors_bare_quarters() -> None:
    baseline = parse_baseline("Apr-24", "Q3")
    assert baseline.start.text == "Apr-24" and baseline.end.text == "Q3"
    assert (baseline.end.start, baseline.end.end) == (date(2024, 10, 1), date(2024, 12, 31))
    assert baseline.end.precision is Precision.quarter
    open_ended = parse_baseline("Q1", "TBC")
    assert open_ended.start.start is None and open_ended.end.precision is Precision.unknown


def test_baseline_refuses_an_end_before_the_start() -> None:
    with pytest.raises(FieldError) as caught:
        parse_baseline("Mar 2025", "Jan 2025")
    assert caught.value.errors[0]["field"] == "end_text"


def test_the_plans_financial_year_places_bare_quarters() -> None:
    both = parse_baseline("Q1", "Q2", financial_year_start=2015)
    assert (both.start.start, both.end.end) == (date(2015, 4, 1), date(2015, 9, 30))
    # the other end's year, when it has one, comes before the plan's
    later = parse_baseline("Jan 2017", "Q4", financial_year_start=2015)
    assert (later.end.start, later.end.end) == (date(2017, 1, 1), date(2017, 3, 31))
    # open timescales stay open whatever the year
    assert parse_timescale("TBC", financial_year_start=2015).precision is Precision.unknown
    assert parse_timescale("Ongoing", financial_year_start=2015).start is None
    assert parse_timescale("Q4", financial_year_start=2015).end == date(2016, 3, 31)
    assert parse_timescale("Q4").end is None
