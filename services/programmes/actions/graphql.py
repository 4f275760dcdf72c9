"""Actions in the programmes subgraph.

Export: the ``Action`` type, ``actions_for`` (for Programme.actions), and ``ActionsQuery`` /
``ActionsMutation`` to merge into the root types.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    if_sent,
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
from services.programmes.actions import models, service
from services.programmes.actions.schemas import ActionCreate, ActionUpdate
from services.programmes.graphql_shared import (
    DueFrom,
    DueTo,
    OfProgramme,
    Precision,
    Status,
    today_of,
)

Ctx = Info[Context, None]


@strawberry.type(description="A numbered action of a programme's action plan")
class Action:
    id: strawberry.ID = strawberry.field(description="the action's id")
    programme_id: strawberry.ID = strawberry.field(description="the programme it belongs to")
    number: str = strawberry.field(description='e.g. "1.3", unique within its programme')
    description: str = strawberry.field(description="what is to be done, as the plan words it")
    timescale: str | None = strawberry.field(
        description='when, as the plan writes it: "March 2016", "Q2", "Every 6 weeks", "Ongoing"'
    )
    timescale_start: date | None = strawberry.field(
        description="the first day of the window the timescale reads as"
    )
    timescale_end: date | None = strawberry.field(
        description="the last day of that window: the action's due date"
    )
    timescale_precision: Precision = strawberry.field(
        description="how exactly the timescale names its window"
    )
    measures: str | None = strawberry.field(
        description="how success is measured, as the plan writes it"
    )
    responsible: str | None = strawberry.field(description="who is responsible, post or name")
    review_references: str | None = strawberry.field(
        description="the review findings the action answers, e.g. Casey report paragraphs"
    )
    status: Status = strawberry.field(description="its status on the highlight report's scale")
    overdue: bool = strawberry.field(description="not completed and its timescale has passed")
    version: int = strawberry.field(description="its version: send it back to change it")

    @classmethod
    def from_row(cls, row: models.Action, *, today: date) -> Action:
        read = service.to_read(row, today=today)
        return cls(
            id=strawberry.ID(str(read.id)),
            programme_id=strawberry.ID(str(read.programme_id)),
            number=read.number,
            description=read.description,
            timescale=read.timescale,
            timescale_start=read.timescale_start,
            timescale_end=read.timescale_end,
            timescale_precision=Precision(read.timescale_precision),
            measures=read.measures,
            responsible=read.responsible,
            review_references=read.review_references,
            status=read.status,
            overdue=read.overdue,
            version=read.version,
        )


async def _load_actions(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[models.Action]]:
    return await service.actions_by_programme(session=session, programme_ids=ids)


async def actions_for(info: Ctx, programme_id: int) -> list[Action]:
    """A programme's actions in number order, batched across programmes per request."""
    rows = await info.context.loader("actions", _load_actions).load(programme_id)
    today = await today_of(info)
    return [Action.from_row(r, today=today) for r in rows or []]


@strawberry.type
class ActionsQuery:
    @strawberry.field(description="actions across programmes; due means the timescale's end")
    async def actions(
        self,
        info: Ctx,
        programme_id: OfProgramme = None,
        status: Annotated[
            Status | None, strawberry.argument(description="only actions at this status")
        ] = None,
        responsible: Annotated[
            str | None, strawberry.argument(description="only actions this person or post holds")
        ] = None,
        due_from: DueFrom = None,
        due_to: DueTo = None,
        overdue: Annotated[
            bool | None, strawberry.argument(description="true: only overdue; false: only not")
        ] = None,
        sort: Sort = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Action]:
        async with info.context.reading() as session:
            today = asof.today(session)
            found = await service.search_actions(
                session=session,
                page=page(limit, offset, sort),
                today=today,
                programme_id=optional_id(programme_id, "programmeId"),
                status=status,
                responsible=responsible,
                due_from=due_from,
                due_to=due_to,
                overdue=overdue,
            )
        return Page.of(found, lambda r: Action.from_row(r, today=today))

    @strawberry.field(description="one action, by id")
    async def action(self, info: Ctx, id: ById) -> Action | None:
        async with info.context.reading() as session:
            row = (await service.get_many(session=session, ids=[parse_id(id, "id")])).get(
                parse_id(id, "id")
            )
            today = asof.today(session)
        return None if row is None else Action.from_row(row, today=today)


@strawberry.input(description="a new numbered action of a programme's action plan")
class ActionCreateInput:
    number: str = strawberry.field(description='e.g. "1.3", unique within its programme')
    description: str = strawberry.field(description="what is to be done")
    timescale: str | None = strawberry.field(
        default=None, description='when, as the plan writes it, e.g. "Q2" or "March 2016"'
    )
    measures: str | None = strawberry.field(default=None, description="how success is measured")
    responsible: str | None = strawberry.field(default=None, description="who is responsible")
    review_references: str | None = strawberry.field(
        default=None, description="the review findings the action answers"
    )
    status: Status | None = if_sent("NOT_STARTED when left out")


@strawberry.input(description="only the fields sent change; null clears an optional field")
class ActionUpdateInput:
    number: str | None = if_sent("its new number")
    description: str | None = if_sent("what is to be done")
    timescale: str | None = if_sent("when, as the plan writes it")
    measures: str | None = if_sent("how success is measured")
    responsible: str | None = if_sent("who is responsible")
    review_references: str | None = if_sent("the review findings the action answers")
    status: Status | None = if_sent("its status now")


@strawberry.type
class ActionsMutation:
    @strawberry.mutation(description="add a numbered action to a programme")
    async def create_action(
        self,
        info: Ctx,
        programme_id: Annotated[
            strawberry.ID, strawberry.argument(description="the programme it belongs to")
        ],
        input: Annotated[ActionCreateInput, strawberry.argument(description="the action")],
    ) -> Action:
        actor = info.context.writer()
        data = validate(ActionCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create_action(
                session=session,
                actor=actor,
                programme_id=parse_id(programme_id, "programmeId"),
                data=data,
            )
            today = asof.today(session)
        return Action.from_row(row, today=today)

    @strawberry.mutation(description="change an action; version is the one you last read")
    async def update_action(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the action's id")],
        version: Version,
        input: Annotated[ActionUpdateInput, strawberry.argument(description="what changes")],
    ) -> Action:
        actor = info.context.writer()
        data = validate(ActionUpdate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.update_action(
                session=session,
                actor=actor,
                action_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
            )
            today = asof.today(session)
        return Action.from_row(row, today=today)
