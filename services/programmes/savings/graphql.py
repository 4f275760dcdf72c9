"""Savings initiatives in the programmes subgraph. Money is the ``Decimal`` scalar (a string on
the wire, two decimal places); RAG and lateness are judged on ``asOf`` (default today, or the
cut's day when the operation reads at a cut)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common import asof
from services.common.graphql import (
    ById,
    Context,
    Limit,
    Offset,
    Page,
    Sort,
    Version,
    graphql_enum,
    id_or_none,
    if_sent,
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
from services.programmes.graphql_shared import OfProgramme, today_of
from services.programmes.savings import models, service
from services.programmes.savings.schemas import (
    RAG,
    GroupBy,
    SavingsCreate,
    SavingsRead,
    SavingsUpdate,
)
from services.programmes.savings.schemas import SavingsTotal as SavingsTotalModel

Ctx = Info[Context, None]

graphql_enum(
    RAG,
    name="SavingsRag",
    description="A savings initiative's RAG on the day judged: RED overdue, or forecast more "
    "than 10% below target; AMBER forecast below target by no more than 10%; GREEN forecast "
    "at or above target and not overdue",
)
graphql_enum(
    GroupBy,
    name="SavingsGroupBy",
    description="What savings totals are summed by: PROGRAMME, DIRECTORATE or AIM",
)

AsOf = Annotated[
    date | None,
    strawberry.argument(description="the day RAG and lateness are judged on; today if left out"),
]


@strawberry.type(description="A savings initiative: £ per financial year, for a programme")
class SavingsInitiative:
    id: strawberry.ID = strawberry.field(description="the initiative's id")
    code: str = strawberry.field(description="its reference, unique")
    title: str = strawberry.field(description="what the saving is")
    programme_id: strawberry.ID = strawberry.field(description="the programme delivering it")
    directorate: str | None = strawberry.field(description="the directorate whose budget it is")
    financial_year: str = strawberry.field(description="e.g. 2024/25 (April to March)")
    target: Decimal = strawberry.field(description="the saving to make in the year, in £")
    forecast: Decimal = strawberry.field(description="what is now forecast to be saved, in £")
    delivered: Decimal = strawberry.field(description="what has been saved so far, in £")
    gap: Decimal = strawberry.field(description="target - forecast, in £")
    due_date: date | None = strawberry.field(description="when the saving is due in full")
    late: bool = strawberry.field(
        description="past the due date with less than target delivered, or forecast < target"
    )
    late_reason: str | None = strawberry.field(
        description="why it is late: overdue (which wins) or forecast below target"
    )
    rag: RAG = strawberry.field(description="its RAG on the day judged")
    owner: str | None = strawberry.field(description="who delivers it")
    notes: str | None = strawberry.field(description="anything else the CPMO records")
    version: int = strawberry.field(description="its version: send it back to change it")
    created_at: datetime = strawberry.field(description="when it was entered")
    updated_at: datetime = strawberry.field(description="when it last changed")

    @classmethod
    def from_read(cls, read: SavingsRead) -> SavingsInitiative:
        return cls(
            id=strawberry.ID(str(read.id)),
            code=read.code,
            title=read.title,
            programme_id=strawberry.ID(str(read.programme_id)),
            directorate=read.directorate,
            financial_year=read.financial_year,
            target=read.target,
            forecast=read.forecast,
            delivered=read.delivered,
            gap=read.gap,
            due_date=read.due_date,
            late=read.late,
            late_reason=read.late_reason,
            rag=read.rag,
            owner=read.owner,
            notes=read.notes,
            version=read.version,
            created_at=read.created_at,
            updated_at=read.updated_at,
        )

    @classmethod
    def from_row(cls, row: models.SavingsInitiative, as_of: date) -> SavingsInitiative:
        return cls.from_read(service.read(row, as_of))


@strawberry.type(description="Savings summed for one group (or all: every key null)")
class SavingsTotal:
    programme_id: strawberry.ID | None = strawberry.field(
        description="the programme summed, when grouped by programme"
    )
    directorate: str | None = strawberry.field(
        description="the directorate summed, when grouped by directorate"
    )
    aim_id: strawberry.ID | None = strawberry.field(description="the aim summed, by aim")
    label: str = strawberry.field(description="the group's name to print")
    target: Decimal = strawberry.field(description="the targets summed, in £")
    forecast: Decimal = strawberry.field(description="the forecasts summed, in £")
    delivered: Decimal = strawberry.field(description="what has been saved, summed, in £")
    gap: Decimal = strawberry.field(description="target - forecast, in £")
    count: int = strawberry.field(description="how many initiatives")
    green: int = strawberry.field(description="how many are Green")
    amber: int = strawberry.field(description="how many are Amber")
    red: int = strawberry.field(description="how many are Red")
    late: int = strawberry.field(description="how many are late")

    @classmethod
    def from_model(cls, total: SavingsTotalModel) -> SavingsTotal:
        return cls(
            programme_id=id_or_none(total.programme_id),
            directorate=total.directorate,
            aim_id=id_or_none(total.aim_id),
            label=total.label,
            target=total.target,
            forecast=total.forecast,
            delivered=total.delivered,
            gap=total.gap,
            count=total.count,
            green=total.green,
            amber=total.amber,
            red=total.red,
            late=total.late,
        )


@strawberry.type(description="savings summed per group, and in all")
class SavingsTotals:
    group_by: GroupBy = strawberry.field(description="what the groups are")
    financial_year: str | None = strawberry.field(description="the year summed, if one")
    as_of: date = strawberry.field(description="the day RAG and lateness were judged on")
    groups: list[SavingsTotal] = strawberry.field(description="one total per group")
    total: SavingsTotal = strawberry.field(description="every group together")


async def _load_savings(
    session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[models.SavingsInitiative]]:
    return await service.by_programme(session=session, programme_ids=programme_ids)


async def savings_for(info: Ctx, programme_id: int) -> list[SavingsInitiative]:
    """A programme's savings initiatives; N programmes in one request cost one query."""
    rows = await info.context.loader("savings_initiatives_by_programme", _load_savings).load(
        programme_id
    )
    day = await today_of(info)
    return [SavingsInitiative.from_row(r, day) for r in rows or []]


@strawberry.type
class SavingsQuery:
    @strawberry.field(description="savings initiatives, by code unless sorted")
    async def savings_initiatives(
        self,
        info: Ctx,
        programme_id: OfProgramme = None,
        directorate: Annotated[
            str | None, strawberry.argument(description="only this directorate's")
        ] = None,
        financial_year: Annotated[
            str | None, strawberry.argument(description="only this year's, e.g. 2024/25")
        ] = None,
        rag: Annotated[RAG | None, strawberry.argument(description="only at this RAG")] = None,
        late: Annotated[
            bool | None, strawberry.argument(description="true: only late; false: only on time")
        ] = None,
        as_of: AsOf = None,
        sort: Sort = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[SavingsInitiative]:
        async with info.context.reading() as session:
            day = as_of or asof.today(session)
            found = await service.list_initiatives(
                session=session,
                page=page(limit, offset, sort),
                programme_id=optional_id(programme_id, "programmeId"),
                directorate=directorate,
                financial_year=financial_year,
                rag_is=rag,
                late=late,
                as_of=day,
            )
        return Page.of(found, lambda r: SavingsInitiative.from_row(r, day))

    @strawberry.field(description="one savings initiative, by id")
    async def savings_initiative(
        self,
        info: Ctx,
        id: ById,
        as_of: AsOf = None,
    ) -> SavingsInitiative | None:
        initiative_id = parse_id(id, "id")
        async with info.context.reading() as session:
            row = await service.find(session=session, initiative_id=initiative_id)
            day = as_of or asof.today(session)
        return None if row is None else SavingsInitiative.from_row(row, day)

    @strawberry.field(description="target, forecast, delivered, gap and count per group")
    async def savings_totals(
        self,
        info: Ctx,
        group_by: Annotated[
            GroupBy, strawberry.argument(description="what to sum by")
        ] = GroupBy.programme,
        financial_year: Annotated[
            str | None, strawberry.argument(description="only this year's, e.g. 2024/25")
        ] = None,
        programme_id: OfProgramme = None,
        directorate: Annotated[
            str | None, strawberry.argument(description="only this directorate's")
        ] = None,
        as_of: AsOf = None,
    ) -> SavingsTotals:
        async with info.context.reading() as session:
            result = await service.totals(
                session=session,
                group_by=group_by,
                financial_year=financial_year,
                programme_id=optional_id(programme_id, "programmeId"),
                directorate=directorate,
                as_of=as_of,
            )
        return SavingsTotals(
            group_by=result.group_by,
            financial_year=result.financial_year,
            as_of=result.as_of,
            groups=[SavingsTotal.from_model(g) for g in result.groups],
            total=SavingsTotal.from_model(result.total),
        )


@strawberry.input(description="a new savings initiative; money in £, up to two decimal places")
class SavingsInitiativeCreateInput:
    programme_id: strawberry.ID = strawberry.field(description="the programme delivering it")
    code: str = strawberry.field(description="its reference, unique")
    title: str = strawberry.field(description="what the saving is")
    financial_year: str = strawberry.field(description="e.g. 2024/25 (April to March)")
    target: Decimal = strawberry.field(description="the saving to make in the year, in £")
    forecast: Decimal = strawberry.field(description="what is forecast to be saved, in £")
    delivered: Decimal | None = if_sent("saved so far, in £; 0.00 if left out or null")
    directorate: str | None = if_sent("the directorate; the programme's if left out")
    due_date: date | None = strawberry.field(default=None, description="when it is due in full")
    owner: str | None = strawberry.field(default=None, description="who delivers it")
    notes: str | None = strawberry.field(default=None, description="anything else")


@strawberry.input(description="only the fields sent change; money in £")
class SavingsInitiativeUpdateInput:
    code: str | None = if_sent("its reference")
    title: str | None = if_sent("what it is")
    programme_id: strawberry.ID | None = if_sent("the programme delivering it")
    directorate: str | None = if_sent("the directorate")
    financial_year: str | None = if_sent("e.g. 2024/25")
    target: Decimal | None = if_sent("in £")
    forecast: Decimal | None = if_sent("in £")
    delivered: Decimal | None = if_sent("in £")
    due_date: date | None = if_sent("when it is due in full")
    owner: str | None = if_sent("who delivers it")
    notes: str | None = if_sent("anything else")


@strawberry.type
class SavingsMutation:
    @strawberry.mutation(description="add a savings initiative")
    async def create_savings_initiative(
        self,
        info: Ctx,
        input: Annotated[
            SavingsInitiativeCreateInput, strawberry.argument(description="the initiative")
        ],
    ) -> SavingsInitiative:
        actor = info.context.writer()
        values = input_dict(input)
        if values.get("delivered", "") is None:
            del values["delivered"]  # null means "nothing yet": the default, 0.00
        data = validate(SavingsCreate, values)
        async with info.context.transaction() as session:
            row = await service.create(session=session, actor=actor, data=data)
            day = asof.today(session)
        return SavingsInitiative.from_row(row, day)

    @strawberry.mutation(description="change an initiative; version is the one you last read")
    async def update_savings_initiative(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the initiative's id")],
        version: Version,
        input: Annotated[
            SavingsInitiativeUpdateInput, strawberry.argument(description="what changes")
        ],
    ) -> SavingsInitiative:
        actor = info.context.writer()
        data = validate(SavingsUpdate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.update(
                session=session,
                actor=actor,
                initiative_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
            )
            day = asof.today(session)
        return SavingsInitiative.from_row(row, day)
