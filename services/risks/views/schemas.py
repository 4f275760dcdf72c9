"""What the boards look at: heat map, top risks, what is new or escalated, what is late."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel

from services.risks.items.schemas import DependencyRead, IssueRead
from services.risks.schemas import RiskRead
from services.risks.vocabulary import DependencyStatus, MapNodeKind, ScoreKind


class HeatCell(SQLModel):
    likelihood: int = Field(description="1 (lowest) .. size")
    impact: int = Field(description="1 (lowest) .. size")
    score: int
    band: str
    colour: str
    count: int
    codes: list[str] = Field(description="the risks in the cell, by code")


class HeatMap(SQLModel):
    score_kind: ScoreKind
    matrix_id: int
    matrix_code: str
    matrix_version: int
    likelihood_labels: list[str]
    impact_labels: list[str]
    escalation_score: int
    cells: list[HeatCell] = Field(description="every cell, empty ones included")
    unscored: int = Field(description="risks without this score (no target set)")


class SinceRead(SQLModel):
    since: date
    new: list[RiskRead]
    escalated: list[RiskRead]


class MapNode(SQLModel):
    id: str = Field(description="programme:<id>, other:<activity or party> or plan")
    kind: MapNodeKind = Field(
        description="programme, other (a key activity or external party) or plan"
    )
    programme_id: int | None
    label: str


class MapEdge(SQLModel):
    code: str
    source: str
    target: str
    title: str
    status: DependencyStatus
    needed_by: date | None
    in_cycle: bool


class DependencyMap(SQLModel):
    nodes: list[MapNode]
    edges: list[MapEdge]
    cycles: list[list[str]] = Field(description="dependency codes forming each cycle")


class BoardLists(SQLModel):
    as_of: date
    issues_past_due: list[IssueRead]
    dependencies_at_risk: list[DependencyRead]
