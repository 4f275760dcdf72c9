"""Reporting months: the window a pack covers, the month before, and the day it is judged as of."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from services.common import clock
from services.common.errors import FieldError


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, code: str) -> Period:
        year, month = (int(part) for part in code.split("-"))
        return cls(year, month)

    @property
    def code(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def as_of(self) -> date:
        """Overdue and late are judged at the month's end: the same day every time the pack is
        composed again, so it says the same."""
        return self.last

    @property
    def financial_year(self) -> str:
        start = self.year if self.month >= 4 else self.year - 1
        return f"{start}/{(start + 1) % 100:02d}"

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def contains(self, day: str | None) -> bool:
        return day is not None and self.first.isoformat() <= day <= self.last.isoformat()


def reportable(code: str, *, today: date | None = None) -> Period:
    """A month that has begun: a pack for a month still to come would report nothing real."""
    period = Period.parse(code)
    today = today or clock.today()
    if period.first > today:
        raise FieldError(
            f"{code} has not begun (today is {today.isoformat()}): a pack reports a month "
            "that has started",
            field="period",
        )
    return period
