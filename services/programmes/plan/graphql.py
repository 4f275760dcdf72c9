"""The plan in the programmes subgraph: portfolios, aims, and the Programme entity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common.graphql import (
    Context,
    Limit,
    Offset,
    Page,
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
from services.common.grouping import group_by
from services.common.pagination import window_of
from services.programmes.actions.graphql import Action, actions_for
from services.programmes.governance.graphql import Escalation, escalations_for
from services.programmes.highlights import graphql as highlights
from services.programmes.highlights.graphql import DcaAssessment, HighlightReport
from services.programmes.milestones import graphql as milestones
from services.programmes.milestones.graphql import KeyActivity
from services.programmes.plan import models, service
from services.programmes.plan.schemas import (
    PersonCreate,
    PersonUpdate,
    ProgrammeCreate,
    ProgrammeUpdate,
    WorkstreamCreate,
)
from services.programmes.savings.graphql import SavingsInitiative, savings_for

Ctx = Info[Context, None]


@strawberry.type
class Aim:
    id: strawberry.ID
    code: str
    name: str
    focus: str | None
    outcomes: list[str]


@strawberry.type(description="someone (or a post) holding roles in the plan")
class Person:
    id: strawberry.ID
    name: str
    title: str | None
    email: str | None
    directorate: str | None

    @classmethod
    def from_row(cls, row: models.Person) -> Person:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            title=row.title,
            email=row.email,
            directorate=row.directorate,
        )


@strawberry.type
class Workstream:
    id: strawberry.ID
    name: str
    description: str | None
    lead: str | None
    position: int


async def _load_people(session: AsyncSession, ids: Sequence[int]) -> dict[int, Person]:
    people = await service.get_people(session=session, ids=ids)
    return {person_id: Person.from_row(row) for person_id, row in people.items()}


async def _person(info: Ctx, person_id: int) -> Person | None:
    return await info.context.loader("person", _load_people).load(person_id)


async def _load_workstreams(
    session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[Workstream]]:
    rows = await service.list_workstreams(session=session, programme_ids=programme_ids)
    return group_by(
        rows,
        lambda row: row.programme_id,
        lambda row: Workstream(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            lead=row.lead,
            position=row.position,
        ),
    )


async def _load_programmes(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, models.Programme]:
    return await service.get_many(session=session, ids=ids)


async def _load_aims(session: AsyncSession, ids: Sequence[int]) -> dict[int, Aim]:
    aims = await service.get_aims(session=session, ids=ids)
    outcomes = await service.outcomes_by_aim(session=session, aim_ids=list(aims))
    return {
        aim_id: Aim(
            id=strawberry.ID(str(aim_id)),
            code=aim.code,
            name=aim.name,
            focus=aim.focus,
            outcomes=outcomes.get(aim_id, []),
        )
        for aim_id, aim in aims.items()
    }


async def _load_portfolio_codes(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    return {p.id: p.code for p in await service.list_portfolios(session=session) if p.id in ids}  # type: ignore[misc]


@strawberry.federation.type(keys=["id"], description="A priority programme of an improvement plan")
class Programme:
    id: strawberry.ID
    code: str
    name: str
    purpose: str | None
    directorate: str | None
    sao_id: strawberry.Private[int | None]
    rdl_id: strawberry.Private[int | None]
    lead_member_id: strawberry.Private[int | None]
    version: int
    portfolio_id: strawberry.Private[int]
    aim_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Programme) -> Programme:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            purpose=row.purpose,
            directorate=row.directorate,
            sao_id=row.sao_id,
            rdl_id=row.rdl_id,
            lead_member_id=row.lead_member_id,
            version=row.version,
            portfolio_id=row.portfolio_id,
            aim_id=row.aim_id,
        )

    @strawberry.field(description="Senior Accountable Officer")
    async def sao(self, info: Ctx) -> Person | None:
        return None if self.sao_id is None else await _person(info, self.sao_id)

    @strawberry.field(description="Responsible Delivery Lead")
    async def rdl(self, info: Ctx) -> Person | None:
        return None if self.rdl_id is None else await _person(info, self.rdl_id)

    @strawberry.field
    async def lead_member(self, info: Ctx) -> Person | None:
        return None if self.lead_member_id is None else await _person(info, self.lead_member_id)

    @strawberry.field
    async def workstreams(self, info: Ctx) -> list[Workstream]:
        found = await info.context.loader("workstreams", _load_workstreams).load(int(self.id))
        return found or []

    @strawberry.field(description="the programme's DCA history, newest judgement first")
    async def dca_history(self, info: Ctx) -> list[DcaAssessment]:
        return await highlights.dca_history_for(info, int(self.id))

    @strawberry.field(description="its savings initiatives")
    async def savings(self, info: Ctx) -> list[SavingsInitiative]:
        return await savings_for(info, int(self.id))

    @strawberry.field(description="escalations raised about it, open or closed")
    async def escalations(self, info: Ctx) -> list[Escalation]:
        return await escalations_for(info, int(self.id))

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Programme | None:
        row = await info.context.loader("programme", _load_programmes).load(parse_id(id, "id"))
        return None if row is None else cls.from_row(row)

    async def _aim(self, info: Ctx) -> Aim | None:
        if self.aim_id is None:
            return None
        return await info.context.loader("aim", _load_aims).load(self.aim_id)

    @strawberry.field
    async def aim(self, info: Ctx) -> Aim | None:
        return await self._aim(info)

    @strawberry.field(description="the aim's code in its portfolio, e.g. AIM-1")
    async def aim_code(self, info: Ctx) -> str | None:
        aim = await self._aim(info)
        return None if aim is None else aim.code

    @strawberry.field
    async def portfolio_code(self, info: Ctx) -> str:
        code = await info.context.loader("portfolio_code", _load_portfolio_codes).load(
            self.portfolio_id
        )
        return code or ""

    @strawberry.field
    async def key_activities(
        self, info: Ctx, due_from: date | None = None, due_to: date | None = None
    ) -> list[KeyActivity]:
        return await milestones.key_activities_for(
            info, int(self.id), due_from=due_from, due_to=due_to
        )

    @strawberry.field(description="the programme's numbered actions, in number order")
    async def actions(self, info: Ctx) -> list[Action]:
        return await actions_for(info, int(self.id))

    @strawberry.field
    async def highlight_reports(self, info: Ctx) -> list[HighlightReport]:
        return await highlights.highlight_reports_for(info, int(self.id))

    @strawberry.field(description="the newest highlight report, or the newest up to a period")
    async def latest_highlight_report(
        self, info: Ctx, up_to_period: str | None = None
    ) -> HighlightReport | None:
        return await highlights.latest_highlight_report_for(
            info, int(self.id), up_to_period=up_to_period
        )


@strawberry.type
class Portfolio:
    id: strawberry.ID
    code: str
    name: str
    source: str | None
    rag_definition: str | None


@strawberry.type
class PlanQuery:
    @strawberry.field
    async def portfolios(
        self, info: Ctx, limit: Limit = 100, offset: Offset = 0
    ) -> Page[Portfolio]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            rows = await service.list_portfolios(session=session)
        return Page.of(
            window_of(rows, params),
            lambda r: Portfolio(
                id=strawberry.ID(str(r.id)),
                code=r.code,
                name=r.name,
                source=r.source,
                rag_definition=r.rag_definition,
            ),
        )

    @strawberry.field
    async def programmes(
        self,
        info: Ctx,
        portfolio_id: strawberry.ID | None = None,
        portfolio_code: str | None = None,
        directorate: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Programme]:
        async with info.context.reading() as session:
            found = await service.list_programmes(
                session=session,
                page=page(limit, offset),
                portfolio_id=optional_id(portfolio_id, "portfolioId"),
                portfolio_code=portfolio_code,
                directorate=directorate,
            )
        return Page.of(found, Programme.from_row)

    @strawberry.field
    async def programme(self, info: Ctx, id: strawberry.ID) -> Programme | None:
        return await Programme.resolve_reference(info, id)

    @strawberry.field
    async def people(
        self, info: Ctx, q: str | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> Page[Person]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            found = await service.list_people(session=session, page=params, q=q)
        return Page.of(found, Person.from_row)

    @strawberry.field
    async def programme_by_code(self, info: Ctx, code: str) -> Programme | None:
        async with info.context.reading() as session:
            row = await service.find_by_code(session=session, code=code)
        return None if row is None else Programme.from_row(row)


@strawberry.input
class ProgrammeCreateInput:
    portfolio_id: strawberry.ID
    code: str
    name: str
    sao_id: strawberry.ID
    lead_member_id: strawberry.ID
    aim_id: strawberry.ID | None = None
    purpose: str | None = None
    directorate: str | None = None
    rdl_id: strawberry.ID | None = None
    board_id: strawberry.ID | None = None


@strawberry.input
class ProgrammeUpdateInput:
    name: str | None = strawberry.UNSET
    purpose: str | None = strawberry.UNSET
    directorate: str | None = strawberry.UNSET
    sao_id: strawberry.ID | None = strawberry.UNSET
    rdl_id: strawberry.ID | None = strawberry.UNSET
    lead_member_id: strawberry.ID | None = strawberry.UNSET
    board_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class PersonInput:
    name: str
    title: str | None = None
    email: str | None = None
    directorate: str | None = None


@strawberry.input
class PersonUpdateInput:
    name: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    directorate: str | None = strawberry.UNSET


@strawberry.input
class WorkstreamInput:
    name: str
    description: str | None = None
    lead: str | None = None


@strawberry.type
class PlanMutation:
    @strawberry.mutation(description="add someone (or a post) to the people directory")
    async def create_person(self, info: Ctx, input: PersonInput) -> Person:
        actor = info.context.writer()  # the role before the input
        data = validate(PersonCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create_person(session=session, actor=actor, data=data)
        return Person.from_row(row)

    @strawberry.mutation(description="change a person; version is the one you last read")
    async def update_person(
        self, info: Ctx, id: strawberry.ID, version: int, input: PersonUpdateInput
    ) -> Person:
        actor = info.context.writer()  # the role before the input
        data = validate(PersonUpdate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.update_person(
                session=session,
                actor=actor,
                person_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
            )
        return Person.from_row(row)

    @strawberry.mutation
    async def add_workstream(
        self, info: Ctx, programme_id: strawberry.ID, input: WorkstreamInput
    ) -> Workstream:
        actor = info.context.writer()  # the role before the input
        data = validate(WorkstreamCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.add_workstream(
                session=session,
                actor=actor,
                programme_id=parse_id(programme_id, "programmeId"),
                data=data,
            )
        return Workstream(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            lead=row.lead,
            position=row.position,
        )

    @strawberry.mutation
    async def create_programme(self, info: Ctx, input: ProgrammeCreateInput) -> Programme:
        actor = info.context.writer()  # the role before the input
        data = validate(ProgrammeCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create(session=session, actor=actor, data=data)
        return Programme.from_row(row)

    @strawberry.mutation(description="change a programme; version is the one you last read")
    async def update_programme(
        self, info: Ctx, id: strawberry.ID, version: int, input: ProgrammeUpdateInput
    ) -> Programme:
        actor = info.context.writer()  # the role before the input
        data = validate(ProgrammeUpdate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.update(
                session=session,
                actor=actor,
                programme_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
            )
        return Programme.from_row(row)
