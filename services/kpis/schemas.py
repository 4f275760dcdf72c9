"""The SQLModel family for each entity: XBase -> XCreate / XUpdate / XRead (tables live in
models.py)."""

from __future__ import annotations

import math
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, field_validator, model_validator
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
    quarterly = "quarterly"  # 2024/25 Q1, financial-year quarters (April-June 2024)
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


class SignalRule(StrEnum):
    """The XmR (process behaviour) chart rule that fired."""

    beyond_limits = "beyond-limits"  # a point outside the natural process limits
    run = "run"  # 8 points in a row on one side of the mean
    trend = "trend"  # 6 points in a row each rising, or each falling


class SubmissionStatus(StrEnum):
    """Whether a period's value arrived by its due date."""

    on_time = "on-time"
    late = "late"  # the first value arrived after the due date
    missing = "missing"  # due and still no value


class Grouping(StrEnum):
    """What composites are grouped by."""

    aim = "aim"
    outcome = "outcome"
    directorate = "directorate"
    corporate = "corporate"  # the corporate set as a whole
    vital_signs = "vital-signs"  # each directorate's chosen vital signs


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


def _number(value: Any) -> Any:
    """A number as JSON writes one: pydantic's lax mode would read ``false`` as 0.0 and "5" as
    5.0, and a target stored as 0.0 from ``false`` is a wrong figure, not an input error."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise ValueError("must be a number")


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
    baseline_text: str | None = Field(
        default=None,
        max_length=500,
        description="where the baseline comes from, e.g. 'baselined via 2023 citizen survey'",
    )
    baseline_value: float | None = None
    baseline_date: date | None = None
    owner: str | None = Field(default=None, max_length=200)
    source_system: str | None = Field(default=None, max_length=200)
    directorate: str | None = Field(default=None, max_length=200)
    programme_code: str | None = Field(
        default=None, max_length=40, description="the programme that owns the KPI, if one does"
    )
    corporate: bool = Field(default=True, description="in the corporate set of KPIs")
    vital_sign: bool = Field(default=False, description="one of its directorate's vital signs")
    due_days: int = Field(
        default=20, ge=0, le=366, description="days after a period ends that its value is due"
    )
    reporting_from: date | None = Field(
        default=None, description="the first period due; none: no submission schedule"
    )
    demo: bool = Field(
        default=False, description="figures (target, tolerance, values) invented for the demo"
    )

    @field_validator("target", "tolerance", "baseline_value", mode="before")
    @classmethod
    def _check_number(cls, value: Any) -> Any:
        return _number(value)

    @field_validator("target", "tolerance", "baseline_value")
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
    baseline_text: str | None = Field(default=None, max_length=500)
    baseline_value: float | None = None
    baseline_date: date | None = None
    owner: str | None = Field(default=None, max_length=200)
    source_system: str | None = Field(default=None, max_length=200)
    directorate: str | None = Field(default=None, max_length=200)
    programme_code: str | None = Field(default=None, max_length=40)
    corporate: bool | None = None
    vital_sign: bool | None = None
    due_days: int | None = Field(default=None, ge=0, le=366)
    reporting_from: date | None = None
    demo: bool | None = None

    @field_validator("target", "tolerance", "baseline_value", mode="before")
    @classmethod
    def _check_number(cls, value: Any) -> Any:
        return _number(value)

    @field_validator("target", "tolerance", "baseline_value")
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
        max_length=10,
        description="monthly 2024-07, quarterly 2024/25 Q1, annual 2024/25, survey 2024",
    )
    value: float
    note: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(
        default=None, max_length=2000, description="why a restatement changes the value"
    )

    @field_validator("value", mode="before")
    @classmethod
    def _check_number(cls, value: Any) -> Any:
        return _number(value)

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


# Targets by financial year -----------------------------------------------------------------


class TargetBase(SQLModel):
    financial_year: str = Field(
        min_length=7, max_length=7, description="the financial year it applies to, e.g. 2024/25"
    )
    target: float
    tolerance: float = Field(ge=0, description="in the KPI's unit: the Amber band")

    @field_validator("target", "tolerance", mode="before")
    @classmethod
    def _check_number(cls, value: Any) -> Any:
        return _number(value)

    @field_validator("target", "tolerance")
    @classmethod
    def _check_finite(cls, value: float) -> float:
        _finite(value)
        return value


class TargetSet(TargetBase):
    """One financial year's target; setting it again replaces that year's."""


class TargetRead(TargetBase):
    version: int


# Bulk pushes -------------------------------------------------------------------------------
# These come and go ten thousand at a time. SQLModel's __init__ validates a model that is no
# table a second time after pydantic has (and makes pydantic call it for every item): with
# pydantic's own __init__ an item is validated once, five times faster.


class BulkItem(MeasurementBase):
    __init__ = BaseModel.__init__  # type: ignore[assignment]

    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="the KPI's code; not needed when the path names the KPI",
    )
    key: str = Field(
        min_length=1,
        max_length=200,
        description="the item's idempotency key, unique per push (also read as idempotency_key)",
    )

    @model_validator(mode="before")
    @classmethod
    def _key_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "key" not in data and "idempotency_key" in data:
            return {**data, "key": data["idempotency_key"]}
        return data


class BulkPush(SQLModel):
    items: list[BulkItem] = Field(min_length=1, max_length=10_000)


class BulkOutcome(SQLModel):
    __init__ = BaseModel.__init__  # type: ignore[assignment]

    index: int
    code: str
    period: str
    outcome: PushOutcome
    revision: int


class BulkResult(SQLModel):
    __init__ = BaseModel.__init__  # type: ignore[assignment]

    created: int
    restated: int
    unchanged: int
    replayed: int
    items: list[BulkOutcome]


# Machine clients ---------------------------------------------------------------------------


class PushClientBase(SQLModel):
    name: str = Field(min_length=1, max_length=200, description="the directorate system")
    kpi_codes: list[str] = Field(default_factory=list, max_length=1000)
    active: bool = True


class PushClientCreate(PushClientBase):
    client_id: str = Field(
        min_length=1, max_length=200, description="the `sub` of the client's bearer token"
    )


class PushClientUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kpi_codes: list[str] | None = Field(default=None, max_length=1000)
    active: bool | None = None


class PushClientRead(PushClientCreate):
    version: int


# Benchmarks --------------------------------------------------------------------------------


class BenchmarkRow(SQLModel):
    comparator_group: str = Field(min_length=1, max_length=100)
    authority: str = Field(min_length=1, max_length=200)
    value: float


class BenchmarkView(SQLModel):
    """Comparators for one period with the council's own value ranked among them."""

    kpi_code: str
    period: str
    comparator_group: str
    council_value: float | None
    council_rank: int | None = Field(description="1 is best, polarity respected")
    of: int
    comparators: list[BenchmarkRow]


# Series, signals, composites, submissions -------------------------------------------------


class Signal(SQLModel):
    rule: SignalRule
    period: str = Field(description="the period where the rule fired (the run's last point)")
    detail: str


class XmR(SQLModel):
    mean: float
    upper_limit: float
    lower_limit: float
    moving_range_mean: float
    points: int


class SeriesPoint(SQLModel):
    period: str
    period_start: date
    value: float
    revision: int
    target: float | None
    tolerance: float | None
    colour: Colour | None
    direction: Direction | None


class KpiSeries(SQLModel):
    kpi_code: str
    points: list[SeriesPoint]
    improving_for: int = Field(description="consecutive periods improving, up to the latest")
    xmr: XmR | None = Field(description="null until there are enough points")
    signals: list[Signal]


class Composite(SQLModel):
    grouping: Grouping
    group: str
    kpis: int
    with_data: int
    on_target: int
    improving: int
    on_target_percent: float | None
    improving_percent: float | None


class Submission(SQLModel):
    kpi_code: str
    period: str
    due: date
    status: SubmissionStatus
    received_at: datetime | None
