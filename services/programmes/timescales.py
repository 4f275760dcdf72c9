"""How council plans write dates, turned into a window with a precision.

The original text is always kept beside the parsed window; text we cannot read yields
precision ``unknown`` rather than a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Precision(StrEnum):
    day = "day"
    month = "month"
    quarter = "quarter"
    season = "season"
    year = "year"
    recurring = "recurring"
    ongoing = "ongoing"
    unknown = "unknown"


class Unit(StrEnum):
    """What a recurrence counts in."""

    week = "week"
    month = "month"
    year = "year"


@dataclass(frozen=True)
class Timescale:
    text: str
    start: date | None
    end: date | None
    precision: Precision
    # A recurrence keeps its interval ("every 6 weeks": 6, week) so its next date can be told.
    every: int | None = None
    unit: Unit | None = None
    # Why the text gave no window, when it gave none and is not a recurrence or ongoing.
    reason: str | None = None

    def next_due(self, as_of: date, *, since: date) -> date | None:
        """The first occurrence on or after ``as_of`` of a recurrence counted from ``since``
        (the plan's start, or when the recurrence began); None for a text that does not recur."""
        if self.every is None or self.unit is None:
            return None
        if as_of <= since:
            return since
        if self.unit == Unit.week:
            days = 7 * self.every
            step = -(-(as_of - since).days // days)
            return since + timedelta(days=step * days)
        months = self.every * (12 if self.unit == Unit.year else 1)
        elapsed = (as_of.year - since.year) * 12 + as_of.month - since.month
        step = max(elapsed // months, 0)
        while (due := _add_months(since, step * months)) < as_of:
            step += 1
        return due


class BadRecurrence(ValueError):
    """A text that reads as a recurrence but cannot be one."""


class UnknownRecurrenceUnit(BadRecurrence):
    """A text that reads as a recurrence ("every 3 ...") in a unit no plan uses."""

    def __init__(self, text: str, unit: str) -> None:
        super().__init__(f"{text!r}: {unit!r} is not a unit a recurrence can count in")
        self.unit = unit


MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

# Seasons as UK local government uses them; winter runs into the next calendar year.
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "winter": (12, 2)}

# "monthly", "6 monthly", "every 6 weeks", "review annually", "monitored monthly thereafter":
# the adverb (or "every N unit") anywhere in the text, with its interval and unit.
ADVERBS: dict[str, tuple[int, Unit]] = {
    "weekly": (1, Unit.week),
    "fortnightly": (2, Unit.week),
    "monthly": (1, Unit.month),
    "bimonthly": (2, Unit.month),
    "bi-monthly": (2, Unit.month),
    "quarterly": (3, Unit.month),
    "annually": (1, Unit.year),
    "yearly": (1, Unit.year),
    "biannually": (6, Unit.month),
    "bi-annually": (6, Unit.month),
}
UNITS = {
    "week": Unit.week,
    "weeks": Unit.week,
    "month": Unit.month,
    "months": Unit.month,
    "quarter": Unit.month,
    "quarters": Unit.month,
    "year": Unit.year,
    "years": Unit.year,
}
EVERY = re.compile(r"\bevery\s+(?:(\d{1,2}|other)\s+)?([a-z\-]+)")
N_ADVERB = re.compile(r"\b(\d{1,2})[\s\-]*(weekly|monthly|yearly)\b")
ADVERB = re.compile(r"\b(" + "|".join(sorted(ADVERBS, key=len, reverse=True)) + r")\b")


def recurrence(text: str) -> tuple[int, Unit] | None:
    """The interval and unit of a recurring timescale, None if it does not recur; raises
    UnknownRecurrenceUnit for "every N <something that is not a unit>", BadRecurrence for an
    interval of 0."""
    low = " ".join(text.lower().replace("\u2013", "-").split())
    m = EVERY.search(low)
    if m:
        count = 2 if m[1] == "other" else int(m[1] or 1)
        if count == 0:
            raise BadRecurrence(f"{text!r}: a recurrence cannot be every 0 of anything")
        word = m[2]
        if word in UNITS:
            unit = UNITS[word]
            return (count * 3 if word.startswith("quarter") else count), unit
        if word in ADVERBS:  # "every monthly" is still monthly
            return ADVERBS[word]
        raise UnknownRecurrenceUnit(text, word)
    m = N_ADVERB.search(low)
    if m and int(m[1]) == 0:
        raise BadRecurrence(f"{text!r}: a recurrence cannot be every 0 of anything")
    if m:
        return int(m[1]), {"weekly": Unit.week, "monthly": Unit.month, "yearly": Unit.year}[m[2]]
    m = ADVERB.search(low)
    if m:
        return ADVERBS[m[1]]
    return None


def _add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


UNKNOWN_WORDS = {"tbc", "tbd", "n/a", "na", "-", ""}
ONGOING_WORDS = {"ongoing", "on-going", "on going", "continuous", "continuing", "in place"}


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_window(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), _month_end(year, month)


def _months_between(start: date, end: date) -> list[tuple[int, int]]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_in_plan_year(original: str, month: int, financial_year_start: int) -> Timescale:
    """A month named without a year falls in the plan's financial year (April to March)."""
    year = financial_year_start if month >= 4 else financial_year_start + 1
    start, end = _month_window(year, month)
    return Timescale(original, start, end, Precision.month)


NO_PLAN_YEAR = "names no year, and the plan's first financial year is not known"
NOT_READ = "not a form of date the council's plans use"


def _unknown(text: str, reason: str) -> Timescale:
    return Timescale(text, None, None, Precision.unknown, reason=reason)


PART_OF_MONTH = re.compile(r"^(?:(early|mid|late|end(?: of)?|beginning of|start of)\s+)(.+)$")


def parse(text: str, *, financial_year_start: int | None = None) -> Timescale:
    """Parse one timescale. ``financial_year_start`` is the plan's first financial year
    (2015 for 2015/16): it anchors what plans write without a year (``Q1``, ``early June``,
    ``Year 2 & 3``); without it those stay unknown rather than guessed."""
    original = text
    t = " ".join(text.replace("\u2013", "-").replace("\u2014", "-").split()).strip(" .")
    low = t.lower()

    if low in ("mid year", "mid-year"):
        if financial_year_start is None:
            return _unknown(original, NO_PLAN_YEAR)
        return Timescale(
            original,
            date(financial_year_start, 9, 1),
            date(financial_year_start, 10, 31),
            Precision.month,
        )

    # "end April 2015", "early June", "late March", "end of 2015": the part of the window named
    m = PART_OF_MONTH.match(low)
    if m:
        inner = parse(m[2], financial_year_start=financial_year_start)
        if inner.start is None or inner.end is None:
            if m[2] in ("year", "the year") and financial_year_start is not None:
                inner = parse(f"{financial_year_start}/{(financial_year_start + 1) % 100:02d}")
            else:
                return _unknown(original, inner.reason or NOT_READ)
        assert inner.start is not None and inner.end is not None
        if inner.precision == Precision.month:
            return Timescale(original, inner.start, inner.end, Precision.month)
        months = _months_between(inner.start, inner.end)
        index = {"early": 0, "beginning of": 0, "start of": 0, "mid": len(months) // 2}.get(
            m[1], len(months) - 1
        )
        start, end = _month_window(*months[index])
        return Timescale(original, start, end, Precision.month)
    if low in MONTHS and financial_year_start is not None:
        return _month_in_plan_year(original, MONTHS[low], financial_year_start)

    # "Year 2 & 3", "Year 1": financial years counted from the plan's first
    m = re.fullmatch(r"years?\s+([1-9])(?:\s*(?:&|and|-|to)\s*([1-9]))?", low)
    if m:
        if financial_year_start is None:
            return _unknown(original, NO_PLAN_YEAR)
        first = financial_year_start + int(m[1]) - 1
        last = financial_year_start + int(m[2] or m[1]) - 1
        return Timescale(original, date(first, 4, 1), date(last + 1, 3, 31), Precision.year)

    if low in UNKNOWN_WORDS:
        return _unknown(original, "the plan gives no date yet")
    if low in ONGOING_WORDS:
        return Timescale(original, None, None, Precision.ongoing)
    try:
        recurs = recurrence(low)
    except BadRecurrence as error:
        return _unknown(original, str(error))
    if recurs is not None:
        return Timescale(original, None, None, Precision.recurring, every=recurs[0], unit=recurs[1])

    # 31/03/2024 or 31.03.24
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})", low)
    if m:
        try:
            day = date(_year(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return _unknown(original, "no such day")
        return Timescale(original, day, day, Precision.day)

    # Mar-15, Mar 15, March 2024, Sept 2024, Apr-2024
    m = re.fullmatch(r"([a-z]+)[\s\-']*(\d{2}|\d{4})", low)
    if m and m[1] in MONTHS:
        start, end = _month_window(_year(m[2]), MONTHS[m[1]])
        return Timescale(original, start, end, Precision.month)

    # 03/2024
    m = re.fullmatch(r"(\d{1,2})/(\d{4})", low)
    if m and 1 <= int(m[1]) <= 12:
        start, end = _month_window(int(m[2]), int(m[1]))
        return Timescale(original, start, end, Precision.month)

    # Spring 15, Summer 2024, Winter 15 (Dec 2015 to Feb 2016)
    m = re.fullmatch(r"(spring|summer|autumn|winter)[\s\-']*(\d{2}|\d{4})", low)
    if m:
        year = _year(m[2])
        first, last = SEASONS[m[1]]
        end_year = year + 1 if last < first else year
        return Timescale(
            original, date(year, first, 1), _month_end(end_year, last), Precision.season
        )

    # 2024/25 (a financial year), 2024-25
    m = re.fullmatch(r"(?:fy\s*)?(\d{4})\s*[/\-]\s*(\d{2}|\d{4})", low)
    if m and _year(m[2]) == int(m[1]) + 1:
        year = int(m[1])
        return Timescale(original, date(year, 4, 1), date(year + 1, 3, 31), Precision.year)

    # 2024
    m = re.fullmatch(r"(\d{4})", low)
    if m:
        year = int(m[1])
        return Timescale(original, date(year, 1, 1), date(year, 12, 31), Precision.year)

    # "Q1: April - June 15", "Q2 July - September 15": a quarter that names its months
    m = re.fullmatch(r"q[1-4]:?\s+([a-z]+)\s*-\s*([a-z]+)[\s\-']*(\d{2}|\d{4})", low)
    if m and m[1] in MONTHS and m[2] in MONTHS:
        end_year = _year(m[3])
        first, last = MONTHS[m[1]], MONTHS[m[2]]
        start_year = end_year - 1 if first > last else end_year
        return Timescale(
            original, date(start_year, first, 1), _month_end(end_year, last), Precision.quarter
        )

    # Q1, Q2/3, Q1 Q2, Q1 2024/25 - financial-year quarters (Q1 = April to June)
    m = re.fullmatch(r"q([1-4])(?:\s*[/\-&\s]\s*q?([1-4]))?(?:\s+(\d{4})\s*/\s*\d{2,4})?", low)
    if m:
        fy = int(m[3]) if m[3] else financial_year_start
        if fy is None:
            return Timescale(original, None, None, Precision.quarter, reason=NO_PLAN_YEAR)
        first_q, last_q = int(m[1]), int(m[2] or m[1])
        start_month = 4 + 3 * (first_q - 1)
        end_month = 4 + 3 * last_q - 1
        start = date(fy + (start_month - 1) // 12, (start_month - 1) % 12 + 1, 1)
        end_year = fy + (end_month - 1) // 12
        return Timescale(
            original, start, _month_end(end_year, (end_month - 1) % 12 + 1), Precision.quarter
        )

    return _unknown(original, NOT_READ)
