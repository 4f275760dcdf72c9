"""The KPIs service's tables, in metadata of its own."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.asof import register
from services.common.audit import audit_model
from services.common.db import new_registry, utc_column, utcnow
from services.kpis.schemas import KpiBase, MeasurementBase


class Base(SQLModel, registry=new_registry()):
    pass


class Kpi(Base, KpiBase, table=True):
    __table_args__ = (
        CheckConstraint("tolerance IS NULL OR tolerance >= 0", name="tolerance_not_negative"),
        Index("ix_kpi_portfolio_code_aim_code", "portfolio_code", "aim_code"),
        Index("ix_kpi_programme_code", "programme_code"),
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
        # A KPI's latest value is one backward probe (period, then newest revision).
        Index("ix_measurement_kpi_id_period_end_revision", "kpi_id", "period_end", "revision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id")
    period_start: date
    period_end: date
    revision: int = 1
    pushed_by: str = Field(max_length=200)
    idempotency_key: str = Field(max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class KpiTarget(Base, table=True):
    """A KPI's target and tolerance for one financial year; years without one use the KPI's."""

    __tablename__ = "kpi_target"
    __table_args__ = (
        UniqueConstraint("kpi_id", "financial_year"),
        CheckConstraint("tolerance >= 0", name="tolerance_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id")
    financial_year: str = Field(max_length=7)  # 2024/25
    starts_on: date  # 1 April of the year
    target: float
    tolerance: float
    version: int = 1


class PushClient(Base, table=True):
    """A directorate system registered to push values; its grants are read on every push, so
    revoking it or changing them needs no new token."""

    __tablename__ = "push_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=200, unique=True, index=True)
    name: str = Field(max_length=200)
    kpi_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    version: int = 1


class Benchmark(Base, table=True):
    """A comparator authority's value for a KPI and period (LG Inform, CIPFA neighbours)."""

    __table_args__ = (UniqueConstraint("kpi_id", "period", "comparator_group", "authority"),)

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id")
    period: str = Field(max_length=10)
    comparator_group: str = Field(max_length=100)
    authority: str = Field(max_length=200)
    value: float


AuditEntry = audit_model(Base)

# Last, once every table above is declared: as-of reads (services/common/asof.py). KPIs, targets
# and benchmarks get history tables. Values are append-only (a restatement is a new revision) and
# pushed in bulk by Core INSERTs around the session: their as-of view filters the live table by
# each value's own create audit row, so a push writes nothing more for history. A push client's
# grants are access control, not what a pack reports: no history.
history = register(Base, AuditEntry, exclude=("push_client",), append_only=("measurement",))
