"""The SQLModel family for each entity: XBase -> XCreate / XUpdate / XRead (tables live in
models.py)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from pydantic import field_validator
from sqlmodel import Field, SQLModel

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class DCA(StrEnum):
    """Delivery Confidence Assessment: the five-point scale, greenest first."""

    green = "Green"
    amber_green = "Amber/Green"
    amber = "Amber"
    amber_red = "Amber/Red"
    red = "Red"

    @property
    def rag(self) -> str:
        """Central government's three-point report: map five to three."""
        return {"Green": "Green", "Amber/Green": "Amber", "Amber": "Amber"}.get(self.value, "Red")


def check_period(value: str) -> str:
    if not PERIOD.match(value):
        raise ValueError("a reporting period is a month written YYYY-MM, e.g. 2024-07")
    return value


# Portfolio ---------------------------------------------------------------------------------


class PortfolioBase(SQLModel):
    code: str = Field(min_length=1, max_length=40, index=True, unique=True)
    name: str = Field(min_length=1, max_length=200)
    source: str | None = Field(default=None, max_length=200)
    rag_definition: str | None = None


class PortfolioCreate(PortfolioBase):
    pass


class PortfolioRead(PortfolioBase):
    id: int
    version: int


# Aim ---------------------------------------------------------------------------------------


class AimBase(SQLModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    focus: str | None = None


class AimCreate(AimBase):
    portfolio_id: int
    outcomes: list[str] = []


class AimRead(AimBase):
    id: int
    portfolio_id: int
    outcomes: list[str] = []


# Programme ---------------------------------------------------------------------------------


class ProgrammeBase(SQLModel):
    code: str = Field(min_length=1, max_length=40, index=True, unique=True)
    name: str = Field(min_length=1, max_length=200)
    purpose: str | None = None
    directorate: str | None = Field(default=None, max_length=120, index=True)
    sao: str = Field(min_length=1, max_length=200, description="Senior Accountable Officer")
    rdl: str | None = Field(default=None, max_length=200, description="Responsible Delivery Lead")
    lead_member: str = Field(min_length=1, max_length=200)


class ProgrammeCreate(ProgrammeBase):
    portfolio_id: int
    aim_id: int | None = None


class ProgrammeUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    purpose: str | None = None
    directorate: str | None = Field(default=None, max_length=120)
    sao: str | None = Field(default=None, min_length=1, max_length=200)
    rdl: str | None = Field(default=None, max_length=200)
    lead_member: str | None = Field(default=None, min_length=1, max_length=200)
    aim_id: int | None = None


class ProgrammeRead(ProgrammeBase):
    id: int
    portfolio_id: int
    aim_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


# Key activity ------------------------------------------------------------------------------


class KeyActivityBase(SQLModel):
    title: str = Field(min_length=1)
    start_text: str | None = Field(default=None, max_length=80, description="as the plan writes it")
    end_text: str | None = Field(default=None, max_length=80, description="as the plan writes it")


class KeyActivityCreate(KeyActivityBase):
    pass


class KeyActivityRead(KeyActivityBase):
    id: int
    programme_id: int
    position: int
    start_date: date | None
    end_date: date | None
    start_precision: str
    end_precision: str
    version: int


# Highlight report --------------------------------------------------------------------------


class HighlightReportBase(SQLModel):
    period: str = Field(max_length=7, description="reporting month, YYYY-MM")
    dca: DCA = Field(description="Delivery Confidence Assessment")
    dca_reason: str = Field(min_length=1)
    highlights: str | None = None
    next_steps: str | None = None
    decisions_needed: str | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return check_period(value)


class HighlightReportCreate(HighlightReportBase):
    pass


class HighlightReportRead(HighlightReportBase):
    id: int
    programme_id: int
    author: str
    submitted_at: datetime
    version: int
