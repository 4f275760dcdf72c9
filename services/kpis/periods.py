"""Reporting periods as the council writes them, and the dates they cover.

Quarters and years are financial (April to March), written as the programmes service writes
them, so a quarter means the same in both: ``2024/25 Q1`` is April to June 2024. Months are
``2024-07``; a survey wave is the calendar year it ran in, ``2024``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from services.kpis.schemas import Frequency

MIN_YEAR, MAX_YEAR = 1900, 2999

FORMATS: dict[Frequency, tuple[re.Pattern[str], str]] = {
    Frequency.monthly: (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "a month, YYYY-MM (2024-07)"),
    Frequency.quarterly: (
        re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$"),
        "a financial-year quarter, YYYY/YY Qn (2024/25 Q1 = April-June 2024)",
    ),
    Frequency.annual: (
        re.compile(r"^(\d{4})/(\d{2})$"),
        "a financial year April-March, YYYY/YY (2024/25)",
    ),
    Frequency.survey: (re.compile(r"^(\d{4})$"), "a survey wave's year, YYYY (2024)"),
}


@dataclass(frozen=True)
class Period:
    text: str
    frequency: Frequency
    start: date
    end: date

    @property
    def financial_year(self) -> int:
        """The starting calendar year of the financial year the period starts in."""
        return financial_year_of(self.start)


def financial_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def financial_year_text(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _check_year_pair(year: int, short: str) -> None:
    if int(short) != (year + 1) % 100:
        raise ValueError(f"a financial year runs into the next year: {financial_year_text(year)}")


# A bulk push names the same few periods thousands of times; a Period is immutable.
@lru_cache(maxsize=4096)
def parse(text: str, frequency: Frequency) -> Period:
    """The period ``text`` names in ``frequency``'s format; ValueError says the format wanted."""
    pattern, described = FORMATS[frequency]
    match = pattern.match(text)
    if match is None:
        raise ValueError(f"a {frequency.value} KPI's period is {described}, not {text!r}")
    year = int(match.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    if frequency is Frequency.monthly:
        month = int(match.group(2))
        return Period(text, frequency, date(year, month, 1), _month_end(year, month))
    if frequency is Frequency.quarterly:
        _check_year_pair(year, match.group(2))
        first = 4 + 3 * (int(match.group(3)) - 1)  # Q1 starts in April
        start_year = year + (first - 1) // 12
        first = (first - 1) % 12 + 1
        return Period(
            text, frequency, date(start_year, first, 1), _month_end(start_year, first + 2)
        )
    if frequency is Frequency.annual:
        _check_year_pair(year, match.group(2))
        return Period(text, frequency, date(year, 4, 1), date(year + 1, 3, 31))
    return Period(text, frequency, date(year, 1, 1), date(year, 12, 31))


def parse_any(text: str) -> Period:
    """A period in whichever frequency's format it is written."""
    for frequency, (pattern, _) in FORMATS.items():
        if pattern.match(text):
            return parse(text, frequency)
    formats = "; ".join(described for _, described in FORMATS.values())
    raise ValueError(f"{text!r} is not a period; write {formats}")


def containing(day: date, frequency: Frequency) -> Period:
    """The period of ``frequency`` that ``day`` falls in."""
    if frequency is Frequency.monthly:
        return parse(f"{day.year:04d}-{day.month:02d}", frequency)
    fy = financial_year_of(day)
    if frequency is Frequency.quarterly:
        quarter = ((day.month - 4) % 12) // 3 + 1
        return parse(f"{financial_year_text(fy)} Q{quarter}", frequency)
    if frequency is Frequency.annual:
        return parse(financial_year_text(fy), frequency)
    return parse(f"{day.year:04d}", frequency)


def following(period: Period) -> Period:
    """The next period of the same frequency."""
    start = period.end.toordinal() + 1
    return containing(date.fromordinal(start), period.frequency)


def between(first: date, last: date, frequency: Frequency) -> list[Period]:
    """Every period of ``frequency`` that starts on or after ``first``'s period and ends by
    ``last``, oldest first."""
    found: list[Period] = []
    period = containing(first, frequency)
    while period.end <= last:
        found.append(period)
        period = following(period)
    return found
