"""Key activities / milestones of a programme."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field

from services.programmes.base import Base
from services.programmes.milestones.schemas import KeyActivityBase


class KeyActivity(Base, KeyActivityBase, table=True):
    __tablename__ = "key_activity"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    position: int
    start_date: date | None = None
    end_date: date | None = Field(default=None, index=True)
    start_precision: str = Field(max_length=20)
    end_precision: str = Field(max_length=20)
    version: int = 1
