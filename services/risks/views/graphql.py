"""GraphQL for the rest of the RAID log: the three other registers, score history,
mitigations, matrices and the boards' views. Mixed into the subgraph's Query and Mutation."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common import asof
from services.common.errors import FieldError
from services.common.graphql import (
    Context,
    Limit,
    Offset,
    Page,
    graphql_enum,
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
from services.common.pagination import PageParams, Window
from services.risks import models, service
from services.risks.items import service as items
from services.risks.items.graphql import (
    Assumption,
    AssumptionStatusEnum,
    Dependency,
    DependencyStatusEnum,
    Issue,
    IssueStatusEnum,
    PriorityEnum,
    SeverityEnum,
)
from services.risks.items.schemas import AssumptionCreate, DependencyCreate, IssueCreate
from services.risks.matrices import service as matrices
from services.risks.schemas import AssessmentCreate, MaterialiseRequest, MitigationCreate
from services.risks.views import service as views
from services.risks.vocabulary import MapNodeKind, MitigationStatus, RaidKind, ScoreKind

if TYPE_CHECKING:
    from services.risks.graphql import Risk

Ctx = Info[Context, None]
RiskRef = Annotated["Risk", strawberry.lazy("services.risks.graphql")]
ScoreKindEnum = graphql_enum(ScoreKind, description="inherent, current or target")
MitigationStatusEnum = graphql_enum(MitigationStatus, description="A mitigating action's state")
MapNodeKindEnum = graphql_enum(
    MapNodeKind, description="What a node of the dependency map stands for"
)
# The day overdue checks judge by, described once.
JudgedOn = Annotated[
    date | None,
    strawberry.argument(description="judge by this day; default: today, or the cut's day"),
]


def _risk(row: models.Risk) -> Risk:
    from services.risks.graphql import Risk

    return Risk.from_row(row)


def upstream(info: Ctx) -> dict[str, Any]:
    """The same outbound client and programmes URL the REST routes use."""
    request = info.context.request
    if request is None:  # the FastAPI GraphQL router always sets it
        raise RuntimeError("GraphQL context without its HTTP request")
    state = request.app.state
    return {"http": state.http, "programmes_url": state.settings.programmes_url}


@strawberry.type(description="A mitigating action on a risk")
class Mitigation:
    id: strawberry.ID = strawberry.field(description="its id")
    description: str = strawberry.field(description="what will be done")
    owner: str = strawberry.field(description="who does it")
    due_on: date = strawberry.field(description="when it is due")
    status: MitigationStatusEnum = strawberry.field(description="where it stands")  # type: ignore[valid-type]
    completed_on: date | None = strawberry.field(description="when it was done")
    version: int = strawberry.field(description="send it back to change the action")

    @classmethod
    def from_row(cls, row: models.Mitigation) -> Mitigation:
        return cls(
            id=strawberry.ID(str(row.id)),
            description=row.description,
            owner=row.owner,
            due_on=row.due_on,
            status=MitigationStatus(row.status),
            completed_on=row.completed_on,
            version=row.version,
        )


@strawberry.type(description="One assessment of a risk, on the matrix version it was scored on")
class Assessment:
    id: strawberry.ID = strawberry.field(description="its id")
    matrix_version_id: strawberry.ID = strawberry.field(description="the matrix version used")
    inherent_score: int = strawberry.field(description="inherent likelihood x impact")
    residual_likelihood: int = strawberry.field(description="current likelihood then")
    residual_impact: int = strawberry.field(description="current impact then")
    residual_score: int = strawberry.field(description="current score then")
    target_score: int | None = strawberry.field(description="target score then, if set")
    assessed_by: str = strawberry.field(description="who assessed it")
    assessed_at: datetime = strawberry.field(description="when")
    reason: str | None = strawberry.field(description="why the score changed")

    @classmethod
    def from_row(cls, row: models.Assessment) -> Assessment:
        target = (
            None
            if row.target_likelihood is None or row.target_impact is None
            else row.target_likelihood * row.target_impact
        )
        return cls(
            id=strawberry.ID(str(row.id)),
            matrix_version_id=strawberry.ID(str(row.matrix_version_id)),
            inherent_score=row.inherent_likelihood * row.inherent_impact,
            residual_likelihood=row.residual_likelihood,
            residual_impact=row.residual_impact,
            residual_score=row.residual_score,
            target_score=target,
            assessed_by=row.assessed_by,
            assessed_at=row.assessed_at,
            reason=row.reason,
        )


@strawberry.type(description="A score band of a matrix")
class Band:
    name: str = strawberry.field(description="e.g. Very high")
    min_score: int = strawberry.field(description="lowest score in it")
    max_score: int = strawberry.field(description="highest score in it")
    colour: str = strawberry.field(description="#rrggbb")


@strawberry.type(description="A version of a scoring matrix")
class Matrix:
    id: strawberry.ID = strawberry.field(description="its id")
    code: str = strawberry.field(description="the matrix's name")
    version: int = strawberry.field(description="1, 2, ...: a change makes a new version")
    size: int = strawberry.field(description="levels of likelihood and of impact")
    likelihood_labels: list[str] = strawberry.field(description="lowest first")
    impact_labels: list[str] = strawberry.field(description="lowest first")
    bands: list[Band] = strawberry.field(description="score bands, lowest first")
    escalation_score: int = strawberry.field(description="the escalation line")


@strawberry.type(description="One cell of a heat map")
class HeatCell:
    likelihood: int = strawberry.field(description="likelihood level")
    impact: int = strawberry.field(description="impact level")
    score: int = strawberry.field(description="likelihood x impact")
    band: str = strawberry.field(description="its band's name")
    colour: str = strawberry.field(description="its band's colour")
    count: int = strawberry.field(description="how many risks are in it")
    codes: list[str] = strawberry.field(description="which risks, by code")


@strawberry.type(description="Live risks counted per matrix cell")
class HeatMap:
    score_kind: ScoreKindEnum = strawberry.field(description="which score was mapped")  # type: ignore[valid-type]
    matrix_version: int = strawberry.field(description="the matrix version drawn")
    cells: list[HeatCell] = strawberry.field(description="every cell, empty ones too")
    unscored: int = strawberry.field(description="risks without this score")


@strawberry.type(description="An edge of the dependency map")
class MapEdge:
    code: str = strawberry.field(description="the dependency's code")
    source: str = strawberry.field(description="the node that depends")
    target: str = strawberry.field(description="the node depended on")
    status: DependencyStatusEnum = strawberry.field(description="the dependency's status")  # type: ignore[valid-type]
    in_cycle: bool = strawberry.field(description="part of a cycle the board should see")


@strawberry.type(description="A node of the dependency map")
class MapNode:
    id: str = strawberry.field(description="programme:<id>, other:<name> or plan")
    kind: MapNodeKindEnum = strawberry.field(description="programme, other or plan")  # type: ignore[valid-type]
    label: str = strawberry.field(description="what to show")


@strawberry.type(description="Programmes and parties linked by dependencies")
class DependencyMap:
    nodes: list[MapNode] = strawberry.field(description="every party")
    edges: list[MapEdge] = strawberry.field(description="every dependency")
    cycles: list[list[str]] = strawberry.field(description="dependency codes of each cycle")


async def _window(
    session: AsyncSession, kind: RaidKind, page: PageParams, **filters: Any
) -> Window[Any]:
    if kind is RaidKind.risk:
        return await service.list_risks(session=session, page=page, **filters)
    status = filters.pop("status")
    return await items.list_items(
        session=session,
        kind=kind,
        page=page,
        status=None if status is None else status.value,
        **filters,
    )


def register_list(
    kind: RaidKind,
    item: type,
    status: type[Enum],
    description: str,
    *,
    of_programme: str = "only this programme's",
) -> Any:
    """A root list of one RAID register as a field: the four registers take the same filters
    and answer the same page, differing only in kind, item type and status vocabulary."""

    async def resolve(
        self: Any,
        info: Ctx,
        programme_id: strawberry.ID | None = None,
        plan_wide: bool | None = None,
        status: Enum | None = None,
        limit: int = 100,
        offset: int = 0,
        identified_by: date | None = None,
    ) -> Any:
        params = page(limit, offset)
        async with info.context.reading() as session:
            found = await _window(
                session,
                kind,
                params,
                programme_id=optional_id(programme_id, "programmeId"),
                plan_wide=plan_wide,
                status=status,
                identified_by=identified_by,
            )
        return Page.of(found, item.from_row)  # type: ignore[attr-defined]

    # Annotations are set here, not written above, because the item and status types are this
    # call's arguments; strawberry reads the signature from them.
    resolve.__annotations__ = {
        "info": Ctx,
        "programme_id": Annotated[
            strawberry.ID | None, strawberry.argument(description=of_programme)
        ],
        "plan_wide": Annotated[
            bool | None,
            strawberry.argument(
                description="true: only those of no programme; false: only programmes'"
            ),
        ],
        "status": Annotated[status | None, strawberry.argument(description="only in this status")],
        "limit": Limit,
        "offset": Offset,
        "identified_by": Annotated[
            date | None,
            strawberry.argument(description="only those identified on or before this day"),
        ],
        # nullable: the pack reads the registers, and risks down must blank only its RAID section
        "return": Page[item] | None,  # type: ignore[valid-type]
    }
    return strawberry.field(resolver=resolve, description=description)


@strawberry.type(description="Reads of the RAID registers and the boards' views")
class RaidQuery:
    assumptions = register_list(
        RaidKind.assumption, Assumption, AssumptionStatusEnum, "assumptions, by code"
    )
    issues = register_list(RaidKind.issue, Issue, IssueStatusEnum, "issues, by code")
    dependencies = register_list(
        RaidKind.dependency,
        Dependency,
        DependencyStatusEnum,
        "dependencies, by code",
        of_programme="only those from or to this programme",
    )

    @strawberry.field(description="the matrix new assessments are scored on")
    async def current_matrix(self, info: Ctx) -> Matrix:
        async with info.context.reading() as session:
            row = await matrices.current(session=session)
        return _matrix(row)

    @strawberry.field(description="live risks per matrix cell")
    async def heat_map(
        self,
        info: Ctx,
        score: Annotated[
            ScoreKindEnum,  # type: ignore[valid-type]
            strawberry.argument(description="which score to map"),
        ] = ScoreKind.current,
        programme_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="only this programme's")
        ] = None,
        portfolio_code: Annotated[
            str | None,
            strawberry.argument(
                description="only this plan's: its programmes' risks and its plan-wide ones"
            ),
        ] = None,
        identified_by: Annotated[
            date | None,
            strawberry.argument(description="only risks identified on or before this day"),
        ] = None,
        # nullable, like every field the pack reads across services: risks down blanks the
        # pack's RAID section, not the whole answer (a non-null root field nulls all data)
    ) -> HeatMap | None:
        async with info.context.reading() as session:
            heat = await views.heat_map(
                session=session,
                kind=ScoreKind(score),
                programme_id=None
                if programme_id is None
                else parse_id(programme_id, "programmeId"),
                portfolio_code=portfolio_code,
                identified_by=identified_by,
            )
        return HeatMap(
            score_kind=heat.score_kind,
            matrix_version=heat.matrix_version,
            cells=[HeatCell(**c.model_dump()) for c in heat.cells],
            unscored=heat.unscored,
        )

    @strawberry.field(description="live risks, highest current score first")
    async def top_risks(
        self,
        info: Ctx,
        limit: Annotated[int, strawberry.argument(description="how many, 1..100")] = 10,
    ) -> list[RiskRef]:
        if not 1 <= limit <= 100:
            raise FieldError("limit is 1..100", field="limit")
        async with info.context.reading() as session:
            rows = await views.top_risks(session=session, limit=limit)
        return [_risk(r) for r in rows]

    @strawberry.field(description="risks identified since a day (the last board, say)")
    async def new_risks(
        self,
        info: Ctx,
        since: Annotated[date, strawberry.argument(description="identified on or after this day")],
        until: Annotated[
            date | None, strawberry.argument(description="and on or before this day, if given")
        ] = None,
    ) -> list[RiskRef] | None:
        if until is not None and until < since:
            raise FieldError("until is before since", field="until")
        async with info.context.reading() as session:
            new, _ = await views.new_and_escalated(session=session, since=since, until=until)
        return [_risk(r) for r in new]

    @strawberry.field(
        description="risks raised at a board or moved up one since a day (the step's own date)"
    )
    async def escalated_risks(
        self,
        info: Ctx,
        since: Annotated[date, strawberry.argument(description="from this day")],
        until: Annotated[
            date | None, strawberry.argument(description="and on or before this day, if given")
        ] = None,
    ) -> list[RiskRef] | None:
        if until is not None and until < since:
            raise FieldError("until is before since", field="until")
        async with info.context.reading() as session:
            _, escalated = await views.new_and_escalated(session=session, since=since, until=until)
        return [_risk(r) for r in escalated]

    @strawberry.field(description="open issues past their due date")
    async def issues_past_due(
        self,
        info: Ctx,
        as_of: JudgedOn = None,
    ) -> list[Issue] | None:
        async with info.context.reading() as session:
            rows = await items.issues_past_due(session=session, as_of=as_of or asof.today(session))
        return [Issue.from_row(r) for r in rows]

    @strawberry.field(description="dependencies not met and at risk, broken or needed soon")
    async def dependencies_at_risk(
        self,
        info: Ctx,
        as_of: JudgedOn = None,
        horizon_days: Annotated[
            int, strawberry.argument(description="needed within this many days counts, 0..366")
        ] = 30,
        # nullable: the pack reads it, and risks down must blank only its RAID section
    ) -> list[Dependency] | None:
        if not 0 <= horizon_days <= 366:
            raise FieldError("horizonDays is 0..366", field="horizonDays")
        async with info.context.reading() as session:
            rows = await items.dependencies_at_risk(
                session=session, as_of=as_of or asof.today(session), horizon_days=horizon_days
            )
        return [Dependency.from_row(r) for r in rows]

    @strawberry.field(description="mitigating actions past their due date and not done")
    async def overdue_mitigations(
        self,
        info: Ctx,
        as_of: JudgedOn = None,
    ) -> list[Mitigation]:
        async with info.context.reading() as session:
            rows = await service.overdue_mitigations(
                session=session, as_of=as_of or asof.today(session)
            )
        return [Mitigation.from_row(r) for r in rows]

    @strawberry.field(description="programmes and parties linked by dependencies, cycles flagged")
    async def dependency_map(
        self,
        info: Ctx,
        as_of: Annotated[
            date | None,
            strawberry.argument(
                description="only dependencies identified by this day; default all"
            ),
        ] = None,
    ) -> DependencyMap | None:
        # nullable: the pack reads it, and risks down must blank only its RAID section
        async with info.context.reading() as session:
            graph = await views.dependency_map(session=session, as_of=as_of)
        return DependencyMap(
            nodes=[MapNode(id=n.id, kind=n.kind, label=n.label) for n in graph.nodes],
            edges=[
                MapEdge(
                    code=e.code,
                    source=e.source,
                    target=e.target,
                    status=e.status,
                    in_cycle=e.in_cycle,
                )
                for e in graph.edges
            ],
            cycles=graph.cycles,
        )


def _matrix(row: models.MatrixVersion) -> Matrix:
    return Matrix(
        id=strawberry.ID(str(row.id)),
        code=row.code,
        version=row.version,
        size=row.size,
        likelihood_labels=row.likelihood_labels,
        impact_labels=row.impact_labels,
        bands=[Band(**b) for b in row.bands],
        escalation_score=row.escalation_score,
    )


@strawberry.input(description="A review of a risk's scores")
class ReassessInput:
    residual_likelihood: int = strawberry.field(description="current likelihood, 1..5")
    residual_impact: int = strawberry.field(description="current impact, 1..5")
    reason: str = strawberry.field(description="why the score changed")
    inherent_likelihood: int | None = strawberry.field(
        default=strawberry.UNSET, description="inherent likelihood, if it changed"
    )
    inherent_impact: int | None = strawberry.field(
        default=strawberry.UNSET, description="inherent impact, if it changed"
    )
    target_likelihood: int | None = strawberry.field(
        default=strawberry.UNSET, description="target likelihood"
    )
    target_impact: int | None = strawberry.field(
        default=strawberry.UNSET, description="target impact"
    )


@strawberry.input(description="A mitigating action")
class MitigationInput:
    description: str = strawberry.field(description="what will be done")
    owner: str = strawberry.field(description="who does it")
    due_on: date = strawberry.field(description="when it is due")


@strawberry.input(description="The issue a risk becomes")
class MaterialiseInput:
    issue_code: str = strawberry.field(description="the new issue's reference")
    severity: SeverityEnum = strawberry.field(description="how bad it is")  # type: ignore[valid-type]
    priority: PriorityEnum = strawberry.field(description="how soon to act")  # type: ignore[valid-type]
    due_on: date | None = strawberry.field(default=None, description="resolve by")


@strawberry.input(description="A new assumption")
class AssumptionInput:
    code: str = strawberry.field(description="unique reference")
    title: str = strawberry.field(description="the assumption in a line")
    owner: str = strawberry.field(description="who validates it")
    programme_id: strawberry.ID | None = strawberry.field(
        default=None, description="its programme; null for plan-wide"
    )
    basis: str | None = strawberry.field(default=None, description="what it rests on")
    validate_by: date | None = strawberry.field(default=None, description="test it by")
    if_false: str | None = strawberry.field(default=None, description="what if it is false")


@strawberry.input(description="A new issue")
class IssueInput:
    code: str = strawberry.field(description="unique reference")
    title: str = strawberry.field(description="the issue in a line")
    owner: str = strawberry.field(description="who resolves it")
    severity: SeverityEnum = strawberry.field(description="how bad it is")  # type: ignore[valid-type]
    priority: PriorityEnum = strawberry.field(description="how soon to act")  # type: ignore[valid-type]
    programme_id: strawberry.ID | None = strawberry.field(
        default=None, description="its programme; null for plan-wide"
    )
    due_on: date | None = strawberry.field(default=None, description="resolve by")


@strawberry.input(description="A new dependency")
class DependencyInput:
    code: str = strawberry.field(description="unique reference")
    title: str = strawberry.field(description="the dependency in a line")
    owner: str = strawberry.field(description="who manages it")
    from_programme_id: strawberry.ID | None = strawberry.field(
        default=None, description="the programme that depends; null: the whole plan"
    )
    to_programme_id: strawberry.ID | None = strawberry.field(
        default=None, description="the programme depended on"
    )
    to_activity: str | None = strawberry.field(default=None, description="a key activity")
    to_external: str | None = strawberry.field(default=None, description="an external party")
    needed: str | None = strawberry.field(default=None, description="what is needed")
    needed_by: date | None = strawberry.field(default=None, description="by when")


def _ids(values: dict[str, Any], *fields: str) -> dict[str, Any]:
    for field in fields:
        if values.get(field) is not None:
            values[field] = parse_id(values[field], field)
    return values


@strawberry.type(description="Changes to the RAID registers")
class RaidMutation:
    @strawberry.mutation(description="review a risk: its new scores and why")
    async def reassess_risk(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the risk")],
        version: Annotated[int, strawberry.argument(description="the version you last read")],
        input: Annotated[ReassessInput, strawberry.argument(description="the review")],
    ) -> RiskRef:
        actor = info.context.writer()
        data = validate(AssessmentCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.reassess(
                session=session,
                actor=actor,
                risk_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
                **upstream(info),
            )
        return _risk(row)

    @strawberry.mutation(description="add a mitigating action to a risk")
    async def add_mitigation(
        self,
        info: Ctx,
        risk_id: Annotated[strawberry.ID, strawberry.argument(description="the risk")],
        input: Annotated[MitigationInput, strawberry.argument(description="the action")],
    ) -> Mitigation:
        actor = info.context.writer()
        data = validate(MitigationCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.add_mitigation(
                session=session, actor=actor, risk_id=parse_id(risk_id, "riskId"), data=data
            )
        return Mitigation.from_row(row)

    @strawberry.mutation(description="the risk happened: it becomes an issue, linked both ways")
    async def materialise_risk(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the risk")],
        version: Annotated[int, strawberry.argument(description="the version you last read")],
        input: Annotated[MaterialiseInput, strawberry.argument(description="the new issue")],
    ) -> Issue:
        actor = info.context.writer()
        data = validate(MaterialiseRequest, input_dict(input))
        async with info.context.transaction() as session:
            _, issue = await service.materialise(
                session=session,
                actor=actor,
                risk_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
            )
        return Issue.from_row(issue)

    @strawberry.mutation(description="raise a risk at its board, or one board up if escalated")
    async def escalate_risk(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the risk")],
        version: Annotated[int, strawberry.argument(description="the version you last read")],
        reason: Annotated[str, strawberry.argument(description="why the board should see it")],
    ) -> RiskRef:
        actor = info.context.writer()
        if not reason.strip():
            raise FieldError("say why the board should see it", field="reason")
        async with info.context.transaction() as session:
            row = await service.escalate(
                session=session,
                actor=actor,
                risk_id=parse_id(id, "id"),
                reason=reason,
                expected_version=version,
                **upstream(info),
            )
        return _risk(row)

    @strawberry.mutation(description="add an assumption")
    async def create_assumption(
        self, info: Ctx, input: Annotated[AssumptionInput, strawberry.argument(description="it")]
    ) -> Assumption:
        actor = info.context.writer()
        data = validate(AssumptionCreate, _ids(input_dict(input), "programme_id"))
        async with info.context.transaction() as session:
            row = await items.create(
                session=session, actor=actor, kind=RaidKind.assumption, data=data, **upstream(info)
            )
        return Assumption.from_row(row)

    @strawberry.mutation(description="add an issue")
    async def create_issue(
        self, info: Ctx, input: Annotated[IssueInput, strawberry.argument(description="it")]
    ) -> Issue:
        actor = info.context.writer()
        data = validate(IssueCreate, _ids(input_dict(input), "programme_id"))
        async with info.context.transaction() as session:
            row = await items.create(
                session=session, actor=actor, kind=RaidKind.issue, data=data, **upstream(info)
            )
        return Issue.from_row(row)

    @strawberry.mutation(description="add a dependency (a cycle is allowed, and flagged in maps)")
    async def create_dependency(
        self, info: Ctx, input: Annotated[DependencyInput, strawberry.argument(description="it")]
    ) -> Dependency:
        actor = info.context.writer()
        values = _ids(input_dict(input), "from_programme_id", "to_programme_id")
        data = validate(DependencyCreate, values)
        async with info.context.transaction() as session:
            row = await items.create(
                session=session, actor=actor, kind=RaidKind.dependency, data=data, **upstream(info)
            )
        return Dependency.from_row(row)
