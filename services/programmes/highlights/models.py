"""Monthly highlight reports (each revision a row of its own), the reporting periods they are
signed off in, and the dated history of delivery confidence assessments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, String, UniqueConstraint
from sqlmodel import Field

from services.common.db import UTCDateTime, utc_column, utcnow
from services.programmes.base import Base
from services.programmes.highlights.schemas import DCA, PeriodStatus


class ReportingPeriod(Base, table=True):
    """A month's assurance pack: open, or signed off (by whom, when). Signed off, its
    highlight reports are locked: a change is a new revision beside the original."""

    __tablename__ = "reporting_period"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'signed_off')", name="status"),
        CheckConstraint(
            "(status = 'open') = (signed_off_by IS NULL AND signed_off_at IS NULL)",
            name="signed_off_who_when",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7, unique=True, index=True)
    status: str = Field(default=PeriodStatus.open.value, sa_type=String(20))  # PeriodStatus
    signed_off_by: str | None = Field(default=None, max_length=200)
    signed_off_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    version: int = 1


class HighlightReport(Base, table=True):
    """One revision of a programme's report for a period. Revision 1 is the report as
    submitted; once the period is signed off, each change adds the next revision and leaves
    the earlier ones as they were. The current revision is the highest.

    A report declares a DCA with its reason, or (imported as its source has it, like the
    council's 2015 report) neither: then it adds nothing to the DCA history."""

    __tablename__ = "highlight_report"
    __table_args__ = (
        UniqueConstraint("programme_id", "period", "revision"),
        CheckConstraint("(dca IS NULL) = (dca_reason IS NULL)", name="dca_with_reason"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    period: str = Field(max_length=7, index=True)
    revision: int = 1
    dca: DCA | None = None
    dca_reason: str | None = None
    highlights: str | None = None
    # [{what, when, who, when_start, when_end, when_precision}]: when as written, and its window
    next_steps: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    confidence: str | None = Field(default=None, sa_type=String(6))  # Confidence: its word
    decisions_needed: str | None = None
    revision_reason: str | None = None
    author: str = Field(max_length=200)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    version: int = 1


class DcaAssessment(Base, table=True):
    """A dated delivery confidence judgement with its reason and author; never edited, so the
    table is the programme's full DCA history."""

    __tablename__ = "dca_assessment"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    assessed_on: date
    dca: DCA
    reason: str
    author: str = Field(max_length=200)
    highlight_report_id: int | None = Field(
        default=None, foreign_key="highlight_report.id", index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
