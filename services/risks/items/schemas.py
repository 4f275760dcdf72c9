"""Assumptions, issues and dependencies: the other three RAID registers.

Every item carries the register fields public bodies expect (unique reference, title, author,
owner, dates identified and last updated, status, programme or plan-wide). In the government's
Programme and project data standard an issue maps onto its Issue entity: ``code`` the unique
reference, ``severity``/``priority`` its impact rating and priority, ``resolution`` its
resolution, ``due_on`` its target resolution date, ``risk_id`` the risk it arose from.
Assumptions and dependencies have no entity of their own there; they export as RAID rows.
(Mapped by meaning; the standard's attribute names were not checked against its trial text.)
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from services.risks.vocabulary import (
    AssumptionStatus,
    DependencyStatus,
    IssueStatus,
    Priority,
    Severity,
    column_type,
)


class RegisterFields(SQLModel):
    code: str = Field(
        min_length=1, max_length=40, index=True, unique=True, description="e.g. IRP-A01"
    )
    programme_id: int | None = Field(
        default=None, ge=1, index=True, description="its programme; null for plan-wide"
    )
    title: str = Field(min_length=1, max_length=200)
    description: str | None = None
    owner: str = Field(min_length=1, max_length=200)
    author: str | None = Field(default=None, max_length=200, description="default: the caller")
    identified_on: date | None = Field(default=None, description="default: today (council time)")


class RegisterUpdate(SQLModel):
    programme_id: int | None = Field(default=None, ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=200)


class RegisterRead(SQLModel):
    id: int
    version: int
    created_at: datetime
    updated_at: datetime


# Assumption --------------------------------------------------------------------------------


class AssumptionBase(RegisterFields):
    basis: str | None = Field(default=None, description="what the assumption rests on")
    validate_by: date | None = Field(default=None, description="when it must be tested")
    if_false: str | None = Field(default=None, description="what happens if it proves false")
    status: AssumptionStatus = Field(
        default=AssumptionStatus.unvalidated,
        sa_type=column_type(AssumptionStatus, "assumptionstatus"),  # type: ignore[call-overload]
    )


class AssumptionCreate(AssumptionBase):
    pass


class AssumptionUpdate(RegisterUpdate):
    basis: str | None = None
    validate_by: date | None = None
    if_false: str | None = None
    status: AssumptionStatus | None = None


class AssumptionRead(AssumptionBase, RegisterRead):
    pass


# Issue -------------------------------------------------------------------------------------


class IssueBase(RegisterFields):
    severity: Severity = Field(sa_type=column_type(Severity, "severity"))  # type: ignore[call-overload]
    priority: Priority = Field(sa_type=column_type(Priority, "priority"))  # type: ignore[call-overload]
    resolution: str | None = Field(default=None, description="how it was, or will be, resolved")
    due_on: date | None = Field(default=None, description="when it must be resolved by")
    status: IssueStatus = Field(
        default=IssueStatus.open,
        sa_type=column_type(IssueStatus, "issuestatus"),  # type: ignore[call-overload]
    )


class IssueCreate(IssueBase):
    pass


class IssueUpdate(RegisterUpdate):
    severity: Severity | None = None
    priority: Priority | None = None
    resolution: str | None = None
    due_on: date | None = None
    status: IssueStatus | None = None


class IssueRead(IssueBase, RegisterRead):
    risk_id: int | None = Field(description="the risk it came from, if it materialised from one")
    escalation_id: int | None = Field(
        default=None, description="its open escalation in the programmes service, if escalated"
    )


# Dependency --------------------------------------------------------------------------------


class DependencyBase(SQLModel):
    code: str = Field(
        min_length=1, max_length=40, index=True, unique=True, description="e.g. IRP-D01"
    )
    title: str = Field(min_length=1, max_length=200)
    description: str | None = None
    owner: str = Field(min_length=1, max_length=200)
    author: str | None = Field(default=None, max_length=200, description="default: the caller")
    identified_on: date | None = Field(default=None, description="default: today (council time)")
    from_programme_id: int | None = Field(
        default=None, ge=1, index=True, description="the programme that depends; null: the plan"
    )
    from_activity: str | None = Field(
        default=None, max_length=200, description="the key activity that depends, if narrower"
    )
    to_programme_id: int | None = Field(
        default=None, ge=1, index=True, description="the programme depended on"
    )
    to_activity: str | None = Field(default=None, max_length=200)
    to_external: str | None = Field(
        default=None, max_length=200, description="an external party depended on"
    )
    needed: str | None = Field(default=None, description="what is needed")
    needed_by: date | None = Field(default=None, description="by when")
    status: DependencyStatus = Field(
        default=DependencyStatus.on_track,
        sa_type=column_type(DependencyStatus, "dependencystatus"),  # type: ignore[call-overload]
    )


class DependencyCreate(DependencyBase):
    pass


class DependencyUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    from_programme_id: int | None = Field(default=None, ge=1)
    from_activity: str | None = Field(default=None, max_length=200)
    to_programme_id: int | None = Field(default=None, ge=1)
    to_activity: str | None = Field(default=None, max_length=200)
    to_external: str | None = Field(default=None, max_length=200)
    needed: str | None = None
    needed_by: date | None = None
    status: DependencyStatus | None = None


class DependencyRead(DependencyBase, RegisterRead):
    cycle: list[str] | None = Field(
        default=None,
        description="the codes of a dependency cycle between programmes this one closes: "
        "allowed, but the board should see it",
    )
