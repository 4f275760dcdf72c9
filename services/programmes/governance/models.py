"""Boards, the escalations that climb them, and each board's decision log."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from services.common.db import utc_column, utcnow
from services.programmes.base import Base
from services.programmes.governance.schemas import (
    BoardBase,
    BoardDecisionBase,
    BoardKind,
    EscalationBase,
    EscalationKind,
    EscalationStatus,
)

__all__ = ["Board", "BoardDecision", "Escalation", "EscalationMove"]


def _enum_column(kind: type[StrEnum], **kwargs: Any) -> Any:
    """The enum's values as VARCHAR: readable in the table, and a new value needs no ALTER TYPE."""
    return sa.Column(
        sa.Enum(
            kind,
            native_enum=False,
            length=30,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        ),
        nullable=False,
        **kwargs,
    )


class Board(Base, BoardBase, table=True):
    __tablename__ = "board"

    id: int | None = Field(default=None, primary_key=True)
    kind: BoardKind = Field(sa_column=_enum_column(BoardKind, index=True))
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    escalates_to_board_id: int | None = Field(default=None, foreign_key="board.id", index=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Escalation(Base, EscalationBase, table=True):
    __tablename__ = "escalation"

    id: int | None = Field(default=None, primary_key=True)
    kind: EscalationKind = Field(sa_column=_enum_column(EscalationKind))
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    raised_by: str = Field(max_length=200)
    # the business date a month's pack goes by (created_at is when the row was written)
    raised_on: date = Field(index=True)
    status: EscalationStatus = Field(
        default=EscalationStatus.open, sa_column=_enum_column(EscalationStatus, index=True)
    )
    # board_decision refers back to escalation: this side is added after both tables exist.
    resolution_decision_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("board_decision.id", use_alter=True),
            nullable=True,
        ),
    )
    resolution_note: str | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class EscalationMove(Base, table=True):
    """One step up the chain: never edited, never deleted."""

    __tablename__ = "escalation_move"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    from_board_id: int = Field(foreign_key="board.id")
    to_board_id: int = Field(foreign_key="board.id")
    moved_by: str = Field(max_length=200)
    moved_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    note: str | None = None


class BoardDecision(Base, BoardDecisionBase, table=True):
    """An entry in a board's decision log: append-only."""

    __tablename__ = "board_decision"

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    decided_on: date = Field(index=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id", index=True)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
