"""Key activities / milestones in the programmes subgraph.

Export: the ``KeyActivity`` type, ``key_activities_for`` (Programme.keyActivities), and
``MilestonesQuery`` / ``MilestonesMutation`` to merge into the root types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date

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
from services.programmes.milestones import models, service
from services.programmes.milestones.schemas import (
    KeyActivityCreate,
    KeyActivityUpdate,
    Status,
)

Ctx = Info[Context, None]


@strawberry.type(description="A key activity / milestone: the plan's baseline and its progress")
class KeyActivity:
    id: strawberry.ID
    programme_id: strawberry.ID
    workstream_id: strawberry.ID | None
    title: str
    start_text: str | None = strawberry.field(description="baseline start as the plan writes it")
    end_text: str | None = strawberry.field(description="baseline end as the plan writes it")
    start_date: date | None
    end_date: date | None
    start_precision: str
    end_precision: str
    forecast_date: date | None
    actual_date: date | None
    status: str
    percent_complete: int
    owner: str | None
    version: int
    due_date: date | None = strawberry.field(description="the forecast, else the baseline end")
    slippage_days: int | None = strawberry.field(
        description="forecast date minus baseline end, in days"
    )
    overdue: bool = strawberry.field(description="not completed and due before today")

    @classmethod
    def from_row(cls, row: models.KeyActivity, *, today: date | None = None) -> KeyActivity:
        read = service.to_read(row, today=today or clock.today())
        return cls(
            id=strawberry.ID(str(read.id)),
            programme_id=strawberry.ID(str(read.programme_id)),
            workstream_id=id_or_none(read.workstream_id),
            title=read.title,
            start_text=read.start_text,
            end_text=read.end_text,
            start_date=read.start_date,
            end_date=read.end_date,
            start_precision=read.start_precision,
            end_precision=read.end_precision,
            forecast_date=read.forecast_date,
            actual_date=read.actual_date,
            status=read.status.value,
            percent_complete=read.percent_complete,
            owner=read.owner,
            version=read.version,
            due_date=read.due_date,
            slippage_days=read.slippage_days,
            overdue=read.overdue,
        )


def _loader_for_window(
    due_from: date | None, due_to: date | None
) -> Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, list[models.KeyActivity]]]]:
    """The batch function for one due window: one query for every programme asked for."""

    async def load(
        session: AsyncSession, ids: Sequence[int]
    ) -> dict[int, list[models.KeyActivity]]:
        return await service.key_activities_by_programme(
            session=session, programme_ids=ids, due_from=due_from, due_to=due_to
        )

    return load


async def key_activities_for(
    info: Ctx, programme_id: int, *, due_from: date | None = None, due_to: date | None = None
) -> list[KeyActivity]:
    """A programme's key activities in plan order (the window filters on the baseline end);
    batched across programmes per request and window."""
    loader = info.context.loader(
        f"key_activities:{due_from}:{due_to}", _loader_for_window(due_from, due_to)
    )
    rows = await loader.load(programme_id) or []
    today = clock.today()
    return [KeyActivity.from_row(r, today=today) for r in rows]


@strawberry.type
class MilestonesQuery:
    @strawberry.field(description="milestones across programmes; due means forecast, else end")
    async def milestones(
        self,
        info: Ctx,
        programme_id: strawberry.ID | None = None,
        workstream_id: strawberry.ID | None = None,
        status: str | None = None,
        overdue: bool | None = None,
        slipped: bool | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        owner: str | None = None,
        sort: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[KeyActivity]:
        today = clock.today()
        async with info.context.reading() as session:
            found = await service.search_milestones(
                session=session,
                page=page(limit, offset, sort),
                today=today,
                programme_id=optional_id(programme_id, "programmeId"),
                workstream_id=optional_id(workstream_id, "workstreamId"),
                status=choice(Status, status, "status"),
                overdue=overdue,
                slipped=slipped,
                due_from=due_from,
                due_to=due_to,
                owner=owner,
            )
        return Page.of(found, lambda r: KeyActivity.from_row(r, today=today))

    @strawberry.field
    async def milestone(self, info: Ctx, id: strawberry.ID) -> KeyActivity | None:
        async with info.context.reading() as session:
            found = await service.get_many(session=session, ids=[parse_id(id, "id")])
        row = found.get(parse_id(id, "id"))
        return None if row is None else KeyActivity.from_row(row)


@strawberry.input
class MilestoneCreateInput:
    title: str
    start_text: str | None = None
    end_text: str | None = None
    workstream_id: strawberry.ID | None = None
    forecast_date: date | None = None
    actual_date: date | None = None
    status: str | None = strawberry.UNSET
    percent_complete: int | None = strawberry.UNSET
    owner: str | None = None


@strawberry.input(description="only the fields sent change; null clears an optional field")
class MilestoneUpdateInput:
    title: str | None = strawberry.UNSET
    start_text: str | None = strawberry.UNSET
    end_text: str | None = strawberry.UNSET
    workstream_id: strawberry.ID | None = strawberry.UNSET
    forecast_date: date | None = strawberry.UNSET
    actual_date: date | None = strawberry.UNSET
    status: str | None = strawberry.UNSET
    percent_complete: int | None = strawberry.UNSET
    owner: str | None = strawberry.UNSET


@strawberry.type
class MilestonesMutation:
    @strawberry.mutation(description="add a key activity / milestone to a programme")
    async def create_milestone(
        self, info: Ctx, programme_id: strawberry.ID, input: MilestoneCreateInput
    ) -> KeyActivity:
        actor = info.context.writer()
        data = validate(KeyActivityCreate, input_dict(input))
        today = clock.today()
        async with info.context.transaction() as session:
            row = await service.add_key_activity(
                session=session,
                actor=actor,
                programme_id=parse_id(programme_id, "programmeId"),
                data=data,
                today=today,
            )
        return KeyActivity.from_row(row, today=today)

    @strawberry.mutation(description="change a milestone; version is the one you last read")
    async def update_milestone(
        self, info: Ctx, id: strawberry.ID, version: int, input: MilestoneUpdateInput
    ) -> KeyActivity:
        actor = info.context.writer()
        data = validate(KeyActivityUpdate, input_dict(input))
        today = clock.today()
        async with info.context.transaction() as session:
            row = await service.update_milestone(
                session=session,
                actor=actor,
                milestone_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
                today=today,
            )
        return KeyActivity.from_row(row, today=today)
