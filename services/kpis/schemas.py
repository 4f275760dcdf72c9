"""The SQLModel family for each entity: XBase -> XCreate / XUpdate / XRead (tables live in
models.py)."""

from __future__ import annotations

import math
from datetime import date, datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel


class Unit(StrEnum):
    percent = "%"
    pounds = "£"
    number = "count"  # not `count`: that would hide str.count
    rate_per_1000 = "rate per 1,000"
    days = "days"
    score = "score"


class Frequency(StrEnum):
    """How often a KPI is measured; each writes its period its own way (see periods.py)."""

    monthly = "monthly"  # 2024-07
    quarterly = "quarterly"  # 2024-Q2, calendar quarters
    annual = "annual"  # 2024/25, financial year April-March
    survey = "survey"  # 2024


class Colour(StrEnum):
    """The council's KPI colour."""

    blue = "Blue"  # exceeding target beyond tolerance
    green = "Green"  # on target
    amber = "Amber"  # below target but within tolerance
    red = "Red"  # beyond tolerance


class Direction(StrEnum):
    """Direction of travel against the previous period, polarity respected."""

    improving = "Improving"
    worsening = "Worsening"
    unchanged = "Unchanged"


class PushOutcome(StrEnum):
    created = "created"  # first value for the period: revision 1
    restated = "restated"  # a different value: a new revision beside the original
    unchanged = "unchanged"  # the same value as the current revision: nothing written
    replayed = "replayed"  # the same Idempotency-Key and body again: nothing written


def stored_as_values(enum: type[StrEnum], name: str) -> SAEnum:
    """VARCHAR holding the enum's values, checked by a constraint: readable by SQL consumers,
    and a new member is a constraint change rather than a native type change."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda members: [m.value for m in members],
    )


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


# KPI ---------------------------------------------------------------------------------------


class KpiBase(SQLModel):
    code: str = Field(min_length=1, max_length=40, index=True, unique=True)
    name: str = Field(min_length=1, max_length=500)
    portfolio_code: str = Field(min_length=1, max_length=40)
    aim_code: str = Field(min_length=1, max_length=40)
    outcome: str = Field(min_length=1, max_length=500)
    unit: Unit = Field(sa_type=stored_as_values(Unit, "unit"))
    higher_is_better: bool
    frequency: Frequency = Field(sa_type=stored_as_values(Frequency, "frequency"))
    target: float | None = None
    tolerance: float | None = Field(
        default=None, ge=0, description="in the KPI's unit: the Amber band beside the target"
    )
    baseline_text: str | None = None
    owner: str | None = Field(default=None, max_length=200)
    source_system: str | None = Field(default=None, max_length=200)

    @field_validator("target", "tolerance")
    @classmethod
    def _check_finite(cls, value: float | None) -> float | None:
        return _finite(value)


class KpiCreate(KpiBase):
    pass


class KpiUpdate(SQLModel):
    """Everything but the code, which machine clients' tokens name."""

    name: str | None = Field(default=None, min_length=1, max_length=500)
    portfolio_code: str | None = Field(default=None, min_length=1, max_length=40)
    aim_code: str | None = Field(default=None, min_length=1, max_length=40)
    outcome: str | None = Field(default=None, min_length=1, max_length=500)
    unit: Unit | None = None
    higher_is_better: bool | None = None
    frequency: Frequency | None = None
    target: float | None = None
    tolerance: float | None = Field(default=None, ge=0)
    baseline_text: str | None = None
    owner: str | None = Field(default=None, max_length=200)
    source_system: str | None = Field(default=None, max_length=200)

    @field_validator("target", "tolerance")
    @classmethod
    def _check_finite(cls, value: float | None) -> float | None:
        return _finite(value)


class KpiRead(KpiBase):
    id: int
    version: int
    created_at: datetime
    updated_at: datetime


# Measurement -------------------------------------------------------------------------------


class MeasurementBase(SQLModel):
    period: str = Field(
        min_length=1,
        max_length=7,
        description="monthly 2024-07, quarterly 2024-Q2, annual 2024/25, survey 2024",
    )
    value: float
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("value")
    @classmethod
    def _check_finite(cls, value: float) -> float:
        _finite(value)
        return value


class MeasurementCreate(MeasurementBase):
    """The body of a push; the period's format is checked against the KPI's frequency."""


class MeasurementRead(MeasurementBase):
    id: int
    kpi_id: int
    period_start: date
    period_end: date
    revision: int
    pushed_by: str
    idempotency_key: str
    received_at: datetime


class KpiAssessment(SQLModel):
    """The current value of a KPI's latest period, with its colour and direction of travel.

    ``previous`` is the current value of the nearest earlier period that has one; direction is
    measured against it."""

    kpi_code: str
    up_to_period: str | None
    measurement: MeasurementRead | None
    colour: Colour | None
    direction: Direction | None
    previous: MeasurementRead | None
