"""Portfolios, aims and their outcomes, programmes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from services.common.db import utc_column, utcnow
from services.programmes.base import Base
from services.programmes.plan.schemas import AimBase, PortfolioBase, ProgrammeBase


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
