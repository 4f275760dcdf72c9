"""Portfolios, aims and their outcomes, programmes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.db import utc_column, utcnow
from services.programmes.base import Base
from services.programmes.plan.schemas import (
    AimBase,
    PersonBase,
    PortfolioBase,
    ProgrammeBase,
    RagGradeBase,
    WorkstreamBase,
)


class Portfolio(Base, PortfolioBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = 1


class Aim(Base, AimBase, table=True):
    __table_args__ = (UniqueConstraint("portfolio_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True)
    version: int = 1


class Outcome(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    aim_id: int = Field(foreign_key="aim.id", index=True)
    position: int
    text: str


class Person(Base, PersonBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = 1


class Programme(Base, ProgrammeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True)
    aim_id: int | None = Field(default=None, foreign_key="aim.id", index=True)
    # Required through the API; an imported plan that names no one leaves them empty, flagged
    # by the plan-quality checks rather than filled with a guess.
    sao_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    rdl_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    lead_member_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # The Directorate Board overseeing it (governance/models.py declares the board table).
    # use_alter: boards may belong to a programme too, and the cycle needs one link added last.
    board_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("board.id", use_alter=True), index=True),
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Workstream(Base, WorkstreamBase, table=True):
    __table_args__ = (UniqueConstraint("programme_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    position: int
    version: int = 1


class RagGrade(Base, RagGradeBase, table=True):
    """One grade of a portfolio's own RAG scale: plans define RAG differently, so the
    definition travels with the portfolio."""

    __tablename__ = "rag_grade"
    __table_args__ = (UniqueConstraint("portfolio_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True)
    position: int
    # Words, not database enums: CommonRag, DCA and Status values, checked by the schemas.
    common: str = Field(max_length=5)
    dca: str | None = Field(default=None, max_length=11)
    status: str | None = Field(default=None, max_length=20)


class ProgrammeOutcome(Base, table=True):
    """An outcome of the plan that a programme serves."""

    __tablename__ = "programme_outcome"

    programme_id: int = Field(foreign_key="programme.id", primary_key=True)
    outcome_id: int = Field(foreign_key="outcome.id", primary_key=True, index=True)
