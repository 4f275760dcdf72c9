"""Savings initiatives: SavingsBase -> SavingsCreate / SavingsUpdate / SavingsRead, the totals,
and the two value rules every write and query shares (money, financial year).

Money is pounds sterling as ``Decimal`` with exactly two places, never a binary float:

- in JSON responses it is a **string** (``"1250000.00"``), so no client parses it into a float;
- requests may send a string (preferred) or a JSON number; more than two decimal places, a
  negative amount, NaN or infinity is a 422 naming the field;
- the database column is ``NUMERIC(14, 2)`` (up to £999,999,999,999.99) with a CHECK that it is
  not negative, and totals are summed as ``Decimal`` (see service.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import field_validator
from sqlmodel import Field, SQLModel

CENT = Decimal("0.01")
MONEY_DIGITS = 14
FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
MONEY_FIELDS = ("target", "forecast", "delivered")


class RAG(StrEnum):
    green = "Green"
    amber = "Amber"
    red = "Red"


class GroupBy(StrEnum):
    programme = "programme"
    directorate = "directorate"
    aim = "aim"


def check_financial_year(value: str) -> str:
    """A UK public-sector financial year (April to March) written ``2024/25``."""
    match = FINANCIAL_YEAR.match(value)
    if match is None or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(
            "a financial year is written YYYY/YY with YY the year after YYYY, e.g. 2024/25"
        )
    return value


def financial_year_of(day: date) -> str:
    """The financial year (1 April to 31 March) a date falls in: 2025-03-31 -> 2024/25."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def money(value: Decimal) -> Decimal:
    """Exactly two places (``5`` -> ``5.00``; ``1E+3`` -> ``1000.00``), and no negative zero."""
    quantized = value.quantize(CENT)
    return quantized if quantized != 0 else Decimal("0.00")


def _money_field(description: str, **kwargs: Any) -> Any:
    return Field(
        ge=0,
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        description=f"{description}, £ with two decimal places (a string in JSON)",
        **kwargs,
    )


# Savings initiative --------------------------------------------------------------------------


class SavingsBase(SQLModel):
    code: str = Field(min_length=1, max_length=40, index=True, unique=True)
    title: str = Field(min_length=1, max_length=300)
    directorate: str | None = Field(default=None, max_length=120, index=True)
    financial_year: str = Field(max_length=7, index=True, description="e.g. 2024/25")
    target: Decimal = _money_field("the saving to be made in the financial year")
    forecast: Decimal = _money_field("the saving now forecast to be made in the year")
    delivered: Decimal = _money_field("the saving delivered so far", default=Decimal("0.00"))
    due_date: date | None = Field(default=None, description="when the saving should be in full")
    owner: str | None = Field(default=None, max_length=200)
    notes: str | None = None

    @field_validator("financial_year")
    @classmethod
    def _financial_year(cls, value: str) -> str:
        return check_financial_year(value)

    @field_validator(*MONEY_FIELDS)
    @classmethod
    def _money(cls, value: Decimal) -> Decimal:
        return money(value)


class SavingsCreate(SavingsBase):
    """``directorate`` defaults to the programme's when left out."""

    programme_id: int


class SavingsUpdate(SQLModel):
    code: str | None = Field(default=None, min_length=1, max_length=40)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    programme_id: int | None = None
    directorate: str | None = Field(default=None, max_length=120)
    financial_year: str | None = Field(default=None, max_length=7)
    target: Decimal | None = _money_field("the saving to be made", default=None)
    forecast: Decimal | None = _money_field("the saving now forecast", default=None)
    delivered: Decimal | None = _money_field("the saving delivered so far", default=None)
    due_date: date | None = None
    owner: str | None = Field(default=None, max_length=200)
    notes: str | None = None

    @field_validator("financial_year")
    @classmethod
    def _financial_year(cls, value: str | None) -> str | None:
        return None if value is None else check_financial_year(value)

    @field_validator(*MONEY_FIELDS)
    @classmethod
    def _money(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else money(value)


class SavingsRead(SavingsBase):
    id: int
    programme_id: int
    gap: Decimal = Field(description="target - forecast (negative when over-forecast)")
    late: bool = Field(
        description="past the due date with less than the target delivered, "
        "or forecast below target"
    )
    late_reason: str | None = Field(description="'overdue', 'forecast below target' or null")
    rag: RAG = Field(description="see service.rag for the rule")
    version: int
    created_at: datetime
    updated_at: datetime


# Totals --------------------------------------------------------------------------------------


class SavingsTotal(SQLModel):
    """One group's sums (or the grand total, with every key null)."""

    programme_id: int | None = None
    directorate: str | None = None
    aim_id: int | None = None
    label: str = Field(description="programme code and name, directorate, or aim code and name")
    target: Decimal
    forecast: Decimal
    delivered: Decimal
    gap: Decimal = Field(description="target - forecast")
    count: int
    green: int = 0
    amber: int = 0
    red: int = 0
    late: int = 0


class SavingsTotals(SQLModel):
    group_by: GroupBy
    financial_year: str | None
    as_of: date = Field(description="the day the RAG and late counts were judged on")
    groups: list[SavingsTotal]
    total: SavingsTotal
