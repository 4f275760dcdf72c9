"""The RAID log's words: every status, scale and kind the registers use, as typed enums.

Stored as the value people read ("Open"), in a VARCHAR with a CHECK rather than a native
PostgreSQL enum, so adding a value later is a constraint change, not an ALTER TYPE.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Enum


def column_type(kind: type[StrEnum], name: str, length: int = 20) -> Any:
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class RiskStatus(StrEnum):
    open = "Open"
    treating = "Treating"
    tolerated = "Tolerated"
    closed = "Closed"
    materialised = "Materialised"


# A risk in one of these can still be re-assessed, mitigated, escalated or materialise.
LIVE_RISK = (RiskStatus.open, RiskStatus.treating, RiskStatus.tolerated)


class Appetite(StrEnum):
    """The council's appetite for the risk, on the Orange Book's five-point scale."""

    averse = "Averse"
    minimal = "Minimal"
    cautious = "Cautious"
    open = "Open"
    eager = "Eager"


class Proximity(StrEnum):
    """How soon the risk would strike if it materialised."""

    imminent = "Within 1 month"
    near = "1 to 3 months"
    medium = "3 to 12 months"
    distant = "Over 12 months"


class AssumptionStatus(StrEnum):
    unvalidated = "Unvalidated"
    valid = "Valid"
    invalid = "Invalid"


class IssueStatus(StrEnum):
    open = "Open"
    resolved = "Resolved"
    closed = "Closed"


class Severity(StrEnum):
    low = "Low"
    medium = "Medium"
    high = "High"
    critical = "Critical"


class Priority(StrEnum):
    low = "Low"
    medium = "Medium"
    high = "High"
    urgent = "Urgent"


class DependencyStatus(StrEnum):
    on_track = "On track"
    at_risk = "At risk"
    broken = "Broken"
    met = "Met"


class MapNodeKind(StrEnum):
    """What a node of the dependency map stands for."""

    programme = "programme"
    other = "other"  # a key activity or an external party, named by the dependency
    plan = "plan"  # the plan as a whole, for a dependency no one programme holds


class DependencyDirection(StrEnum):
    """Which of a programme's dependencies: those it has on others (out), others' on it (in)."""

    in_ = "in"  # ``in`` is a Python keyword; GraphQL names it IN
    out = "out"


class MitigationStatus(StrEnum):
    planned = "Planned"
    in_progress = "In progress"
    done = "Done"
    cancelled = "Cancelled"


OPEN_MITIGATION = (MitigationStatus.planned, MitigationStatus.in_progress)


class RaidKind(StrEnum):
    risk = "risk"
    assumption = "assumption"
    issue = "issue"
    dependency = "dependency"


class EscalationAction(StrEnum):
    escalated = "escalated"
    moved_up = "moved up"
    de_escalated = "de-escalated"


class ScoreKind(StrEnum):
    """Which of a risk's three scores: before controls, now, and where treatment should get it."""

    inherent = "inherent"
    current = "current"
    target = "target"


class KriTrigger(StrEnum):
    """When a key risk indicator asks for the risk to be reviewed."""

    goes_red = "goes Red"
    above = "above"
    below = "below"
