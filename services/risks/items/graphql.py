"""GraphQL types for assumptions, issues and dependencies, built from the register rows.

``Dependency.fromProgramme`` / ``toProgramme`` are ``Programme`` entities (the programmes
service resolves their fields), so no per-row lookup happens here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from services.common.graphql import graphql_enum
from services.risks import models
from services.risks.vocabulary import (
    AssumptionStatus,
    DependencyStatus,
    IssueStatus,
    Priority,
    RaidKind,
    Severity,
)

if TYPE_CHECKING:
    from services.risks.graphql import Programme, Risk

ProgrammeRef = Annotated["Programme", strawberry.lazy("services.risks.graphql")]
RiskRef = Annotated["Risk", strawberry.lazy("services.risks.graphql")]

AssumptionStatusEnum = graphql_enum(AssumptionStatus, description="An assumption's state")
IssueStatusEnum = graphql_enum(IssueStatus, description="An issue's state")
SeverityEnum = graphql_enum(Severity, description="How bad an issue is")
PriorityEnum = graphql_enum(Priority, description="How soon an issue must be dealt with")
DependencyStatusEnum = graphql_enum(DependencyStatus, description="A dependency's state")
RaidKindEnum = graphql_enum(RaidKind, description="Which RAID register an item is in")


def _programme(programme_id: int | None) -> Programme | None:
    from services.risks.graphql import Programme

    return None if programme_id is None else Programme(id=strawberry.ID(str(programme_id)))


@strawberry.type(description="An assumption in the RAID log: what the plan takes as true")
class Assumption:
    id: strawberry.ID = strawberry.field(description="its id in the risks service")
    code: str = strawberry.field(description="unique reference, e.g. IRP-A01")
    title: str = strawberry.field(description="the assumption in a line")
    description: str | None = strawberry.field(description="more detail")
    owner: str = strawberry.field(description="who validates it")
    author: str | None = strawberry.field(description="who raised it")
    identified_on: date | None = strawberry.field(description="when it was identified")
    basis: str | None = strawberry.field(description="what it rests on")
    validate_by: date | None = strawberry.field(description="when it must be tested")
    if_false: str | None = strawberry.field(description="what happens if it proves false")
    status: AssumptionStatusEnum = strawberry.field(description="Unvalidated, Valid or Invalid")  # type: ignore[valid-type]
    version: int = strawberry.field(description="send it back to change the assumption")
    programme_id: strawberry.Private[int | None]

    @strawberry.field(description="its programme; null for plan-wide")
    def programme(self) -> ProgrammeRef | None:
        return _programme(self.programme_id)

    @classmethod
    def from_row(cls, row: models.Assumption) -> Assumption:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            title=row.title,
            description=row.description,
            owner=row.owner,
            author=row.author,
            identified_on=row.identified_on,
            basis=row.basis,
            validate_by=row.validate_by,
            if_false=row.if_false,
            status=AssumptionStatus(row.status),
            version=row.version,
            programme_id=row.programme_id,
        )


@strawberry.type(description="An issue in the RAID log: something that has happened")
class Issue:
    id: strawberry.ID = strawberry.field(description="its id in the risks service")
    code: str = strawberry.field(description="unique reference, e.g. IRP-I01")
    title: str = strawberry.field(description="the issue in a line")
    description: str | None = strawberry.field(description="more detail")
    owner: str = strawberry.field(description="who resolves it")
    author: str | None = strawberry.field(description="who raised it")
    identified_on: date | None = strawberry.field(description="when it was identified")
    severity: SeverityEnum = strawberry.field(description="how bad it is")  # type: ignore[valid-type]
    priority: PriorityEnum = strawberry.field(description="how soon it must be dealt with")  # type: ignore[valid-type]
    resolution: str | None = strawberry.field(description="how it was, or will be, resolved")
    due_on: date | None = strawberry.field(description="when it must be resolved by")
    status: IssueStatusEnum = strawberry.field(description="Open, Resolved or Closed")  # type: ignore[valid-type]
    risk_id: strawberry.ID | None = strawberry.field(
        description="the risk it materialised from, if any"
    )
    escalation_id: strawberry.ID | None = strawberry.field(
        description="its open escalation in the programmes service"
    )
    version: int = strawberry.field(description="send it back to change the issue")
    programme_id: strawberry.Private[int | None]

    @strawberry.field(description="its programme; null for plan-wide")
    def programme(self) -> ProgrammeRef | None:
        return _programme(self.programme_id)

    @strawberry.field(description="the risk it materialised from, if any")
    async def risk(self, info: strawberry.Info) -> RiskRef | None:
        from services.risks.graphql import Risk

        if self.risk_id is None:
            return None
        return await Risk.resolve_reference(info, self.risk_id)

    @classmethod
    def from_row(cls, row: models.Issue) -> Issue:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            title=row.title,
            description=row.description,
            owner=row.owner,
            author=row.author,
            identified_on=row.identified_on,
            severity=Severity(row.severity),
            priority=Priority(row.priority),
            resolution=row.resolution,
            due_on=row.due_on,
            status=IssueStatus(row.status),
            risk_id=None if row.risk_id is None else strawberry.ID(str(row.risk_id)),
            escalation_id=None
            if row.escalation_id is None
            else strawberry.ID(str(row.escalation_id)),
            version=row.version,
            programme_id=row.programme_id,
        )


@strawberry.type(description="A dependency in the RAID log: what one programme needs of another")
class Dependency:
    id: strawberry.ID = strawberry.field(description="its id in the risks service")
    code: str = strawberry.field(description="unique reference, e.g. IRP-D01")
    title: str = strawberry.field(description="the dependency in a line")
    description: str | None = strawberry.field(description="more detail")
    owner: str = strawberry.field(description="who manages it")
    from_activity: str | None = strawberry.field(description="the key activity that depends")
    to_activity: str | None = strawberry.field(description="the key activity depended on")
    to_external: str | None = strawberry.field(description="an external party depended on")
    needed: str | None = strawberry.field(description="what is needed")
    needed_by: date | None = strawberry.field(description="by when")
    status: DependencyStatusEnum = strawberry.field(description="On track, At risk, Broken or Met")  # type: ignore[valid-type]
    version: int = strawberry.field(description="send it back to change the dependency")
    from_id: strawberry.Private[int | None]
    to_id: strawberry.Private[int | None]

    @strawberry.field(description="the programme that depends; null when the whole plan does")
    def from_programme(self) -> ProgrammeRef | None:
        return _programme(self.from_id)

    @strawberry.field(description="the programme depended on; null for an activity or party")
    def to_programme(self) -> ProgrammeRef | None:
        return _programme(self.to_id)

    @classmethod
    def from_row(cls, row: models.Dependency) -> Dependency:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            title=row.title,
            description=row.description,
            owner=row.owner,
            from_activity=row.from_activity,
            to_activity=row.to_activity,
            to_external=row.to_external,
            needed=row.needed,
            needed_by=row.needed_by,
            status=DependencyStatus(row.status),
            version=row.version,
            from_id=row.from_programme_id,
            to_id=row.to_programme_id,
        )
