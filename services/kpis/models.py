"""The KPIs service's tables, in metadata of its own."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.audit import audit_model
from services.common.db import new_registry, utc_column, utcnow
from services.kpis.schemas import KpiBase, MeasurementBase


class Base(SQLModel, registry=new_registry()):
    pass


class Kpi(Base, KpiBase, table=True):
    __table_args__ = (
        CheckConstraint("tolerance IS NULL OR tolerance >= 0", name="tolerance_not_negative"),
        Index("ix_kpi_portfolio_code_aim_code", "portfolio_code", "aim_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Measurement(Base, MeasurementBase, table=True):
    """One value for one period, as pushed. Never updated: a restatement is a new revision."""

    __table_args__ = (
        # One row per revision; two pushes racing for the same revision cannot both land.
        UniqueConstraint("kpi_id", "period", "revision"),
        # A client's retry finds its first attempt; racing retries cannot both land.
        UniqueConstraint("pushed_by", "idempotency_key"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        Index("ix_measurement_kpi_id_period_end", "kpi_id", "period_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id")
    period_start: date
    period_end: date
    revision: int = 1
    pushed_by: str = Field(max_length=200)
    idempotency_key: str = Field(max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


AuditEntry = audit_model(Base)
