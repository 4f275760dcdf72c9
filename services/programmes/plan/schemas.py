"""Portfolios, aims and outcomes, programmes: XBase -> XCreate / XUpdate / XRead."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from services.programmes.highlights.schemas import DCA
from services.programmes.milestones.schemas import Status

# RAG scales --------------------------------------------------------------------------------


class CommonRag(StrEnum):
    """The common scale the board reads every plan on: Green = on track or done, Amber = issues
    needing attention, Red = off track."""

    green = "Green"
    amber = "Amber"
    red = "Red"


class RagGradeBase(SQLModel):
    code: str = Field(
        min_length=1, max_length=40, description='as the plan writes it, e.g. "Amber"'
    )
    colour: str = Field(max_length=7, description="how it is drawn, e.g. #ffbf47")
    meaning: str = Field(min_length=1, max_length=300, description="what the plan says it means")


class RagGradeCreate(RagGradeBase):
    common: CommonRag = Field(description="the grade on the common Red/Amber/Green scale")
    dca: DCA | None = Field(
        default=None, description="the point of the five-point DCA it is, where that applies"
    )
    status: Status | None = Field(
        default=None, description="the status an item rated so has (an action's status)"
    )

    @field_validator("colour")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("a colour is # and six hex digits, e.g. #ffbf47")
        return value.lower()


class RagGradeRead(RagGradeCreate):
    position: int


# Portfolio ---------------------------------------------------------------------------------


class PortfolioBase(SQLModel):
    code: str = Field(min_length=1, max_length=40, index=True, unique=True)
    name: str = Field(min_length=1, max_length=200)
    source: str | None = Field(default=None, max_length=200)
    rag_definition: str | None = Field(
        default=None, description="what Red, Amber and Green mean in this plan"
    )
    financial_year_start: int | None = Field(
        default=None,
        ge=1990,
        le=2100,
        description="the plan's first financial year (2015 for 2015/16): anchors 'Q1' or 'Year 2'",
    )


class PortfolioCreate(PortfolioBase):
    rag_scale: list[RagGradeCreate] = Field(
        min_length=1,
        max_length=10,
        description="the plan's own RAG: every grade, what it means, how it maps for reporting",
    )

    @field_validator("rag_scale")
    @classmethod
    def _distinct_grades(cls, grades: list[RagGradeCreate]) -> list[RagGradeCreate]:
        codes = [g.code.lower() for g in grades]
        if len(set(codes)) != len(codes):
            raise ValueError("each grade of a RAG scale has its own code")
        return grades


class PortfolioRead(PortfolioBase):
    id: int
    version: int
    rag_scale: list[RagGradeRead] = []


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


class OutcomeRead(SQLModel):
    id: int
    aim_id: int
    position: int
    text: str
    programme_ids: list[int] = Field(default=[], description="the programmes that serve it")


class ServedOutcomes(SQLModel):
    outcome_ids: list[int] = Field(
        max_length=100, description="ids of the plan's outcomes the programme serves"
    )


# People ------------------------------------------------------------------------------------


class PersonBase(SQLModel):
    """Someone (or a post, where the plan names only the post) who holds roles in the plan."""

    name: str = Field(min_length=1, max_length=200, index=True, unique=True)
    title: str | None = Field(default=None, max_length=200, description="post held")
    email: str | None = Field(default=None, max_length=200)
    directorate: str | None = Field(default=None, max_length=120)


class PersonCreate(PersonBase):
    pass


class PersonUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    directorate: str | None = Field(default=None, max_length=120)


class PersonRef(SQLModel):
    id: int
    name: str
    title: str | None = None


class RoleHeld(SQLModel):
    role: str = Field(description="SAO, RDL or Lead Member")
    programme_id: int
    programme_code: str


class PersonRead(PersonBase):
    id: int
    version: int
    roles: list[RoleHeld] = []


# Programme ---------------------------------------------------------------------------------


class ProgrammeBase(SQLModel):
    code: str = Field(min_length=1, max_length=40, index=True, unique=True)
    name: str = Field(min_length=1, max_length=200)
    purpose: str | None = None
    directorate: str | None = Field(default=None, max_length=120, index=True)


class ProgrammeCreate(ProgrammeBase):
    portfolio_id: int
    aim_id: int | None = None
    sao_id: int = Field(description="Senior Accountable Officer (a person's id)")
    rdl_id: int | None = Field(default=None, description="Responsible Delivery Lead")
    lead_member_id: int = Field(description="Lead Member (a person's id)")
    board_id: int | None = Field(default=None, description="the Directorate Board overseeing it")


class ProgrammeLoaded(ProgrammeBase):
    """A programme as a source plan names it (the loader): the SAO and Lead Member may be
    missing there, and the load reports them as not named."""

    portfolio_id: int
    aim_id: int | None = None
    sao_id: int | None = None
    rdl_id: int | None = None
    lead_member_id: int | None = None


class ProgrammeUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    purpose: str | None = None
    directorate: str | None = Field(default=None, max_length=120)
    aim_id: int | None = None
    sao_id: int | None = None
    rdl_id: int | None = None
    lead_member_id: int | None = None
    board_id: int | None = None


class ProgrammeRead(ProgrammeBase):
    id: int
    portfolio_id: int
    aim_id: int | None
    board_id: int | None
    sao: PersonRef | None
    rdl: PersonRef | None
    lead_member: PersonRef | None
    version: int
    created_at: datetime
    updated_at: datetime


# Workstream --------------------------------------------------------------------------------


class WorkstreamBase(SQLModel):
    name: str = Field(min_length=1, max_length=300)
    description: str | None = None
    lead: str | None = Field(default=None, max_length=200, description="as the plan names it")


class WorkstreamCreate(WorkstreamBase):
    pass


class WorkstreamRead(WorkstreamBase):
    id: int
    programme_id: int
    position: int
    version: int


# Timescales --------------------------------------------------------------------------------


class TimescaleRead(SQLModel):
    """A timescale as a plan writes it, read: a window, a recurrence, or unknown with why."""

    text: str
    precision: str = Field(description="day, month, quarter, season, year, recurring, ...")
    start: date | None = None
    end: date | None = None
    every: int | None = Field(default=None, description="a recurrence's interval, e.g. 6")
    unit: str | None = Field(default=None, description="a recurrence's unit: week, month, year")
    since: date | None = Field(default=None, description="what the recurrence is counted from")
    next_due: date | None = Field(default=None, description="its next occurrence as of the day")
    reason: str | None = Field(default=None, description="why no window could be read")
