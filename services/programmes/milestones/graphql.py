"""Key activities / milestones in the programmes subgraph.

Export: the ``KeyActivity`` type, ``key_activities_for`` (Programme.keyActivities), and
``MilestonesQuery`` / ``MilestonesMutation`` to merge into the root types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
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
    id_or_none,
    if_sent,
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
from services.programmes.graphql_shared import (
    DueFrom,
    DueTo,
    OfProgramme,
    Precision,
    Status,
    today_of,
)
from services.programmes.milestones import models, service
from services.programmes.milestones.schemas import KeyActivityCreate, KeyActivityUpdate

Ctx = Info[Context, None]


@strawberry.type(description="A key activity / milestone: the plan's baseline and its progress")
class KeyActivity:
    id: strawberry.ID = strawberry.field(description="the milestone's id")
    programme_id: strawberry.ID = strawberry.field(description="the programme it belongs to")
    workstream_id: strawberry.ID | None = strawberry.field(
        description="the programme's workstream it sits in, if any"
    )
    title: str = strawberry.field(description="what is to be delivered")
    start_text: str | None = strawberry.field(description="baseline start as the plan writes it")
    end_text: str | None = strawberry.field(description="baseline end as the plan writes it")
    start_date: date | None = strawberry.field(
        description="the first day of the window the baseline start reads as"
    )
    end_date: date | None = strawberry.field(
        description="the last day of the window the baseline end reads as: the baseline date"
    )
    start_precision: Precision = strawberry.field(
        description="how exactly the baseline start names its window"
    )
    end_precision: Precision = strawberry.field(
        description="how exactly the baseline end names its window"
    )
    forecast_date: date | None = strawberry.field(description="when it is now expected")
    actual_date: date | None = strawberry.field(description="when it was delivered")
    status: Status = strawberry.field(description="its status on the highlight report's scale")
    percent_complete: int = strawberry.field(description="how far it has got, 0 to 100")
    owner: str | None = strawberry.field(description="who delivers it, post or name")
    version: int = strawberry.field(description="its version: send it back to change it")
    due_date: date | None = strawberry.field(description="the forecast, else the baseline end")
    slippage_days: int | None = strawberry.field(
        description="forecast date minus baseline end, in days"
    )
    overdue: bool = strawberry.field(description="not completed and due before today")

    @classmethod
    def from_row(cls, row: models.KeyActivity, *, today: date) -> KeyActivity:
        read = service.to_read(row, today=today)
        return cls(
            id=strawberry.ID(str(read.id)),
            programme_id=strawberry.ID(str(read.programme_id)),
            workstream_id=id_or_none(read.workstream_id),
            title=read.title,
            start_text=read.start_text,
            end_text=read.end_text,
            start_date=read.start_date,
            end_date=read.end_date,
            start_precision=Precision(read.start_precision),
            end_precision=Precision(read.end_precision),
            forecast_date=read.forecast_date,
            actual_date=read.actual_date,
            status=read.status,
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
    today = await today_of(info)
    return [KeyActivity.from_row(r, today=today) for r in rows]


@strawberry.type
class MilestonesQuery:
    @strawberry.field(description="milestones across programmes; due means forecast, else end")
    async def milestones(
        self,
        info: Ctx,
        programme_id: OfProgramme = None,
        workstream_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="only this workstream's")
        ] = None,
        status: Annotated[
            Status | None, strawberry.argument(description="only milestones at this status")
        ] = None,
        overdue: Annotated[
            bool | None,
            strawberry.argument(description="true: only not completed and due before today"),
        ] = None,
        slipped: Annotated[
            bool | None,
            strawberry.argument(description="true: only those forecast after their baseline end"),
        ] = None,
        due_from: DueFrom = None,
        due_to: DueTo = None,
        owner: Annotated[
            str | None, strawberry.argument(description="only those this person or post owns")
        ] = None,
        sort: Sort = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[KeyActivity]:
        async with info.context.reading() as session:
            today = asof.today(session)
            found = await service.search_milestones(
                session=session,
                page=page(limit, offset, sort),
                today=today,
                programme_id=optional_id(programme_id, "programmeId"),
                workstream_id=optional_id(workstream_id, "workstreamId"),
                status=status,
                overdue=overdue,
                slipped=slipped,
                due_from=due_from,
                due_to=due_to,
                owner=owner,
            )
        return Page.of(found, lambda r: KeyActivity.from_row(r, today=today))

    @strawberry.field(description="one milestone, by id")
    async def milestone(self, info: Ctx, id: ById) -> KeyActivity | None:
        async with info.context.reading() as session:
            found = await service.get_many(session=session, ids=[parse_id(id, "id")])
            today = asof.today(session)
        row = found.get(parse_id(id, "id"))
        return None if row is None else KeyActivity.from_row(row, today=today)


@strawberry.input(description="a new key activity / milestone of a programme")
class MilestoneCreateInput:
    title: str = strawberry.field(description="what is to be delivered")
    start_text: str | None = strawberry.field(
        default=None, description='baseline start as the plan writes it, e.g. "Apr-24"'
    )
    end_text: str | None = strawberry.field(
        default=None, description='baseline end as the plan writes it, e.g. "Feb 2025"'
    )
    workstream_id: strawberry.ID | None = strawberry.field(
        default=None, description="the programme's workstream it sits in"
    )
    forecast_date: date | None = strawberry.field(
        default=None, description="when it is now expected"
    )
    actual_date: date | None = strawberry.field(default=None, description="when it was delivered")
    status: Status | None = if_sent("NOT_STARTED when left out")
    percent_complete: int | None = if_sent("0 to 100; 0 when left out")
    owner: str | None = strawberry.field(default=None, description="who delivers it")


@strawberry.input(description="only the fields sent change; null clears an optional field")
class MilestoneUpdateInput:
    title: str | None = if_sent("what is to be delivered")
    start_text: str | None = if_sent("baseline start as the plan writes it")
    end_text: str | None = if_sent("baseline end as the plan writes it")
    workstream_id: strawberry.ID | None = if_sent("the programme's workstream it sits in")
    forecast_date: date | None = if_sent("when it is now expected")
    actual_date: date | None = if_sent("when it was delivered")
    status: Status | None = if_sent("its status now")
    percent_complete: int | None = if_sent("how far it has got, 0 to 100")
    owner: str | None = if_sent("who delivers it")


@strawberry.type
class MilestonesMutation:
    @strawberry.mutation(description="add a key activity / milestone to a programme")
    async def create_milestone(
        self,
        info: Ctx,
        programme_id: Annotated[
            strawberry.ID, strawberry.argument(description="the programme it belongs to")
        ],
        input: Annotated[MilestoneCreateInput, strawberry.argument(description="the milestone")],
    ) -> KeyActivity:
        actor = info.context.writer()
        data = validate(KeyActivityCreate, input_dict(input))
        async with info.context.transaction() as session:
            today = asof.today(session)
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
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the milestone's id")],
        version: Version,
        input: Annotated[MilestoneUpdateInput, strawberry.argument(description="what changes")],
    ) -> KeyActivity:
        actor = info.context.writer()
        data = validate(KeyActivityUpdate, input_dict(input))
        async with info.context.transaction() as session:
            today = asof.today(session)
            row = await service.update_milestone(
                session=session,
                actor=actor,
                milestone_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
                today=today,
            )
        return KeyActivity.from_row(row, today=today)
