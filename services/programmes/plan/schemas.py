"""Portfolios, aims and outcomes, programmes: XBase -> XCreate / XUpdate / XRead."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

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
