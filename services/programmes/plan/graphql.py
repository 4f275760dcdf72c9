"""The plan in the programmes subgraph: portfolios, aims, and the Programme entity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common.graphql import (
    ById,
    Context,
    Limit,
    Offset,
    Page,
    Version,
    if_sent,
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
from services.programmes.graphql_shared import DCA, CommonRag, Precision, Status, Unit
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
    RagGradeRead,
    ServedOutcomes,
    WorkstreamCreate,
)
from services.programmes.savings.graphql import SavingsInitiative, savings_for

Ctx = Info[Context, None]


@strawberry.type(description="one grade of a portfolio's own RAG scale")
class RagGrade:
    code: str = strawberry.field(description="as the plan writes it, e.g. Amber")
    colour: str = strawberry.field(description="how it is drawn, e.g. #ffbf47")
    meaning: str = strawberry.field(description="what the plan says it means")
    common: CommonRag = strawberry.field(
        description="the grade on the common Red/Amber/Green scale"
    )
    dca: DCA | None = strawberry.field(description="its point on the five-point DCA, if any")
    status: Status | None = strawberry.field(description="the status an item rated so has")
    position: int = strawberry.field(description="its place on the scale, from 1")

    @classmethod
    def from_read(cls, row: RagGradeRead) -> RagGrade:
        return cls(
            code=row.code,
            colour=row.colour,
            meaning=row.meaning,
            common=row.common,
            dca=row.dca,
            status=row.status,
            position=row.position,
        )


async def _load_rag_scales(
    session: AsyncSession, portfolio_ids: Sequence[int]
) -> dict[int, list[RagGrade]]:
    scales = await service.rag_scales(session=session, portfolio_ids=portfolio_ids)
    return {k: [RagGrade.from_read(g) for g in v] for k, v in scales.items()}


async def rag_scale_for(info: Ctx, portfolio_id: int) -> list[RagGrade]:
    """A portfolio's RAG scale, batched: every RAG shown carries its plan's definition."""
    return await info.context.loader("rag_scale", _load_rag_scales).load(portfolio_id) or []


@strawberry.federation.type(
    keys=["id"], description="an outcome an aim of the plan seeks, served by programmes"
)
class Outcome:
    id: strawberry.ID = strawberry.field(description="the outcome's id")
    position: int = strawberry.field(description="its place in the aim's list, from 1")
    text: str = strawberry.field(description="the outcome, as the plan words it")
    aim_id: strawberry.Private[int]

    @strawberry.field(description="the aim it belongs to")
    async def aim(self, info: Ctx) -> Aim | None:
        return await info.context.loader("aim", _load_aims).load(self.aim_id)

    @strawberry.field(description="the programmes that serve it")
    async def programmes(self, info: Ctx) -> list[Programme]:
        ids = await info.context.loader("outcome_programmes", _load_serving).load(int(self.id))
        return await _programmes(info, ids or [])

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Outcome | None:
        return await info.context.loader("outcome", _load_outcomes).load(parse_id(id))


def _outcome(row: models.Outcome) -> Outcome:
    return Outcome(
        id=strawberry.ID(str(row.id)), position=row.position, text=row.text, aim_id=row.aim_id
    )


async def _load_outcomes(session: AsyncSession, ids: Sequence[int]) -> dict[int, Outcome]:
    return {r.id: _outcome(r) for r in await service.outcome_rows(session=session, ids=ids)}  # type: ignore[misc]


async def _load_aim_outcomes(
    session: AsyncSession, aim_ids: Sequence[int]
) -> dict[int, list[Outcome]]:
    rows = await service.outcome_rows(session=session, aim_ids=aim_ids)
    return group_by(rows, lambda row: row.aim_id, _outcome, keys=aim_ids)


async def _load_serving(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[int]]:
    return await service.serving_programmes(session=session, outcome_ids=ids)


async def _load_served(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[int]]:
    return await service.served_outcomes(session=session, programme_ids=ids)


async def _load_aim_programmes(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[int]]:
    return await service.programmes_by_aim(session=session, aim_ids=ids)


async def _programmes(info: Ctx, ids: Sequence[int]) -> list[Programme]:
    rows = await info.context.loader("programme", _load_programmes).load_many(list(ids))
    return [Programme.from_row(r) for r in rows if r is not None]


@strawberry.type(description="an aim of the plan: what it seeks, through which outcomes")
class Aim:
    id: strawberry.ID = strawberry.field(description="the aim's id")
    code: str = strawberry.field(description="its code in its plan, e.g. AIM-1")
    name: str = strawberry.field(description="the aim, as the plan names it")
    focus: str | None = strawberry.field(description="what the aim concentrates on")
    portfolio_id: strawberry.Private[int]

    @strawberry.field(description="the outcomes the aim seeks, in the plan's order")
    async def outcomes(self, info: Ctx) -> list[Outcome]:
        found = await info.context.loader("aim_outcomes", _load_aim_outcomes).load(int(self.id))
        return found or []

    @strawberry.field(description="the programmes under this aim, by code")
    async def programmes(self, info: Ctx) -> list[Programme]:
        ids = await info.context.loader("aim_programmes", _load_aim_programmes).load(int(self.id))
        return await _programmes(info, ids or [])


@strawberry.type(description="someone (or a post) holding roles in the plan")
class Person:
    id: strawberry.ID = strawberry.field(description="the person's id")
    name: str = strawberry.field(description="their name, or the post's")
    title: str | None = strawberry.field(description="their job title")
    email: str | None = strawberry.field(description="their work email")
    directorate: str | None = strawberry.field(description="the directorate they work in")

    @classmethod
    def from_row(cls, row: models.Person) -> Person:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            title=row.title,
            email=row.email,
            directorate=row.directorate,
        )


@strawberry.type(description="a workstream or project of a programme")
class Workstream:
    id: strawberry.ID = strawberry.field(description="the workstream's id")
    name: str = strawberry.field(description="its name")
    description: str | None = strawberry.field(description="what it covers")
    lead: str | None = strawberry.field(description="who leads it")
    position: int = strawberry.field(description="its place in the programme's list, from 1")


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


def _aim(row: models.Aim) -> Aim:
    return Aim(
        id=strawberry.ID(str(row.id)),
        code=row.code,
        name=row.name,
        focus=row.focus,
        portfolio_id=row.portfolio_id,
    )


async def _load_aims(session: AsyncSession, ids: Sequence[int]) -> dict[int, Aim]:
    return {k: _aim(v) for k, v in (await service.get_aims(session=session, ids=ids)).items()}


async def _load_portfolio_aims(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Aim]]:
    wanted = set(ids)
    rows = [row for row in await service.list_aims(session=session) if row.portfolio_id in wanted]
    return group_by(rows, lambda row: row.portfolio_id, _aim, keys=ids)


async def _load_portfolios(session: AsyncSession, ids: Sequence[int]) -> dict[int, Portfolio]:
    return {
        p.id: Portfolio.from_row(p)  # type: ignore[misc]
        for p in await service.list_portfolios(session=session)
        if p.id in ids
    }


async def _load_portfolio_codes(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    return {p.id: p.code for p in await service.list_portfolios(session=session) if p.id in ids}  # type: ignore[misc]


@strawberry.federation.type(keys=["id"], description="A priority programme of an improvement plan")
class Programme:
    id: strawberry.ID = strawberry.field(description="the programme's id")
    code: str = strawberry.field(description="its code, unique, e.g. IRP-01")
    name: str = strawberry.field(description="its name, as the plan gives it")
    purpose: str | None = strawberry.field(description="what it is for, as the plan says")
    directorate: str | None = strawberry.field(description="the directorate that leads it")
    sao_id: strawberry.Private[int | None]
    rdl_id: strawberry.Private[int | None]
    lead_member_id: strawberry.Private[int | None]
    version: int = strawberry.field(description="its version: send it back to change it")
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

    @strawberry.field(description="the Cabinet member leading it")
    async def lead_member(self, info: Ctx) -> Person | None:
        return None if self.lead_member_id is None else await _person(info, self.lead_member_id)

    @strawberry.field(description="its workstreams or projects, in order")
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

    @strawberry.field(description="the plan's aim it serves")
    async def aim(self, info: Ctx) -> Aim | None:
        return await self._aim(info)

    @strawberry.field(description="the aim's code in its portfolio, e.g. AIM-1")
    async def aim_code(self, info: Ctx) -> str | None:
        aim = await self._aim(info)
        return None if aim is None else aim.code

    @strawberry.field(description="the plan's outcomes this programme serves")
    async def outcomes(self, info: Ctx) -> list[Outcome]:
        ids = await info.context.loader("served_outcomes", _load_served).load(int(self.id))
        found = await info.context.loader("outcome", _load_outcomes).load_many(ids or [])
        return [o for o in found if o is not None]

    @strawberry.field(description="the plan it belongs to, with its RAG scale")
    async def portfolio(self, info: Ctx) -> Portfolio | None:
        return await info.context.loader("portfolio", _load_portfolios).load(self.portfolio_id)

    @strawberry.field(description="its plan's code, e.g. IRP-2024")
    async def portfolio_code(self, info: Ctx) -> str:
        code = await info.context.loader("portfolio_code", _load_portfolio_codes).load(
            self.portfolio_id
        )
        return code or ""

    @strawberry.field(description="its key activities / milestones, in plan order")
    async def key_activities(
        self,
        info: Ctx,
        due_from: Annotated[
            date | None,
            strawberry.argument(description="only those whose baseline end is on or after it"),
        ] = None,
        due_to: Annotated[
            date | None,
            strawberry.argument(description="only those whose baseline end is on or before it"),
        ] = None,
    ) -> list[KeyActivity]:
        return await milestones.key_activities_for(
            info, int(self.id), due_from=due_from, due_to=due_to
        )

    @strawberry.field(description="the programme's numbered actions, in number order")
    async def actions(self, info: Ctx) -> list[Action]:
        return await actions_for(info, int(self.id))

    @strawberry.field(description="its highlight reports (current revisions), newest first")
    async def highlight_reports(self, info: Ctx) -> list[HighlightReport]:
        return await highlights.highlight_reports_for(info, int(self.id))

    @strawberry.field(description="the newest highlight report, or the newest up to a period")
    async def latest_highlight_report(
        self,
        info: Ctx,
        up_to_period: Annotated[
            str | None,
            strawberry.argument(description="the newest report for this month (YYYY-MM) or before"),
        ] = None,
    ) -> HighlightReport | None:
        return await highlights.latest_highlight_report_for(
            info, int(self.id), up_to_period=up_to_period
        )


@strawberry.type(description="an improvement plan: its aims, outcomes, programmes and own RAG")
class Portfolio:
    id: strawberry.ID = strawberry.field(description="the plan's id")
    code: str = strawberry.field(description="its code, e.g. IRP-2024")
    name: str = strawberry.field(description="its title")
    source: str | None = strawberry.field(description="the document it was loaded from")
    rag_definition: str | None = strawberry.field(description="the plan's RAG, in words")
    financial_year_start: int | None = strawberry.field(
        description="the plan's first financial year: anchors 'Year 2' or 'Q1'"
    )

    @classmethod
    def from_row(cls, row: models.Portfolio) -> Portfolio:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            source=row.source,
            rag_definition=row.rag_definition,
            financial_year_start=row.financial_year_start,
        )

    @strawberry.field(description="the plan's own RAG scale, and how each grade maps")
    async def rag_scale(self, info: Ctx) -> list[RagGrade]:
        return await rag_scale_for(info, int(self.id))

    @strawberry.field(description="the plan's aims, by code")
    async def aims(self, info: Ctx) -> list[Aim]:
        found = await info.context.loader("portfolio_aims", _load_portfolio_aims).load(int(self.id))
        return found or []


@strawberry.type(description="a timescale as a plan writes it, read")
class Timescale:
    text: str = strawberry.field(description="the timescale as written")
    precision: Precision = strawberry.field(description="how exactly it names its window")
    start: date | None = strawberry.field(description="the first day of its window")
    end: date | None = strawberry.field(description="the last day of its window")
    every: int | None = strawberry.field(description="a recurrence's interval, e.g. 6")
    unit: Unit | None = strawberry.field(description="a recurrence's unit: week, month, year")
    since: date | None = strawberry.field(description="what the recurrence is counted from")
    next_due: date | None = strawberry.field(description="its next occurrence as of the day")
    reason: str | None = strawberry.field(description="why no window could be read")


@strawberry.type
class PlanQuery:
    @strawberry.field(description="the improvement plans, by code")
    async def portfolios(
        self, info: Ctx, limit: Limit = 100, offset: Offset = 0
    ) -> Page[Portfolio]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            rows = await service.list_portfolios(session=session)
        return Page.of(window_of(rows, params), Portfolio.from_row)

    @strawberry.field(description="one outcome of a plan, by id")
    async def outcome(self, info: Ctx, id: ById) -> Outcome | None:
        return await Outcome.resolve_reference(info, id)

    @strawberry.field(
        description="how the CPMO reads a timescale: its window, or its recurrence and next due "
        "date as of a day, or unknown with the reason"
    )
    async def timescale(
        self,
        info: Ctx,
        text: Annotated[
            str,
            strawberry.argument(description='as a plan writes it, e.g. "Q2" or "Every 6 weeks"'),
        ],
        as_of: Annotated[date, strawberry.argument(description="the day to read it on")],
        portfolio_code: Annotated[
            str | None,
            strawberry.argument(description="the plan whose financial year 'Year 2' counts from"),
        ] = None,
        since: Annotated[
            date | None,
            strawberry.argument(description="what a recurrence counts from; the plan's start"),
        ] = None,
    ) -> Timescale:
        async with info.context.reading() as session:
            read = await service.read_timescale(
                session=session,
                text=text,
                as_of=as_of,
                portfolio_code=portfolio_code,
                since=since,
            )
        return Timescale(**read.model_dump())

    @strawberry.field(description="the priority programmes, by code")
    async def programmes(
        self,
        info: Ctx,
        portfolio_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="only this plan's")
        ] = None,
        portfolio_code: Annotated[
            str | None, strawberry.argument(description="only this plan's, by its code")
        ] = None,
        directorate: Annotated[
            str | None, strawberry.argument(description="only those this directorate leads")
        ] = None,
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

    @strawberry.field(description="one programme, by id")
    async def programme(self, info: Ctx, id: ById) -> Programme | None:
        return await Programme.resolve_reference(info, id)

    @strawberry.field(description="the people directory, by name")
    async def people(
        self,
        info: Ctx,
        q: Annotated[
            str | None, strawberry.argument(description="only those whose name or title holds it")
        ] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Person]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            found = await service.list_people(session=session, page=params, q=q)
        return Page.of(found, Person.from_row)

    @strawberry.field(description="one programme, by code")
    async def programme_by_code(
        self, info: Ctx, code: Annotated[str, strawberry.argument(description="e.g. IRP-01")]
    ) -> Programme | None:
        async with info.context.reading() as session:
            row = await service.find_by_code(session=session, code=code)
        return None if row is None else Programme.from_row(row)


@strawberry.input(description="a new priority programme of a plan")
class ProgrammeCreateInput:
    portfolio_id: strawberry.ID = strawberry.field(description="the plan it belongs to")
    code: str = strawberry.field(description="its code, unique, e.g. IRP-01")
    name: str = strawberry.field(description="its name")
    sao_id: strawberry.ID = strawberry.field(description="its Senior Accountable Officer")
    lead_member_id: strawberry.ID = strawberry.field(description="the Cabinet member leading it")
    aim_id: strawberry.ID | None = strawberry.field(
        default=None, description="the plan's aim it serves"
    )
    purpose: str | None = strawberry.field(default=None, description="what it is for")
    directorate: str | None = strawberry.field(
        default=None, description="the directorate that leads it"
    )
    rdl_id: strawberry.ID | None = strawberry.field(
        default=None, description="its Responsible Delivery Lead"
    )
    board_id: strawberry.ID | None = strawberry.field(
        default=None, description="the Programme Board that oversees it"
    )


@strawberry.input(description="only the fields sent change; null clears an optional field")
class ProgrammeUpdateInput:
    name: str | None = if_sent("its name")
    purpose: str | None = if_sent("what it is for")
    directorate: str | None = if_sent("the directorate that leads it")
    sao_id: strawberry.ID | None = if_sent("its Senior Accountable Officer")
    rdl_id: strawberry.ID | None = if_sent("its Responsible Delivery Lead")
    lead_member_id: strawberry.ID | None = if_sent("the Cabinet member leading it")
    board_id: strawberry.ID | None = if_sent("the Programme Board that oversees it")


@strawberry.input(description="someone (or a post) for the people directory")
class PersonInput:
    name: str = strawberry.field(description="their name, or the post's")
    title: str | None = strawberry.field(default=None, description="their job title")
    email: str | None = strawberry.field(default=None, description="their work email")
    directorate: str | None = strawberry.field(default=None, description="their directorate")


@strawberry.input(description="only the fields sent change; null clears an optional field")
class PersonUpdateInput:
    name: str | None = if_sent("their name")
    title: str | None = if_sent("their job title")
    email: str | None = if_sent("their work email")
    directorate: str | None = if_sent("their directorate")


@strawberry.input(description="a new workstream or project of a programme")
class WorkstreamInput:
    name: str = strawberry.field(description="its name")
    description: str | None = strawberry.field(default=None, description="what it covers")
    lead: str | None = strawberry.field(default=None, description="who leads it")


@strawberry.type
class PlanMutation:
    @strawberry.mutation(description="add someone (or a post) to the people directory")
    async def create_person(
        self, info: Ctx, input: Annotated[PersonInput, strawberry.argument(description="who")]
    ) -> Person:
        actor = info.context.writer()  # the role before the input
        data = validate(PersonCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create_person(session=session, actor=actor, data=data)
        return Person.from_row(row)

    @strawberry.mutation(description="change a person; version is the one you last read")
    async def update_person(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the person's id")],
        version: Version,
        input: Annotated[PersonUpdateInput, strawberry.argument(description="what changes")],
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

    @strawberry.mutation(description="add a workstream to a programme, after its others")
    async def add_workstream(
        self,
        info: Ctx,
        programme_id: Annotated[strawberry.ID, strawberry.argument(description="the programme")],
        input: Annotated[WorkstreamInput, strawberry.argument(description="the workstream")],
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

    @strawberry.mutation(description="add a priority programme to a plan")
    async def create_programme(
        self,
        info: Ctx,
        input: Annotated[ProgrammeCreateInput, strawberry.argument(description="the programme")],
    ) -> Programme:
        actor = info.context.writer()  # the role before the input
        data = validate(ProgrammeCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create(session=session, actor=actor, data=data)
        return Programme.from_row(row)

    @strawberry.mutation(description="change a programme; version is the one you last read")
    async def update_programme(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the programme's id")],
        version: Version,
        input: Annotated[ProgrammeUpdateInput, strawberry.argument(description="what changes")],
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

    @strawberry.mutation(
        description="say which of its plan's outcomes a programme serves (replacing the list); "
        "version is the programme's, as you last read it"
    )
    async def set_served_outcomes(
        self,
        info: Ctx,
        programme_id: Annotated[strawberry.ID, strawberry.argument(description="the programme")],
        version: Version,
        outcome_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="every outcome of its plan it serves; [] for none"),
        ],
    ) -> Programme:
        actor = info.context.writer()  # the role before the input, as everywhere
        ids = [parse_id(o, f"outcomeIds[{n}]") for n, o in enumerate(outcome_ids)]
        data = validate(ServedOutcomes, {"outcome_ids": ids})
        async with info.context.transaction() as session:
            await service.set_served_outcomes(
                session=session,
                actor=actor,
                programme_id=parse_id(programme_id, "programmeId"),
                outcome_ids=data.outcome_ids,
                expected_version=version,
            )
            row = await service.get(session=session, programme_id=parse_id(programme_id))
        return Programme.from_row(row)
