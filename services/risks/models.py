"""The risks service's tables, in metadata of its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from services.common.audit import audit_model
from services.common.db import new_registry, utc_column, utcnow
from services.risks.schemas import RiskBase


class Base(SQLModel, registry=new_registry()):
    pass


class Risk(Base, RiskBase, table=True):
    __table_args__ = (
        CheckConstraint("inherent_likelihood BETWEEN 1 AND 5", name="inherent_likelihood_scale"),
        CheckConstraint("inherent_impact BETWEEN 1 AND 5", name="inherent_impact_scale"),
        CheckConstraint("residual_likelihood BETWEEN 1 AND 5", name="residual_likelihood_scale"),
        CheckConstraint("residual_impact BETWEEN 1 AND 5", name="residual_impact_scale"),
        CheckConstraint(
            "residual_score = residual_likelihood * residual_impact", name="residual_score_derived"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Derived (residual_likelihood x residual_impact), kept only so SQL can filter and sort by
    # it; the service writes it with the ratings and the CHECK above refuses any drift.
    residual_score: int = Field(index=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


AuditEntry = audit_model(Base)
