"""Highlight reports and delivery confidence: XBase -> XCreate / XUpdate / XRead."""

from __future__ import annotations

import re
from datetime import datetime
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
