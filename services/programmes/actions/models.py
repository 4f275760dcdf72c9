"""Actions of a programme (the 2015 action plan's numbered actions)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field

from services.programmes.actions.schemas import ActionBase
from services.programmes.base import Base
from services.programmes.vocabulary import Status


class Action(Base, ActionBase, table=True):
    __tablename__ = "action"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    # The number, zero-padded part by part, so 1.2 sorts before 1.10.
    number_key: str = Field(max_length=120)
    timescale_start: date | None = None
    timescale_end: date | None = Field(default=None, index=True)
    timescale_precision: str = Field(max_length=20)
    status: str = Field(
        default=Status.not_started.value,
        sa_column=Column(
            String(20), nullable=False, server_default=Status.not_started.value, index=True
        ),
    )
    version: int = 1
