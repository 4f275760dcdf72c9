"""Savings initiatives: £ targets per financial year, belonging to a programme and a directorate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from services.common.db import utc_column, utcnow
from services.programmes.base import Base
from services.programmes.savings.schemas import SavingsBase

__all__ = ["SavingsInitiative"]


class SavingsInitiative(Base, SavingsBase, table=True):
    __tablename__ = "savings_initiative"
    # A rejected amount never reaches the table, whoever writes to it.
    __table_args__ = (
        CheckConstraint("target >= 0", name="target_not_negative"),
        CheckConstraint("forecast >= 0", name="forecast_not_negative"),
        CheckConstraint("delivered >= 0", name="delivered_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
