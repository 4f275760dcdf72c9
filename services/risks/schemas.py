"""The SQLModel family for each entity: XBase -> XCreate / XUpdate / XRead (tables live in
models.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import computed_field
from sqlalchemy import Enum
from sqlmodel import Field, SQLModel

SCALE = (1, 5)  # likelihood and impact are each rated on a five-point scale


class RiskStatus(StrEnum):
    open = "Open"
    closed = "Closed"


def score(likelihood: int, impact: int) -> int:
    """A risk's score on the 5x5 matrix: likelihood x impact, 1..25."""
    low, high = SCALE
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if not low <= value <= high:
            raise ValueError(f"{name} {value} is off the {low}..{high} scale")
    return likelihood * impact


# Stored as the value people read ("Open"), in a VARCHAR with a CHECK rather than a native
# PostgreSQL enum, so adding a status later is a constraint change, not an ALTER TYPE.
STATUS_TYPE = Enum(
    RiskStatus,
    name="riskstatus",
    native_enum=False,
    create_constraint=True,
    length=20,
    values_callable=lambda members: [m.value for m in members],
)


def _rating(description: str) -> object:
    return Field(ge=SCALE[0], le=SCALE[1], description=description)


# Risk --------------------------------------------------------------------------------------


class RiskBase(SQLModel):
    code: str = Field(
        min_length=1, max_length=40, index=True, unique=True, description="e.g. IRP-R01"
    )
    programme_id: int | None = Field(
        default=None,
        ge=1,
        index=True,
        description="the programme (in the programmes service) it belongs to; null for plan-wide",
    )
    title: str = Field(min_length=1, max_length=200)
    cause: str | None = None
    description: str = Field(min_length=1)
    owner: str = Field(min_length=1, max_length=200)
    inherent_likelihood: int = _rating("1..5, before controls")  # type: ignore[assignment]
    inherent_impact: int = _rating("1..5, before controls")  # type: ignore[assignment]
    residual_likelihood: int = _rating("1..5, with controls in place")  # type: ignore[assignment]
    residual_impact: int = _rating("1..5, with controls in place")  # type: ignore[assignment]
    mitigation: str | None = None
    status: RiskStatus = Field(default=RiskStatus.open, sa_type=STATUS_TYPE)  # type: ignore[call-overload]


class RiskCreate(RiskBase):
    pass


class RiskUpdate(SQLModel):
    programme_id: int | None = Field(default=None, ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    cause: str | None = None
    description: str | None = Field(default=None, min_length=1)
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    inherent_likelihood: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    inherent_impact: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    residual_likelihood: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    residual_impact: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    mitigation: str | None = None
    status: RiskStatus | None = None


class RiskRead(RiskBase):
    id: int
    version: int
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def inherent_score(self) -> int:
        return score(self.inherent_likelihood, self.inherent_impact)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def residual_score(self) -> int:
        return score(self.residual_likelihood, self.residual_impact)
