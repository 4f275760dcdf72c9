"""Savings initiatives in the programmes subgraph. Money is the ``Decimal`` scalar (a string on
the wire, two decimal places); RAG and lateness are judged on ``asOf`` (default today)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common import clock
from services.common.graphql import (
    Context,
    Limit,
    Offset,
    Page,
    choice,
    id_or_none,
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
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


@strawberry.type(description="A savings initiative: £ per financial year, for a programme")
class SavingsInitiative:
    id: strawberry.ID
    code: str
    title: str
    programme_id: strawberry.ID
    directorate: str | None
    financial_year: str = strawberry.field(description="e.g. 2024/25 (April to March)")
    target: Decimal
    forecast: Decimal
    delivered: Decimal
    gap: Decimal = strawberry.field(description="target - forecast")
    due_date: date | None
    late: bool = strawberry.field(
        description="past the due date with less than target delivered, or forecast < target"
    )
    late_reason: str | None
    rag: str = strawberry.field(description="Green, Amber or Red: see savings/service.py")
    owner: str | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime

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
            rag=read.rag.value,
            owner=read.owner,
            notes=read.notes,
            version=read.version,
            created_at=read.created_at,
            updated_at=read.updated_at,
        )

    @classmethod
    def from_row(
        cls, row: models.SavingsInitiative, as_of: date | None = None
    ) -> SavingsInitiative:
        return cls.from_read(service.read(row, as_of))


@strawberry.type(description="Savings summed for one group (or all: every key null)")
class SavingsTotal:
    programme_id: strawberry.ID | None
    directorate: str | None
    aim_id: strawberry.ID | None
    label: str
    target: Decimal
    forecast: Decimal
    delivered: Decimal
    gap: Decimal = strawberry.field(description="target - forecast")
    count: int
    green: int
    amber: int
    red: int
    late: int

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


@strawberry.type
class SavingsTotals:
    group_by: str
    financial_year: str | None
    as_of: date
    groups: list[SavingsTotal]
    total: SavingsTotal


async def _load_savings(
    session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[models.SavingsInitiative]]:
    return await service.by_programme(session=session, programme_ids=programme_ids)


async def savings_for(info: Ctx, programme_id: int) -> list[SavingsInitiative]:
    """A programme's savings initiatives; N programmes in one request cost one query."""
    rows = await info.context.loader("savings_initiatives_by_programme", _load_savings).load(
        programme_id
    )
    day = clock.today()
    return [SavingsInitiative.from_row(r, day) for r in rows or []]


@strawberry.type
class SavingsQuery:
    @strawberry.field
    async def savings_initiatives(
        self,
        info: Ctx,
        programme_id: strawberry.ID | None = None,
        directorate: str | None = None,
        financial_year: str | None = None,
        rag: str | None = None,
        late: bool | None = None,
        as_of: date | None = None,
        sort: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[SavingsInitiative]:
        day = as_of or clock.today()
        async with info.context.reading() as session:
            found = await service.list_initiatives(
                session=session,
                page=page(limit, offset, sort),
                programme_id=optional_id(programme_id, "programmeId"),
                directorate=directorate,
                financial_year=financial_year,
                rag_is=choice(RAG, rag, "rag"),
                late=late,
                as_of=day,
            )
        return Page.of(found, lambda r: SavingsInitiative.from_row(r, day))

    @strawberry.field
    async def savings_initiative(
        self, info: Ctx, id: strawberry.ID, as_of: date | None = None
    ) -> SavingsInitiative | None:
        initiative_id = parse_id(id, "id")
        async with info.context.reading() as session:
            row = await service.find(session=session, initiative_id=initiative_id)
        return None if row is None else SavingsInitiative.from_row(row, as_of)

    @strawberry.field(description="target, forecast, delivered, gap and count per group")
    async def savings_totals(
        self,
        info: Ctx,
        group_by: str = "programme",
        financial_year: str | None = None,
        programme_id: strawberry.ID | None = None,
        directorate: str | None = None,
        as_of: date | None = None,
    ) -> SavingsTotals:
        async with info.context.reading() as session:
            result = await service.totals(
                session=session,
                group_by=choice(GroupBy, group_by, "group_by"),
                financial_year=financial_year,
                programme_id=optional_id(programme_id, "programmeId"),
                directorate=directorate,
                as_of=as_of,
            )
        return SavingsTotals(
            group_by=result.group_by.value,
            financial_year=result.financial_year,
            as_of=result.as_of,
            groups=[SavingsTotal.from_model(g) for g in result.groups],
            total=SavingsTotal.from_model(result.total),
        )


@strawberry.input
class SavingsInitiativeCreateInput:
    programme_id: strawberry.ID
    code: str
    title: str
    financial_year: str
    target: Decimal
    forecast: Decimal
    delivered: Decimal | None = strawberry.UNSET
    directorate: str | None = strawberry.UNSET
    due_date: date | None = None
    owner: str | None = None
    notes: str | None = None


@strawberry.input
class SavingsInitiativeUpdateInput:
    code: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    programme_id: strawberry.ID | None = strawberry.UNSET
    directorate: str | None = strawberry.UNSET
    financial_year: str | None = strawberry.UNSET
    target: Decimal | None = strawberry.UNSET
    forecast: Decimal | None = strawberry.UNSET
    delivered: Decimal | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    owner: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.type
class SavingsMutation:
    @strawberry.mutation
    async def create_savings_initiative(
        self, info: Ctx, input: SavingsInitiativeCreateInput
    ) -> SavingsInitiative:
        actor = info.context.writer()
        values = input_dict(input)
        if values.get("delivered", "") is None:
            del values["delivered"]  # null means "nothing yet": the default, 0.00
        data = validate(SavingsCreate, values)
        async with info.context.transaction() as session:
            row = await service.create(session=session, actor=actor, data=data)
        return SavingsInitiative.from_row(row)

    @strawberry.mutation(description="change an initiative; version is the one you last read")
    async def update_savings_initiative(
        self, info: Ctx, id: strawberry.ID, version: int, input: SavingsInitiativeUpdateInput
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
        return SavingsInitiative.from_row(row)
