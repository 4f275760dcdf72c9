"""Key activities / milestones: XBase -> XCreate / XUpdate / XRead.

A milestone keeps the plan's baseline as written (``start_text``/``end_text``) beside the window
parsed from it, and adds what monitoring records: a forecast date, an actual date, a status, a
percentage complete and an owner.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel

# Shared with actions; re-exported as this sub-domain's own words.
from services.programmes.vocabulary import STATUS_HELP as STATUS_HELP
from services.programmes.vocabulary import Status as Status

# Key activity ------------------------------------------------------------------------------


class KeyActivityBase(SQLModel):
    title: str = Field(min_length=1)
    start_text: str | None = Field(
        default=None, max_length=80, description="baseline start as the plan writes it"
    )
    end_text: str | None = Field(
        default=None, max_length=80, description="baseline end as the plan writes it"
    )


class KeyActivityCreate(KeyActivityBase):
    workstream_id: int | None = Field(
        default=None, description="a workstream of the same programme"
    )
    forecast_date: date | None = None
    actual_date: date | None = Field(
        default=None, description="when it was completed; defaults to today on completion"
    )
    status: Status = Field(default=Status.not_started, description=STATUS_HELP)
    percent_complete: int = Field(default=0, ge=0, le=100)
    owner: str | None = Field(default=None, max_length=200)


class KeyActivityUpdate(SQLModel):
    """Only the fields sent change; ``null`` clears an optional field."""

    title: str | None = Field(default=None, min_length=1)
    start_text: str | None = Field(default=None, max_length=80)
    end_text: str | None = Field(default=None, max_length=80)
    workstream_id: int | None = None
    forecast_date: date | None = None
    actual_date: date | None = None
    status: Status | None = Field(default=None, description=STATUS_HELP)
    percent_complete: int | None = Field(default=None, ge=0, le=100)
    owner: str | None = Field(default=None, max_length=200)


class KeyActivityRead(KeyActivityBase):
    id: int
    programme_id: int
    workstream_id: int | None
    position: int
    start_date: date | None = Field(description="baseline window start, parsed from start_text")
    end_date: date | None = Field(description="baseline window end, parsed from end_text")
    start_precision: str
    end_precision: str
    forecast_date: date | None
    actual_date: date | None
    status: Status
    percent_complete: int
    owner: str | None
    version: int
    due_date: date | None = Field(description="the forecast date, else the baseline end")
    slippage_days: int | None = Field(
        description="forecast date minus baseline end, in days; null when either is missing"
    )
    overdue: bool = Field(description="not completed and due before today")


MilestoneRead = KeyActivityRead
