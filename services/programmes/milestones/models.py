"""Key activities / milestones of a programme."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Column, Integer, String
from sqlmodel import Field

from services.programmes.base import Base
from services.programmes.milestones.schemas import KeyActivityBase, Status


class KeyActivity(Base, KeyActivityBase, table=True):
    __tablename__ = "key_activity"
    __table_args__ = (
        CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent_complete_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    workstream_id: int | None = Field(default=None, foreign_key="workstream.id", index=True)
    position: int
    # The baseline: the window parsed from start_text / end_text.
    start_date: date | None = None
    end_date: date | None = Field(default=None, index=True)
    start_precision: str = Field(max_length=20)
    end_precision: str = Field(max_length=20)
    forecast_date: date | None = Field(default=None, index=True)
    actual_date: date | None = None
    status: str = Field(
        default=Status.not_started.value,
        sa_column=Column(
            String(20), nullable=False, server_default=Status.not_started.value, index=True
        ),
    )
    percent_complete: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    owner: str | None = Field(default=None, max_length=200)
    version: int = 1
