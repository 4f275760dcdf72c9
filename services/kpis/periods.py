"""Reporting periods as each KPI frequency writes them, and the dates they cover."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from services.kpis.schemas import Frequency

MIN_YEAR, MAX_YEAR = 1900, 2999

FORMATS: dict[Frequency, tuple[re.Pattern[str], str]] = {
    Frequency.monthly: (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "a month, YYYY-MM (2024-07)"),
    Frequency.quarterly: (
        re.compile(r"^(\d{4})-Q([1-4])$"),
        "a calendar quarter, YYYY-Qn (2024-Q2)",
    ),
    Frequency.annual: (
        re.compile(r"^(\d{4})/(\d{2})$"),
        "a financial year April-March, YYYY/YY (2024/25)",
    ),
    Frequency.survey: (re.compile(r"^(\d{4})$"), "a year, YYYY (2024)"),
}


@dataclass(frozen=True)
class Period:
    text: str
    frequency: Frequency
    start: date
    end: date


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


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
        first = 3 * (int(match.group(2)) - 1) + 1
        return Period(text, frequency, date(year, first, 1), _month_end(year, first + 2))
    if frequency is Frequency.annual:
        if int(match.group(2)) != (year + 1) % 100:
            raise ValueError(
                f"a financial year runs into the next year: {year}/{(year + 1) % 100:02d}"
            )
        return Period(text, frequency, date(year, 4, 1), date(year + 1, 3, 31))
    return Period(text, frequency, date(year, 1, 1), date(year, 12, 31))


def parse_any(text: str) -> Period:
    """A period in whichever frequency's format it is written."""
    for frequency, (pattern, _) in FORMATS.items():
        if pattern.match(text):
            return parse(text, frequency)
    formats = "; ".join(described for _, described in FORMATS.values())
    raise ValueError(f"{text!r} is not a period; write {formats}")
