"""The documents the loader reads: a plan as extracted from its source (seed_data/*.json)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.programmes.plan.schemas import RagGradeCreate


class Doc(BaseModel):
    # Extraction notes ride along in the documents; the loader reads what it models.
    model_config = ConfigDict(extra="ignore")


class PortfolioDoc(Doc):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    source: str | None = None
    rag_definition: str | None = None
    rag_scale: list[RagGradeCreate] = Field(
        min_length=1, max_length=10, description="the plan's own RAG: a portfolio must carry one"
    )
    financial_year_start: int | None = Field(
        default=None, ge=1990, le=2100, description="the plan's first financial year, e.g. 2015"
    )


class AimDoc(Doc):
    code: str
    name: str
    focus: str | None = None
    outcomes: list[str] = []


class ActivityDoc(Doc):
    title: str
    start: str | None = None
    end: str | None = None


class ActionDoc(Doc):
    number: str
    description: str
    timescale: str | None = None
    measures: str | None = None
    responsible: str | None = None
    workstream: str | None = None
    rag: str | None = Field(default=None, description="a grade of the portfolio's RAG scale")


class ProgrammeDoc(Doc):
    code: str
    name: str
    aim_code: str | None = None
    directorate: str | None = None
    purpose: str | None = None
    sao: str | None = None
    rdl: str | None = None
    lead_member: str | None = None
    outcomes: list[int] = Field(
        default=[], description="the outcomes it serves: positions (from 1) in its aim's list"
    )
    review_references: list[str] = []
    key_activities: list[ActivityDoc] = []
    actions: list[ActionDoc] = []


class PlanDocument(Doc):
    portfolio: PortfolioDoc
    aims: list[AimDoc] = []
    programmes: list[ProgrammeDoc] = []
    unparsed: list[dict[str, Any]] = []


class MilestoneDoc(Doc):
    title: str
    quarter: str | None = None
    quarter_label: str | None = None
    status: str | None = None


class ItemDoc(Doc):
    action: str | None = None
    highlights: str | None = None
    next_steps: str | None = None
    when: str | None = None
    who: str | None = None
    confidence: str | None = None


class ProgrammeReportDoc(Doc):
    programme_code: str
    overall_status: str | None = None
    senior_owner: str | None = None
    milestones: list[MilestoneDoc] = []
    items: list[ItemDoc] = []


class HighlightDocument(Doc):
    portfolio_code: str
    period: str
    source: str | None = None
    reports: list[ProgrammeReportDoc] = []
    unparsed: list[dict[str, Any]] = []


class Unparsed(BaseModel):
    where: str = Field(description="the item, e.g. 'AP-2 action 2.16 timescale'")
    text: str | None
    reason: str


class LoadReport(BaseModel):
    portfolio: str
    created: dict[str, int]
    unchanged: dict[str, int]
    unparsed: list[Unparsed]
