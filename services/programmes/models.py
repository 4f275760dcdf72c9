"""The programmes service's tables, in metadata of its own."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.audit import audit_model
from services.common.db import new_registry, utc_column, utcnow
from services.programmes.schemas import (
    AimBase,
    HighlightReportBase,
    KeyActivityBase,
    PortfolioBase,
    ProgrammeBase,
)


class Base(SQLModel, registry=new_registry()):
    pass


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


class Programme(Base, ProgrammeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True)
    aim_id: int | None = Field(default=None, foreign_key="aim.id", index=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class KeyActivity(Base, KeyActivityBase, table=True):
    __tablename__ = "key_activity"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    position: int
    start_date: date | None = None
    end_date: date | None = Field(default=None, index=True)
    start_precision: str = Field(max_length=20)
    end_precision: str = Field(max_length=20)
    version: int = 1


class HighlightReport(Base, HighlightReportBase, table=True):
    __tablename__ = "highlight_report"
    __table_args__ = (UniqueConstraint("programme_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    author: str = Field(max_length=200)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    version: int = 1


AuditEntry = audit_model(Base)
