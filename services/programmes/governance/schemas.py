"""Boards, escalations and decision logs: XBase -> XCreate / XUpdate / XRead.

The escalation route of the 2024 Improvement and Recovery Plan: a programme's issues go to its
Directorate Board (or a dedicated programme board), then the Transformation and Improvement Board
(TIB), then the commissioners' Improvement and Recovery Board (IRB), after which the Audit and
Overview and Scrutiny committees give member assurance. Each board points at the next with
``escalates_to_board_id``; an escalation always moves to a board of a higher rank.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from services.common.inputs import BusinessDate


class BoardKind(StrEnum):
    programme_board = "Programme Board"
    directorate_board = "Directorate Board"
    tib = "TIB"
    irb = "IRB"
    committee = "Committee"

    @property
    def rank(self) -> int:
        """Lower ranks escalate to higher ones, never sideways or down (so chains cannot loop)."""
        return list(BoardKind).index(self)

    @property
    def full_name(self) -> str:
        return {
            "TIB": "Transformation and Improvement Board",
            "IRB": "Improvement and Recovery Board",
        }.get(self.value, self.value)


class EscalationKind(StrEnum):
    programme_exception = "programme_exception"
    risk = "risk"
    issue = "issue"


class EscalationStatus(StrEnum):
    open = "open"
    resolved = "resolved"
    closed = "closed"


# Board -------------------------------------------------------------------------------------


class BoardBase(SQLModel):
    code: str = Field(min_length=1, max_length=40, index=True, unique=True)
    name: str = Field(min_length=1, max_length=200)
    kind: BoardKind
    directorate: str | None = Field(
        default=None, max_length=120, index=True, description="required for a Directorate Board"
    )
    chair: str | None = Field(default=None, max_length=200)
    notes: str | None = None


class BoardCreate(BoardBase):
    programme_id: int | None = Field(
        default=None, description="the programme a Programme Board oversees (required for one)"
    )
    escalates_to_board_id: int | None = Field(
        default=None, description="the next board up; none for the top of a chain"
    )


class BoardUpdate(SQLModel):
    code: str | None = Field(default=None, min_length=1, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: BoardKind | None = None
    directorate: str | None = Field(default=None, max_length=120)
    programme_id: int | None = None
    chair: str | None = Field(default=None, max_length=200)
    escalates_to_board_id: int | None = None
    notes: str | None = None


class BoardRead(BoardBase):
    id: int
    programme_id: int | None
    escalates_to_board_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class DefaultBoard(SQLModel):
    """A board as the 2024 plan names it; ``escalates_to_code`` is resolved by whoever loads it
    (create in the order given: each board's target comes before it)."""

    code: str
    name: str
    kind: BoardKind
    directorate: str | None = None
    chair: str | None = None
    escalates_to_code: str | None = None
    notes: str | None = None


# Escalation --------------------------------------------------------------------------------


class EscalationBase(SQLModel):
    kind: EscalationKind
    item_ref: str | None = Field(
        default=None,
        max_length=100,
        description="the escalated item's reference, e.g. a risk id in the risks service",
    )
    title: str = Field(min_length=1, max_length=300)
    reason: str = Field(min_length=1, description="why it needs the board's decision")


class EscalationCreate(EscalationBase):
    programme_id: int | None = Field(default=None, description="required for a programme_exception")
    board_id: int | None = Field(
        default=None,
        description="the board it is raised at; default: the programme's board, else the "
        "Directorate Board of the programme's directorate",
    )
    raised_by: str | None = Field(
        default=None, max_length=200, description="default: the caller's subject"
    )
    raised_on: BusinessDate | None = Field(
        default=None,
        description="the day it was raised (the business date a month's pack goes by); "
        "default: today (council time); not in the future",
    )


class EscalationUpdate(SQLModel):
    """Edit the facts, or change status: resolving needs ``resolution_decision_id``."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    reason: str | None = Field(default=None, min_length=1)
    item_ref: str | None = Field(default=None, max_length=100)
    raised_on: BusinessDate | None = Field(
        default=None, description="correct the day it was raised"
    )
    status: EscalationStatus | None = None
    resolution_decision_id: int | None = Field(
        default=None, description="the board decision that resolves it (required to resolve)"
    )
    resolution_note: str | None = None


class EscalateRequest(SQLModel):
    note: str | None = Field(default=None, description="why it goes up a level")


class EscalationMoveRead(SQLModel):
    id: int
    from_board_id: int
    to_board_id: int
    moved_by: str
    moved_at: datetime
    note: str | None


class EscalationRead(EscalationBase):
    id: int
    programme_id: int | None
    board_id: int = Field(description="the board it is now before")
    raised_by: str
    raised_on: date = Field(description="the day it was raised (council time)")
    status: EscalationStatus
    resolution_decision_id: int | None
    resolution_note: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    moves: list[EscalationMoveRead] = []


# Board decision ----------------------------------------------------------------------------


class BoardDecisionBase(SQLModel):
    decided_on: date
    decision: str = Field(min_length=1)
    decided_by: str = Field(min_length=1, max_length=200, description="e.g. the board, its chair")
    reference: str | None = Field(default=None, max_length=100, description="e.g. minute number")


class BoardDecisionCreate(BoardDecisionBase):
    escalation_id: int | None = Field(
        default=None, description="the escalation decided on; it must have come before the board"
    )


class BoardDecisionRead(BoardDecisionBase):
    id: int
    escalation_id: int | None
    board_id: int
    recorded_by: str
    recorded_at: datetime
