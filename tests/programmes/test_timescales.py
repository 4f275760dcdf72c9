"""How plans write dates: every timescale in the 2024 plan's seed, plus the 2015 forms."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.programmes.timescales import Precision, parse
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
