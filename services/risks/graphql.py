"""The risks subgraph: resolvers as thin as the routers, ORM rows kept out of the types.

Besides its own ``Risk`` entity it contributes ``Programme.risks``, ``Programme.raid`` and
``Programme.dependencies`` to the programmes service's ``Programme`` entity; a ``Programme``
here is only its key. Every per-row lookup goes through a DataLoader.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.tools import merge_types
from strawberry.types import Info

from services.common.errors import FieldError
from services.common.graphql import (
    Context,
    federated_schema,
    graphql_enum,
    id_or_none,
    input_dict,
    parse_id,
    validate,
)
from services.risks import models, service
from services.risks.asof import history
from services.risks.items import service as items
from services.risks.items.graphql import Assumption, Dependency, Issue, RaidKindEnum
from services.risks.schemas import RiskCreate, RiskStatus, RiskUpdate, score
from services.risks.views.graphql import (
    Assessment,
    Mitigation,
    RaidMutation,
    RaidQuery,
    ScoreKindEnum,
    register_list,
)
from services.risks.views.graphql import (
    upstream as _upstream,
)
from services.risks.vocabulary import Appetite, DependencyDirection, Proximity, RaidKind

Ctx = Info[Context, None]


async def _load_risks(session: AsyncSession, ids: Sequence[int]) -> dict[int, models.Risk]:
    return await service.get_many(session=session, ids=ids)


def _risks_of_programmes(status: RiskStatus | None) -> Any:
    async def load(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[models.Risk]]:
        return await service.risks_by_programme(session=session, programme_ids=ids, status=status)

    return load


RiskStatusEnum = graphql_enum(RiskStatus, description="Where a risk stands")
AppetiteEnum = graphql_enum(Appetite, description="The council's appetite for a kind of risk")
ProximityEnum = graphql_enum(Proximity, description="How soon a risk would strike")
DependencyDirectionEnum = graphql_enum(
    DependencyDirection,
    description="Which of a programme's dependencies: its own on others, or others' on it",
    names={DependencyDirection.in_: "IN"},
)


async def _mitigations(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[models.Mitigation]]:
    return await service.mitigations_by_risk(session=session, risk_ids=ids)


async def _load_issues(session: AsyncSession, ids: Sequence[int]) -> dict[int, Any]:
    return await items.get_many(session=session, kind=RaidKind.issue, ids=ids)


async def _assessments(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[models.Assessment]]:
    return await service.assessments_by_risk(session=session, risk_ids=ids)


@strawberry.federation.type(keys=["id"], description="A risk in the RAID log")
class Risk:
    id: strawberry.ID = strawberry.field(description="its id in the risks service")
    code: str = strawberry.field(description="unique reference, e.g. IRP-R01")
    title: str = strawberry.field(description="the risk in a line")
    cause: str | None = strawberry.field(description="the cause")
    description: str = strawberry.field(description="the event: what might happen")
    effect: str | None = strawberry.field(description="what follows if it happens")
    owner: str = strawberry.field(description="the risk owner")
    author: str | None = strawberry.field(description="who raised it")
    portfolio_code: str | None = strawberry.field(
        description="the plan it belongs to: its programme's, or a plan-wide risk's own"
    )
    identified_on: date | None = strawberry.field(description="when it was identified")
    inherent_likelihood: int = strawberry.field(description="1..5, before controls")
    inherent_impact: int = strawberry.field(description="1..5, before controls")
    inherent_score: int = strawberry.field(description="inherent likelihood x impact, 1..25")
    residual_likelihood: int = strawberry.field(description="1..5, now (current)")
    residual_impact: int = strawberry.field(description="1..5, now (current)")
    residual_score: int = strawberry.field(
        description="current likelihood x impact, 1..25: its latest assessment"
    )
    target_likelihood: int | None = strawberry.field(description="1..5, after treatment")
    target_impact: int | None = strawberry.field(description="1..5, after treatment")
    target_score: int | None = strawberry.field(description="target likelihood x impact")
    proximity: ProximityEnum | None = strawberry.field(description="how soon it would strike")  # type: ignore[valid-type]
    appetite: AppetiteEnum | None = strawberry.field(description="the appetite for it")  # type: ignore[valid-type]
    review_on: date | None = strawberry.field(description="its next review")
    mitigation: str | None = strawberry.field(description="the response, in a sentence or two")
    status: RiskStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="open, treating, tolerated, closed or materialised"
    )
    needs_review: bool = strawberry.field(description="a key risk indicator asked for a review")
    escalation_id: strawberry.ID | None = strawberry.field(
        description="its open escalation in the programmes service"
    )
    issue_id: strawberry.ID | None = strawberry.field(description="the issue it became")
    version: int = strawberry.field(description="send it back to change the risk")
    programme_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Risk) -> Risk:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            title=row.title,
            cause=row.cause,
            description=row.description,
            effect=row.effect,
            owner=row.owner,
            author=row.author,
            portfolio_code=row.portfolio_code,
            identified_on=row.identified_on,
            inherent_likelihood=row.inherent_likelihood,
            inherent_impact=row.inherent_impact,
            inherent_score=score(row.inherent_likelihood, row.inherent_impact),
            residual_likelihood=row.residual_likelihood,
            residual_impact=row.residual_impact,
            residual_score=score(row.residual_likelihood, row.residual_impact),
            target_likelihood=row.target_likelihood,
            target_impact=row.target_impact,
            target_score=None
            if row.target_likelihood is None or row.target_impact is None
            else score(row.target_likelihood, row.target_impact),
            proximity=None if row.proximity is None else Proximity(row.proximity),
            appetite=None if row.appetite is None else Appetite(row.appetite),
            review_on=row.review_on,
            mitigation=row.mitigation,
            status=RiskStatus(row.status),
            needs_review=row.needs_review,
            escalation_id=id_or_none(row.escalation_id),
            issue_id=id_or_none(row.issue_id),
            version=row.version,
            programme_id=row.programme_id,
        )

    @strawberry.field(description="its mitigating actions, soonest due first")
    async def mitigations(self, info: Ctx) -> list[Mitigation]:
        loader = info.context.loader("risk_mitigations", _mitigations)
        rows: list[models.Mitigation] = await loader.load(int(self.id)) or []
        return [Mitigation.from_row(r) for r in rows]

    @strawberry.field(description="the issue it became, once Materialised")
    async def issue(self, info: Ctx) -> Issue | None:
        if self.issue_id is None:
            return None
        row = await info.context.loader("issue", _load_issues).load(int(self.issue_id))
        return None if row is None else Issue.from_row(row)

    @strawberry.field(description="every assessment, oldest first; the last is the current one")
    async def assessments(self, info: Ctx) -> list[Assessment]:
        loader = info.context.loader("risk_assessments", _assessments)
        rows: list[models.Assessment] = await loader.load(int(self.id)) or []
        return [Assessment.from_row(r) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Risk | None:
        row = await info.context.loader("risk", _load_risks).load(parse_id(id, "id"))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="the programme it belongs to; null for a plan-wide risk")
    def programme(self) -> Programme | None:
        if self.programme_id is None:
            return None
        return Programme(id=strawberry.ID(str(self.programme_id)))


def _items_of_programmes(kind: RaidKind) -> Any:
    async def load(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Any]]:
        return await items.by_programme(session=session, kind=kind, programme_ids=ids)

    return load


@strawberry.type(description="A programme's RAID log: its entries in each of the four registers")
class RaidLog:
    risks: list[Risk] = strawberry.field(description="its risks, worst current score first")
    assumptions: list[Assumption] = strawberry.field(description="its assumptions, by code")
    issues: list[Issue] = strawberry.field(description="its issues, by code")
    dependencies: list[Dependency] = strawberry.field(
        description="dependencies it has or others have on it, by code"
    )


# Owned by the programmes service; this subgraph adds only its RAID log.
@strawberry.federation.type(
    keys=["id"], description="A programme (owned by the programmes service)"
)
class Programme:
    id: strawberry.ID = strawberry.field(description="the programme's id")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Programme:
        return cls(id=id)

    @strawberry.field(description="its RAID log, all four registers unless ``kinds`` names some")
    async def raid(
        self,
        info: Ctx,
        kinds: Annotated[
            list[RaidKindEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(description="only these registers; default: all four"),
        ] = None,
    ) -> RaidLog:
        wanted = set(kinds or RaidKind)
        key = parse_id(self.id, "id")

        async def load(kind: RaidKind) -> list[Any]:
            if kind not in wanted:
                return []
            if kind is RaidKind.risk:
                loader = info.context.loader("programme_risks:None", _risks_of_programmes(None))
            else:
                loader = info.context.loader(f"programme_{kind.value}", _items_of_programmes(kind))
            return await loader.load(key) or []

        return RaidLog(
            risks=[Risk.from_row(r) for r in await load(RaidKind.risk)],
            assumptions=[Assumption.from_row(r) for r in await load(RaidKind.assumption)],
            issues=[Issue.from_row(r) for r in await load(RaidKind.issue)],
            dependencies=[Dependency.from_row(r) for r in await load(RaidKind.dependency)],
        )

    @strawberry.field(description="dependencies it has (out) and others have on it (in)")
    async def dependencies(
        self,
        info: Ctx,
        direction: Annotated[
            DependencyDirectionEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="in, out, or null for both"),
        ] = None,
    ) -> list[Dependency]:
        key = parse_id(self.id, "id")
        loader = info.context.loader(
            "programme_dependency", _items_of_programmes(RaidKind.dependency)
        )
        rows = await loader.load(key) or []
        if direction is DependencyDirection.out:
            rows = [r for r in rows if r.from_programme_id == key]
        elif direction is DependencyDirection.in_:
            rows = [r for r in rows if r.to_programme_id == key]
        return [Dependency.from_row(r) for r in rows]

    @strawberry.field(description="its risks, highest residual score first, then by code")
    async def risks(
        self,
        info: Ctx,
        top: Annotated[
            int | None, strawberry.argument(description="only the first this many; 0 or more")
        ] = None,
        status: Annotated[
            RiskStatusEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="only in this status"),
        ] = None,
    ) -> list[Risk] | None:
        if top is not None and top < 0:
            raise FieldError("top cannot be negative", field="top")
        wanted = None if status is None else RiskStatus(status)
        loader = info.context.loader(f"programme_risks:{wanted}", _risks_of_programmes(wanted))
        rows = await loader.load(parse_id(self.id, "id")) or []
        return [Risk.from_row(r) for r in (rows if top is None else rows[:top])]


@strawberry.type(description="Reads of the RAID log")
class ReadQuery(RaidQuery):
    risks = register_list(RaidKind.risk, Risk, RiskStatusEnum, "risks, by code")

    @strawberry.field(description="a risk by its id; null if there is none")
    async def risk(
        self, info: Ctx, id: Annotated[strawberry.ID, strawberry.argument(description="its id")]
    ) -> Risk | None:
        return await Risk.resolve_reference(info, id)

    @strawberry.field(description="a risk by its code; null if there is none")
    async def risk_by_code(
        self,
        info: Ctx,
        code: Annotated[str, strawberry.argument(description="its code, e.g. IRP-R01")],
    ) -> Risk | None:
        async with info.context.reading() as session:
            row = await service.find_by_code(session=session, code=code)
        return None if row is None else Risk.from_row(row)


@strawberry.input(description="A new risk")
class RiskCreateInput:
    code: str = strawberry.field(description="unique reference, e.g. IRP-R01")
    title: str = strawberry.field(description="the risk in a line")
    description: str = strawberry.field(description="the event: what might happen")
    owner: str = strawberry.field(description="the risk owner")
    inherent_likelihood: int = strawberry.field(description="1..5, before controls")
    inherent_impact: int = strawberry.field(description="1..5, before controls")
    residual_likelihood: int = strawberry.field(description="1..5, now (current)")
    residual_impact: int = strawberry.field(description="1..5, now (current)")
    programme_id: strawberry.ID | None = strawberry.field(
        default=None, description="its programme; null for a plan-wide risk"
    )
    portfolio_code: str | None = strawberry.field(
        default=None, description="a plan-wide risk's plan; a programme's risk takes its own"
    )
    cause: str | None = strawberry.field(default=None, description="the cause")
    mitigation: str | None = strawberry.field(
        default=None, description="the response, in a sentence or two"
    )
    status: RiskStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="where it stands; default open"
    )


@strawberry.input(description="Changes to a risk; fields left out stay as they are")
class RiskUpdateInput:
    programme_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="its programme; null for a plan-wide risk"
    )
    portfolio_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="a plan-wide risk's plan"
    )
    title: str | None = strawberry.field(default=strawberry.UNSET, description="the risk in a line")
    cause: str | None = strawberry.field(default=strawberry.UNSET, description="the cause")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="the event: what might happen"
    )
    owner: str | None = strawberry.field(default=strawberry.UNSET, description="the risk owner")
    inherent_likelihood: int | None = strawberry.field(
        default=strawberry.UNSET, description="1..5, before controls"
    )
    inherent_impact: int | None = strawberry.field(
        default=strawberry.UNSET, description="1..5, before controls"
    )
    residual_likelihood: int | None = strawberry.field(
        default=strawberry.UNSET, description="1..5, now (current)"
    )
    residual_impact: int | None = strawberry.field(
        default=strawberry.UNSET, description="1..5, now (current)"
    )
    mitigation: str | None = strawberry.field(
        default=strawberry.UNSET, description="the response, in a sentence or two"
    )
    status: RiskStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="where it stands"
    )


@strawberry.type(description="Changes to the RAID log")
class Mutation(RaidMutation):
    @strawberry.mutation(description="add a risk to the register")
    async def create_risk(
        self,
        info: Ctx,
        input: Annotated[RiskCreateInput, strawberry.argument(description="the new risk")],
    ) -> Risk:
        actor = info.context.writer()
        data = validate(RiskCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create(session=session, actor=actor, data=data, **_upstream(info))
        return Risk.from_row(row)

    @strawberry.mutation(description="change a risk; version is the one you last read")
    async def update_risk(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the risk")],
        version: Annotated[int, strawberry.argument(description="the version you last read")],
        input: Annotated[RiskUpdateInput, strawberry.argument(description="what changes")],
    ) -> Risk:
        actor = info.context.writer()
        data = validate(RiskUpdate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.update(
                session=session,
                actor=actor,
                risk_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
                **_upstream(info),
            )
        return Risk.from_row(row)


# Every root field takes cut; risksCut says which cut to pass (services/common/asof.py).
Query = merge_types("Query", (history.queryable(ReadQuery), history.cut_query("risksCut")))

schema = federated_schema(query=Query, mutation=Mutation, types=[Risk, Programme, ScoreKindEnum])
