"""Highlight reports, reporting periods and delivery confidence: what callers send and read."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

# Shared with other sub-domains; re-exported as this sub-domain's own words.
from services.programmes.vocabulary import DCA as DCA
from services.programmes.vocabulary import DCA_SCALE as DCA_SCALE

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_period(value: str) -> str:
    if not PERIOD.match(value):
        raise ValueError("a reporting period is a month written YYYY-MM, e.g. 2024-07")
    return value


def financial_year_start(period: str) -> int:
    """The April-March financial year a reporting month falls in (2015-04 and 2016-03 -> 2015),
    which anchors a next step's bare quarter ("Q1") to dates."""
    year, month = (int(part) for part in period.split("-"))
    return year if month >= 4 else year - 1


# Scales ------------------------------------------------------------------------------------


class Confidence(StrEnum):
    """The 2015 report's confidence column."""

    high = "High"
    medium = "Medium"
    low = "Low"

    @classmethod
    def read(cls, value: Any) -> Any:
        if isinstance(value, str):
            key = value.strip().lower().rstrip(".")
            found = {"high": cls.high, "medium": cls.medium, "med": cls.medium, "low": cls.low}
            return found.get(key, value)
        return value


class PeriodStatus(StrEnum):
    open = "open"
    signed_off = "signed_off"


def _dca(value: Any) -> Any:
    value = DCA.read(value)
    if value is not None and not isinstance(value, DCA):
        raise ValueError(f"{value!r} is not on the DCA scale: {DCA_SCALE}")
    return value


def _confidence(value: Any) -> Any:
    value = Confidence.read(value)
    if value is not None and not isinstance(value, Confidence):
        raise ValueError(f"{value!r} is not a confidence: High, Medium (or Med) or Low")
    return value


def _steps(value: Any) -> Any:
    """Next steps as a list; the old single text (or a list of texts) is read as "what"."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"what": value}] if value.strip() else []
    if isinstance(value, list):
        return [{"what": v} if isinstance(v, str) else v for v in value]
    return value


# What a caller writes is read leniently (see DCA.read, Confidence.read, _steps) before the
# field's type checks it.
ReadDca = BeforeValidator(_dca)
ReadConfidence = BeforeValidator(_confidence)
ReadSteps = BeforeValidator(_steps)


class Schema(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


# Next steps --------------------------------------------------------------------------------


class NextStep(Schema):
    """One row of the report's NEXT STEPS / WHEN / WHO columns."""

    what: str = Field(min_length=1, max_length=4000)
    when: str | None = Field(
        default=None, max_length=80, description='as written: "Q2", "June 2024", "Q1/2"'
    )
    who: str | None = Field(default=None, max_length=200)
    confidence: Annotated[Confidence | None, ReadConfidence] = Field(
        default=None, description="the row's own confidence, where the report gives one per row"
    )

    @field_validator("when", "who")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class NextStepRead(BaseModel):
    what: str
    when: str | None = None
    who: str | None = None
    confidence: Confidence | None = None
    when_start: date | None = Field(default=None, description="the window `when` was read as")
    when_end: date | None = None
    when_precision: str = Field(
        default="unknown", description="day, month, quarter, season, year ... or unknown"
    )


# Highlight report --------------------------------------------------------------------------


class HighlightReportCreate(Schema):
    period: str = Field(max_length=7, description="reporting month, YYYY-MM")
    dca: Annotated[DCA, ReadDca] = Field(
        description=f"overall status, the Delivery Confidence Assessment: {DCA_SCALE}"
    )
    dca_reason: str = Field(min_length=1, description="why this DCA")
    highlights: str | None = Field(default=None, description="highlights on progress")
    next_steps: Annotated[list[NextStep], ReadSteps] = Field(default_factory=list)
    confidence: Annotated[Confidence | None, ReadConfidence] = Field(
        default=None, description="High, Medium or Low (Med is read as Medium)"
    )
    decisions_needed: str | None = Field(default=None, description="decisions or escalations")

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return check_period(value)


class HighlightReportUpdate(Schema):
    """A change to a report: only the fields sent change. While its period is open the current
    revision is edited; once the period is signed off the change becomes a new revision."""

    dca: Annotated[DCA | None, ReadDca] = None
    dca_reason: str | None = Field(default=None, min_length=1)
    highlights: str | None = None
    next_steps: Annotated[list[NextStep] | None, ReadSteps] = None
    confidence: Annotated[Confidence | None, ReadConfidence] = None
    decisions_needed: str | None = None
    revision_reason: str | None = Field(
        default=None, max_length=2000, description="why the report changed"
    )


class HighlightReportRead(BaseModel):
    id: int = Field(description="this revision's id")
    programme_id: int
    period: str
    revision: int = Field(description="1 for the report as submitted, 2, 3 ... for later ones")
    current: bool = Field(description="the newest revision of the programme's report for period")
    superseded: bool = Field(description="a later revision replaces this one")
    superseded_by_id: int | None = None
    superseded_at: datetime | None = None
    supersedes_id: int | None = Field(default=None, description="the revision this one replaced")
    locked: bool = Field(description="the period is signed off: a change makes a new revision")
    dca: DCA | None = Field(
        description="null only for a report imported from a source that declares no DCA"
    )
    dca_rag: str | None = Field(description="the DCA mapped to Red/Amber/Green")
    dca_reason: str | None
    highlights: str | None
    next_steps: list[NextStepRead]
    confidence: Confidence | None
    decisions_needed: str | None
    revision_reason: str | None
    author: str = Field(description="who submitted this revision")
    submitted_at: datetime = Field(description="when this revision was submitted")
    updated_at: datetime
    version: int


# Reporting period --------------------------------------------------------------------------


class ReportingPeriodRead(BaseModel):
    period: str
    status: PeriodStatus
    signed_off_by: str | None
    signed_off_at: datetime | None
    created_at: datetime
    version: int


# Delivery confidence -----------------------------------------------------------------------


class DcaAssessmentCreate(Schema):
    dca: Annotated[DCA, ReadDca] = Field(description=DCA_SCALE)
    reason: str = Field(min_length=1)
    assessed_on: date | None = Field(
        default=None, description="the date of the judgement; today (UK) when left out"
    )


class DcaAssessmentRead(BaseModel):
    id: int
    programme_id: int
    assessed_on: date
    dca: DCA
    dca_rag: str
    reason: str
    author: str
    highlight_report_id: int | None = Field(
        description="the highlight report revision that declared it, if one did"
    )
    created_at: datetime
