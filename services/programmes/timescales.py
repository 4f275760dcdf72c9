"""How council plans write dates, turned into a window with a precision.

The original text is always kept beside the parsed window; text we cannot read yields
precision ``unknown`` rather than a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
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


@dataclass(frozen=True)
class Timescale:
    text: str
    start: date | None
    end: date | None
    precision: Precision


MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

# Seasons as UK local government uses them; winter runs into the next calendar year.
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "winter": (12, 2)}

RECURRING = re.compile(
    r"^(every\b.*|monthly|weekly|quarterly|annually|bi-?monthly|fortnightly|"
    r"\d+\s*(weekly|monthly)|review(ed)?\s+(annually|monthly|quarterly).*|.*\bon-?going\b.*\bmonthly\b)$",
    re.IGNORECASE,
)
UNKNOWN_WORDS = {"tbc", "tbd", "n/a", "na", "-", ""}
ONGOING_WORDS = {"ongoing", "on-going", "on going", "continuous", "continuing", "in place"}


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_window(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), _month_end(year, month)


def parse(text: str, *, financial_year_start: int | None = None) -> Timescale:
    """Parse one timescale. ``financial_year_start`` anchors bare quarters (``Q1``) to a
    financial year (April to March); without it they stay unknown."""
    original = text
    t = " ".join(text.replace("\u2013", "-").replace("\u2014", "-").split()).strip(" .")
    low = t.lower()

    if low in UNKNOWN_WORDS:
        return Timescale(original, None, None, Precision.unknown)
    if low in ONGOING_WORDS:
        return Timescale(original, None, None, Precision.ongoing)
    if RECURRING.match(low):
        return Timescale(original, None, None, Precision.recurring)

    # 31/03/2024 or 31.03.24
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})", low)
    if m:
        try:
            day = date(_year(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return Timescale(original, None, None, Precision.unknown)
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

    # Q1, Q2/3, Q1 2024/25 - financial-year quarters (Q1 = April to June)
    m = re.fullmatch(r"q([1-4])(?:\s*[/\-&]\s*q?([1-4]))?(?:\s+(\d{4})\s*/\s*\d{2,4})?", low)
    if m:
        fy = int(m[3]) if m[3] else financial_year_start
        if fy is None:
            return Timescale(original, None, None, Precision.quarter)
        first_q, last_q = int(m[1]), int(m[2] or m[1])
        start_month = 4 + 3 * (first_q - 1)
        end_month = 4 + 3 * last_q - 1
        start = date(fy + (start_month - 1) // 12, (start_month - 1) % 12 + 1, 1)
        end_year = fy + (end_month - 1) // 12
        return Timescale(
            original, start, _month_end(end_year, (end_month - 1) % 12 + 1), Precision.quarter
        )

    return Timescale(original, None, None, Precision.unknown)
