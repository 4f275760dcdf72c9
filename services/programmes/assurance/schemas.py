"""What the CPMO's independent assurance finds: plan items failing the panel's SMART tests,
and delivery confidence weighed against the evidence."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field


class SmartTest(StrEnum):
    """The independent panel's questions of a plan (seed 001): is each item owned, measurable,
    timed, coherent, and honestly reported?"""

    no_owner = "no owner"
    no_measure = "no measure"
    no_date = "no date"
    only_tbc = "only TBC"
    end_before_start = "end before start"
    overdue_on_track = "overdue but On track"


class SmartFailure(BaseModel):
    test: SmartTest
    item: str = Field(description="programme, key_activity or action")
    item_id: int
    programme_id: int
    programme_code: str
    ref: str = Field(description="the item as people name it: code, action number or title")
    detail: str


class SmartReport(BaseModel):
    as_of: date
    checked: dict[str, int] = Field(description="how many items of each kind were checked")
    failures: list[SmartFailure]
    counts: dict[str, int] = Field(description="failures per test")


class Evidence(BaseModel):
    kind: str = Field(description="overdue milestone, slipped milestone or late savings")
    item_id: int
    ref: str
    detail: str
    rag: str = Field(description="the colour this evidence alone points to")


class ConfidenceCheck(BaseModel):
    programme_id: int
    programme_code: str
    declared_dca: str | None = Field(description="the latest DCA declared, five-point")
    declared_rag: str | None = Field(description="that DCA mapped to Red/Amber/Green")
    declared_on: date | None
    evidence_rag: str = Field(description="Red/Amber/Green computed from the evidence")
    evidence: list[Evidence]
    watermelon: bool = Field(description="declared greener than the evidence supports")
