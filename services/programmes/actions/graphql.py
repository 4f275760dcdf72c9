"""Actions in the programmes subgraph.

Export: the ``Action`` type, ``actions_for`` (for Programme.actions), and ``ActionsQuery`` /
``ActionsMutation`` to merge into the root types.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
from services.programmes.actions import models, service
from services.programmes.actions.schemas import ActionCreate, ActionUpdate
from services.programmes.vocabulary import Status

Ctx = Info[Context, None]


@strawberry.type(description="A numbered action of a programme's action plan")
class Action:
    id: strawberry.ID
    programme_id: strawberry.ID
    number: str = strawberry.field(description='e.g. "1.3", unique within its programme')
    description: str
    timescale: str | None = strawberry.field(description="as the plan writes it")
    timescale_start: date | None
    timescale_end: date | None
    timescale_precision: str
    measures: str | None
    responsible: str | None
    review_references: str | None
    status: str
    overdue: bool = strawberry.field(description="not completed and its timescale has passed")
    version: int

    @classmethod
    def from_row(cls, row: models.Action, *, today: date | None = None) -> Action:
        read = service.to_read(row, today=today or clock.today())
        return cls(
            id=strawberry.ID(str(read.id)),
            programme_id=strawberry.ID(str(read.programme_id)),
            number=read.number,
            description=read.description,
            timescale=read.timescale,
            timescale_start=read.timescale_start,
            timescale_end=read.timescale_end,
            timescale_precision=read.timescale_precision,
            measures=read.measures,
            responsible=read.responsible,
            review_references=read.review_references,
            status=read.status.value,
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
    today = clock.today()
    return [Action.from_row(r, today=today) for r in rows or []]


@strawberry.type
class ActionsQuery:
    @strawberry.field(description="actions across programmes; due means the timescale's end")
    async def actions(
        self,
        info: Ctx,
        programme_id: strawberry.ID | None = None,
        status: str | None = None,
        responsible: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        overdue: bool | None = None,
        sort: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Action]:
        today = clock.today()
        async with info.context.reading() as session:
            found = await service.search_actions(
                session=session,
                page=page(limit, offset, sort),
                today=today,
                programme_id=optional_id(programme_id, "programmeId"),
                status=choice(Status, status, "status"),
                responsible=responsible,
                due_from=due_from,
                due_to=due_to,
                overdue=overdue,
            )
        return Page.of(found, lambda r: Action.from_row(r, today=today))

    @strawberry.field
    async def action(self, info: Ctx, id: strawberry.ID) -> Action | None:
        async with info.context.reading() as session:
            row = (await service.get_many(session=session, ids=[parse_id(id, "id")])).get(
                parse_id(id, "id")
            )
        return None if row is None else Action.from_row(row)


@strawberry.input
class ActionCreateInput:
    number: str
    description: str
    timescale: str | None = None
    measures: str | None = None
    responsible: str | None = None
    review_references: str | None = None
    status: str | None = strawberry.UNSET


@strawberry.input(description="only the fields sent change; null clears an optional field")
class ActionUpdateInput:
    number: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    timescale: str | None = strawberry.UNSET
    measures: str | None = strawberry.UNSET
    responsible: str | None = strawberry.UNSET
    review_references: str | None = strawberry.UNSET
    status: str | None = strawberry.UNSET


@strawberry.type
class ActionsMutation:
    @strawberry.mutation(description="add a numbered action to a programme")
    async def create_action(
        self, info: Ctx, programme_id: strawberry.ID, input: ActionCreateInput
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
        return Action.from_row(row)

    @strawberry.mutation(description="change an action; version is the one you last read")
    async def update_action(
        self, info: Ctx, id: strawberry.ID, version: int, input: ActionUpdateInput
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
        return Action.from_row(row)
