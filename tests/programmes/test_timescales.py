"""How plans write dates: every timescale in the 2024 plan's seed, plus the 2015 forms."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.programmes.timescales import (
    BadRecurrence,
    Precision,
    Unit,
    UnknownRecurrenceUnit,
    parse,
    recurrence,
)
from services.stack import ROOT

SEED = json.loads((ROOT / "services/programmes/seed_data/irp_2024.json").read_text())
SEED_TEXTS = sorted(
    {
        text
        for programme in SEED["programmes"]
        for activity in programme["key_activities"]
        for text in (activity["start"], activity["end"])
        if text
    }
)


@pytest.mark.parametrize("text", SEED_TEXTS)
def test_every_seed_timescale_parses_or_is_knowingly_open(text: str) -> None:
    result = parse(text)
    assert result.text == text
    if result.precision in (Precision.month, Precision.day, Precision.season, Precision.year):
        assert result.start is not None and result.end is not None and result.start <= result.end
    else:
        assert result.start is None and result.end is None
    # Only texts that name no date may come back without one.
    if any(ch.isdigit() for ch in text) and result.start is None:
        assert result.precision in (Precision.recurring, Precision.unknown), text


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("Mar-15", date(2015, 3, 1), date(2015, 3, 31), Precision.month),
        ("Feb 2024", date(2024, 2, 1), date(2024, 2, 29), Precision.month),
        ("April 2024", date(2024, 4, 1), date(2024, 4, 30), Precision.month),
        ("Dec 2032", date(2032, 12, 1), date(2032, 12, 31), Precision.month),
        ("Spring 15", date(2015, 3, 1), date(2015, 5, 31), Precision.season),
        ("Summer 15", date(2015, 6, 1), date(2015, 8, 31), Precision.season),
        ("Autumn 15", date(2015, 9, 1), date(2015, 11, 30), Precision.season),
        ("Winter 15", date(2015, 12, 1), date(2016, 2, 29), Precision.season),
        ("2024/25", date(2024, 4, 1), date(2025, 3, 31), Precision.year),
        ("31/03/2024", date(2024, 3, 31), date(2024, 3, 31), Precision.day),
        ("TBC", None, None, Precision.unknown),
        ("Ongoing", None, None, Precision.ongoing),
        ("Every 6 weeks", None, None, Precision.recurring),
        ("Every 6 months", None, None, Precision.recurring),
        ("Monthly", None, None, Precision.recurring),
        ("6 monthly", None, None, Precision.recurring),
        ("Review annually", None, None, Precision.recurring),
        ("Year 2 & 3", None, None, Precision.unknown),
        ("every 3 fortnights", None, None, Precision.unknown),
        ("Smarch 2024", None, None, Precision.unknown),
        ("31/02/2024", None, None, Precision.unknown),
    ],
)
def test_known_forms(text: str, start: date | None, end: date | None, precision: Precision) -> None:
    assert parse(text) == parse(text)  # pure
    result = parse(text)
    assert (result.start, result.end, result.precision) == (start, end, precision)


@pytest.mark.parametrize(
    ("text", "start", "end", "names_its_year"),
    [
        ("end of 2015", date(2015, 12, 1), date(2015, 12, 31), True),
        ("end April 2015", date(2015, 4, 1), date(2015, 4, 30), True),
        ("late Summer 15", date(2015, 8, 1), date(2015, 8, 31), True),
        ("early June", date(2015, 6, 1), date(2015, 6, 30), False),
        ("late March", date(2016, 3, 1), date(2016, 3, 31), False),
        ("mid year", date(2015, 9, 1), date(2015, 10, 31), False),
        ("Year 2 & 3", date(2016, 4, 1), date(2018, 3, 31), False),
        ("Q1/2", date(2015, 4, 1), date(2015, 9, 30), False),
    ],
)
def test_forms_anchored_by_the_plan_year(
    text: str, start: date, end: date, names_its_year: bool
) -> None:
    anchored = parse(text, financial_year_start=2015)
    assert (anchored.start, anchored.end) == (start, end)
    # Without the plan's year, a text that names none yields no date rather than a guess.
    assert (parse(text).start is not None) == names_its_year


def test_quarters_need_a_financial_year() -> None:
    assert parse("Q1").precision == Precision.quarter and parse("Q1").start is None
    q23 = parse("Q2/3", financial_year_start=2015)
    assert (q23.start, q23.end) == (date(2015, 7, 1), date(2015, 12, 31))
    q4 = parse("Q4", financial_year_start=2024)
    assert (q4.start, q4.end) == (date(2025, 1, 1), date(2025, 3, 31))


PLAN_2015 = json.loads((ROOT / "services/programmes/seed_data/ap_2015.json").read_text())


@pytest.mark.parametrize("text", PLAN_2015["timescales"])
def test_every_2015_timescale_parses_with_the_plan_year(text: str) -> None:
    result = parse(text, financial_year_start=2015)
    if text in ("TBC", "Ongoing"):
        assert result.start is None
    else:
        assert result.start is not None and result.end is not None, text
        assert result.start <= result.end


def test_a_quarter_that_names_its_months_needs_no_plan_year() -> None:
    q4 = parse("Q4: January \u2013 March 15")
    assert (q4.start, q4.end, q4.precision) == (
        date(2015, 1, 1),
        date(2015, 3, 31),
        Precision.quarter,
    )


SEED_DIR = ROOT / "services/programmes/seed_data"


def _plan_timescales() -> list[tuple[str, str, int]]:
    """Every timescale string of the three plans (key activities' start and end, actions'
    timescales, highlight report milestones and next steps), with its plan's first year."""
    found: set[tuple[str, str, int]] = set()
    for name in ("irp_2024.json", "ap_2015.json", "gov_2018.json"):
        plan = json.loads((SEED_DIR / name).read_text())
        fy = plan["portfolio"]["financial_year_start"]
        for programme in plan["programmes"]:
            for activity in programme.get("key_activities", []):
                found |= {(name, t, fy) for t in (activity["start"], activity["end"]) if t}
            found |= {
                (name, a["timescale"], fy) for a in programme.get("actions", []) if a["timescale"]
            }
    report = json.loads((SEED_DIR / "ap_2015_highlight_2015-04.json").read_text())
    for programme in report["reports"]:
        for milestone in programme["milestones"]:
            when = milestone.get("quarter_label") or milestone.get("quarter")
            if when:
                found.add(("ap_2015_highlight", when, 2015))
        found |= {("ap_2015_highlight", i["when"], 2015) for i in programme["items"] if i["when"]}
    return sorted(found)


PLAN_TIMESCALES = _plan_timescales()


def test_the_three_plans_timescales_are_all_collected() -> None:
    plans = {plan for plan, _, _ in PLAN_TIMESCALES}
    assert plans == {"irp_2024.json", "ap_2015.json", "gov_2018.json", "ap_2015_highlight"}
    assert ("gov_2018.json", "August 2018", 2018) in PLAN_TIMESCALES


@pytest.mark.parametrize(("plan", "text", "fy"), PLAN_TIMESCALES)
def test_every_plan_timescale_is_a_window_a_recurrence_or_knowingly_open(
    plan: str, text: str, fy: int
) -> None:
    result = parse(text, financial_year_start=fy)
    if result.start is not None:
        assert result.end is not None and result.start <= result.end
    elif result.precision == Precision.recurring:
        assert result.every and result.unit
    elif result.precision == Precision.ongoing:
        assert text.lower() == "ongoing"
    else:
        assert result.precision == Precision.unknown and result.reason, (plan, text)
        assert text == "TBC", "only a text that gives no date yet may stay unknown"


@pytest.mark.parametrize(
    ("text", "every", "unit"),
    [
        ("Every 6 weeks", 6, Unit.week),
        ("Every 6 months", 6, Unit.month),
        ("every month", 1, Unit.month),
        ("every other week", 2, Unit.week),
        ("every quarter", 3, Unit.month),
        ("Monthly", 1, Unit.month),
        ("6 monthly", 6, Unit.month),
        ("6-monthly", 6, Unit.month),
        ("quarterly", 3, Unit.month),
        ("fortnightly", 2, Unit.week),
        ("Review annually", 1, Unit.year),
        ("to be monitored monthly thereafter", 1, Unit.month),
    ],
)
def test_recurrences_keep_interval_and_unit(text: str, every: int, unit: Unit) -> None:
    result = parse(text)
    assert (result.precision, result.every, result.unit) == (Precision.recurring, every, unit)
    assert (result.start, result.end) == (None, None)


def test_a_recurrence_in_an_unknown_unit_is_named_not_guessed() -> None:
    with pytest.raises(UnknownRecurrenceUnit) as error:
        recurrence("every 3 fortnights")
    assert error.value.unit == "fortnights"
    assert "fortnights" in (parse("every 3 fortnights").reason or "")
    assert recurrence("March 2024") is None
    with pytest.raises(BadRecurrence):
        recurrence("every 0 weeks")
    assert parse("0 monthly").precision == Precision.unknown


@pytest.mark.parametrize(
    ("text", "since", "as_of", "due"),
    [
        # On the day it falls due, it is due that day; the day after, one interval on.
        ("Every 6 weeks", date(2024, 4, 1), date(2024, 5, 13), date(2024, 5, 13)),
        ("Every 6 weeks", date(2024, 4, 1), date(2024, 5, 14), date(2024, 6, 24)),
        ("Monthly", date(2024, 1, 31), date(2024, 2, 15), date(2024, 2, 29)),
        ("Monthly", date(2024, 1, 31), date(2024, 3, 1), date(2024, 3, 31)),
        ("6 monthly", date(2024, 9, 1), date(2025, 1, 10), date(2025, 3, 1)),
        ("Review annually", date(2026, 4, 1), date(2026, 4, 2), date(2027, 4, 1)),
        # Before it starts, the first occurrence is its start.
        ("quarterly", date(2024, 4, 1), date(2023, 12, 25), date(2024, 4, 1)),
    ],
)
def test_next_due_as_of_a_day(text: str, since: date, as_of: date, due: date) -> None:
    assert parse(text).next_due(as_of, since=since) == due


def test_a_window_has_no_next_occurrence() -> None:
    assert parse("March 2024").next_due(date(2024, 1, 1), since=date(2024, 1, 1)) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Year 2 & 3", "first financial year"),
        ("Q1", "first financial year"),
        ("TBC", "no date yet"),
        ("Smarch 2024", "not a form of date"),
        ("31/02/2024", "no such day"),
    ],
)
def test_unknown_says_why(text: str, reason: str) -> None:
    assert reason in (parse(text).reason or "")


def test_year_n_is_a_financial_year_window_from_the_plan_start() -> None:
    year_1 = parse("Year 1", financial_year_start=2018)
    assert (year_1.start, year_1.end, year_1.precision) == (
        date(2018, 4, 1),
        date(2019, 3, 31),
        Precision.year,
    )
    years = parse("Years 2 and 3", financial_year_start=2024)
    assert (years.start, years.end) == (date(2025, 4, 1), date(2027, 3, 31))
