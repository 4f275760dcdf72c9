"""The risks service's tables (the whole RAID log), in metadata of its own."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.asof import register
from services.common.audit import audit_model
from services.common.db import new_registry, utc_column, utcnow
from services.risks.items.schemas import AssumptionBase, DependencyBase, IssueBase
from services.risks.schemas import MitigationBase, RiskBase
from services.risks.vocabulary import EscalationAction, KriTrigger, RaidKind, column_type


class Base(SQLModel, registry=new_registry()):
    pass


def _scale(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} BETWEEN 1 AND 5", name=f"{column}_scale")


class MatrixVersion(Base, table=True):
    """One version of a scoring matrix; rows are never updated once an assessment uses them."""

    __tablename__ = "matrix_version"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, index=True)
    version: int
    name: str = Field(max_length=200)
    size: int
    likelihood_labels: list[str] = Field(sa_column=Column(JSON, nullable=False))
    impact_labels: list[str] = Field(sa_column=Column(JSON, nullable=False))
    bands: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    escalation_score: int
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Risk(Base, RiskBase, table=True):
    __table_args__ = (
        _scale("inherent_likelihood"),
        _scale("inherent_impact"),
        _scale("residual_likelihood"),
        _scale("residual_impact"),
        _scale("target_likelihood"),
        _scale("target_impact"),
        CheckConstraint(
            "residual_score = residual_likelihood * residual_impact", name="residual_score_derived"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Derived (residual_likelihood x residual_impact), kept only so SQL can filter and sort by
    # it; the service writes it with the ratings and the CHECK above refuses any drift.
    residual_score: int = Field(index=True)
    matrix_version_id: int | None = Field(default=None, foreign_key="matrix_version.id")
    # The issue it became; the issue's risk_id carries the foreign key (one direction avoids a
    # cycle of constraints), and materialise writes both in one transaction.
    issue_id: int | None = None
    escalation_id: int | None = Field(default=None, description="in the programmes service")
    needs_review: bool = False
    review_reason: str | None = Field(default=None, max_length=500)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Assessment(Base, table=True):
    """One (re-)assessment of a risk, on the matrix version it was scored on. Append-only."""

    __table_args__ = (
        _scale("inherent_likelihood"),
        _scale("inherent_impact"),
        _scale("residual_likelihood"),
        _scale("residual_impact"),
    )

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(
        sa_column=Column(Integer, ForeignKey("risk.id", ondelete="CASCADE"), index=True)
    )
    matrix_version_id: int = Field(foreign_key="matrix_version.id")
    inherent_likelihood: int
    inherent_impact: int
    residual_likelihood: int
    residual_impact: int
    residual_score: int
    target_likelihood: int | None = None
    target_impact: int | None = None
    assessed_by: str = Field(max_length=200)
    assessed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    reason: str | None = None


class Mitigation(Base, MitigationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(
        sa_column=Column(Integer, ForeignKey("risk.id", ondelete="CASCADE"), index=True)
    )
    completed_on: date | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Assumption(Base, AssumptionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Issue(Base, IssueBase, table=True):
    __tablename__ = "raid_issue"

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int | None = Field(default=None, foreign_key="risk.id", index=True)
    escalation_id: int | None = Field(default=None, description="in the programmes service")
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Dependency(Base, DependencyBase, table=True):
    __table_args__ = (
        CheckConstraint(
            "to_programme_id IS NOT NULL OR to_activity IS NOT NULL OR to_external IS NOT NULL",
            name="has_a_target",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class EscalationStep(Base, table=True):
    """Each escalation, move up and de-escalation of a RAID item, as the item's history."""

    __tablename__ = "escalation_step"

    id: int | None = Field(default=None, primary_key=True)
    item_kind: RaidKind = Field(sa_type=column_type(RaidKind, "raidkind"))  # type: ignore[call-overload]
    item_id: int = Field(index=True)
    action: EscalationAction = Field(sa_type=column_type(EscalationAction, "escalationaction"))  # type: ignore[call-overload]
    escalation_id: int
    board_id: int | None = None
    reason: str | None = None
    actor: str = Field(max_length=200)
    # the business date of the step, what a month's pack goes by (``at`` is when it was written)
    taken_on: date = Field(index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class KeyRiskIndicator(Base, table=True):
    """A risk's link to a KPI in the kpis service, and what about it should prompt a review."""

    __tablename__ = "key_risk_indicator"
    __table_args__ = (UniqueConstraint("risk_id", "kpi_code", "trigger", "threshold"),)

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(
        sa_column=Column(Integer, ForeignKey("risk.id", ondelete="CASCADE"), index=True)
    )
    kpi_code: str = Field(max_length=40, index=True)
    trigger: KriTrigger = Field(sa_type=column_type(KriTrigger, "kritrigger"))  # type: ignore[call-overload]
    threshold: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class KriEvent(Base, table=True):
    """A trigger that fired, once per KPI change: the unique key makes a replayed feed entry
    (after a crash between reading and storing the cursor) count once."""

    __tablename__ = "kri_event"
    __table_args__ = (UniqueConstraint("kri_id", "change_cursor"),)

    id: int | None = Field(default=None, primary_key=True)
    kri_id: int = Field(
        sa_column=Column(Integer, ForeignKey("key_risk_indicator.id", ondelete="CASCADE"))
    )
    change_cursor: int
    message: str = Field(max_length=500)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class FeedCursor(Base, table=True):
    """How far this service has followed another service's change feed."""

    __tablename__ = "feed_cursor"

    source: str = Field(primary_key=True, max_length=40)
    cursor: int = 0


class RaidLink(Base, table=True):
    """A link between two RAID items of any kinds (a risk and the assumption it rests on, an
    issue and the dependency that caused it); read from either end."""

    __tablename__ = "raid_link"
    __table_args__ = (
        UniqueConstraint("from_kind", "from_id", "to_kind", "to_id"),
        CheckConstraint("NOT (from_kind = to_kind AND from_id = to_id)", name="not_itself"),
    )

    id: int | None = Field(default=None, primary_key=True)
    from_kind: RaidKind = Field(sa_type=column_type(RaidKind, "from_kind"))  # type: ignore[call-overload]
    from_id: int = Field(index=True)
    to_kind: RaidKind = Field(sa_type=column_type(RaidKind, "to_kind"))  # type: ignore[call-overload]
    to_id: int = Field(index=True)
    note: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


AuditEntry = audit_model(Base)

# Last, once every table above is declared: each gets a history table for as-of reads. The feed
# cursor is plumbing (where this service has read the kpis feed to), not part of the RAID log.
history = register(Base, AuditEntry, exclude=("feed_cursor",))
