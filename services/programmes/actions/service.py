"""Actions: the rules REST and GraphQL share. Functions only flush; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import Conflict, FieldError, NotFound
from services.common.grouping import group_by
from services.common.pagination import PageParams, Window, window
from services.common.updates import refuse_empty
from services.programmes.actions.models import Action
from services.programmes.actions.schemas import (
    ActionCreate,
    ActionRead,
    ActionUpdate,
    number_key,
)
from services.programmes.base import record
from services.programmes.milestones import service as milestones
from services.programmes.plan import service as plan
from services.programmes.vocabulary import Status

# Rules -------------------------------------------------------------------------------------


def is_overdue(status: str, timescale_end: date | None, *, today: date) -> bool:
    """Not completed, and its timescale ended before today."""
    return status != Status.completed and timescale_end is not None and timescale_end < today


def parsed_timescale(text: str | None, *, financial_year_start: int | None) -> dict[str, Any]:
    parsed = milestones.parse_timescale(text, financial_year_start=financial_year_start)
    return {
        "timescale_start": parsed.start,
        "timescale_end": parsed.end,
        "timescale_precision": parsed.precision.value,
    }


def to_read(row: Action, *, today: date) -> ActionRead:
    return ActionRead.model_validate(
        {**row.model_dump(), "overdue": is_overdue(row.status, row.timescale_end, today=today)}
    )


# Reading -----------------------------------------------------------------------------------

# Sort names callers use, and the column each sorts by.
ACTION_SORTS: dict[str, Any] = {
    "id": Action.id,
    "programme_id": Action.programme_id,
    "number": Action.number_key,
    "status": Action.status,
    "responsible": Action.responsible,
    "timescale_start": Action.timescale_start,
    "timescale_end": Action.timescale_end,
}


def action_order(sort: str | None) -> list[Any]:
    if not sort:
        return [col(Action.programme_id), col(Action.number_key), col(Action.id)]
    clauses = []
    for part in sort.split(","):
        name = part.strip().lstrip("-")
        if name not in ACTION_SORTS:
            raise FieldError(
                f"cannot sort by '{name}'; choose from {', '.join(sorted(ACTION_SORTS))}",
                field="sort",
            )
        column = col(ACTION_SORTS[name])
        clauses.append(column.desc() if part.strip().startswith("-") else column.asc())
    return [*clauses, col(Action.id)]


async def search_actions(
    *,
    session: AsyncSession,
    page: PageParams,
    today: date,
    programme_id: int | None = None,
    status: Status | None = None,
    responsible: str | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    overdue: bool | None = None,
) -> Window[Action]:
    """Actions across programmes; the due window and ``overdue`` use the timescale's end."""
    statement = select(Action)
    if programme_id is not None:
        statement = statement.where(Action.programme_id == programme_id)
    if status is not None:
        statement = statement.where(Action.status == status.value)
    if responsible:
        statement = statement.where(col(Action.responsible).ilike(f"%{responsible}%"))
    end = col(Action.timescale_end)
    if due_from is not None:
        statement = statement.where(end >= due_from)
    if due_to is not None:
        statement = statement.where(end <= due_to)
    if overdue is not None:
        not_completed = col(Action.status) != Status.completed.value
        statement = statement.where(
            and_(not_completed, end < today)
            if overdue
            else or_(col(Action.status) == Status.completed.value, end.is_(None), end >= today)
        )
    statement = statement.order_by(*action_order(page.sort))
    return await window(session, statement, page)


async def actions_by_programme(
    *, session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[Action]]:
    rows = (
        await session.exec(
            select(Action)
            .where(col(Action.programme_id).in_(programme_ids))
            .order_by(col(Action.programme_id), col(Action.number_key), col(Action.id))
        )
    ).all()
    found: dict[int, list[Action]] = group_by(
        rows, lambda row: row.programme_id, keys=programme_ids
    )
    return found


async def get_action(*, session: AsyncSession, action_id: int) -> Action:
    row = await session.get(Action, action_id)
    if row is None:
        raise NotFound(f"no action with id {action_id}", field="id")
    return row


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Action]:
    rows = (await session.exec(select(Action).where(col(Action.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


async def find_by_number(*, session: AsyncSession, programme_id: int, number: str) -> Action | None:
    return (
        await session.exec(
            select(Action).where(Action.programme_id == programme_id, Action.number == number)
        )
    ).first()


# Writing -----------------------------------------------------------------------------------


async def _check_number_free(
    session: AsyncSession, programme_id: int, number: str, *, other_than: int | None = None
) -> None:
    existing = await find_by_number(session=session, programme_id=programme_id, number=number)
    if existing is not None and existing.id != other_than:
        raise Conflict(
            f"programme {programme_id} already has an action numbered {number!r}", field="number"
        )


async def create_action(
    *, session: AsyncSession, actor: Principal, programme_id: int, data: ActionCreate
) -> Action:
    programme = await plan.get(session=session, programme_id=programme_id)
    await _check_number_free(session, programme_id, data.number)
    fy = await plan.financial_year_start(session=session, portfolio_id=programme.portfolio_id)
    action = Action(
        **data.model_dump(exclude={"status"}),
        status=data.status.value,
        programme_id=programme_id,
        number_key=number_key(data.number),
        **parsed_timescale(data.timescale, financial_year_start=fy),
    )
    session.add(action)
    await session.flush()
    await record(session, actor, "create", action, None)
    return action


NOT_NULL = ("number", "description", "status")


async def update_action(
    *,
    session: AsyncSession,
    actor: Principal,
    action_id: int,
    data: ActionUpdate,
    expected_version: int,
) -> Action:
    row = await get_action(session=session, action_id=action_id)
    changes = data.model_dump(exclude_unset=True)
    refuse_empty(changes, NOT_NULL)
    if "status" in changes:
        changes["status"] = Status(changes["status"]).value
    if "number" in changes:
        await _check_number_free(session, row.programme_id, changes["number"], other_than=row.id)
        changes["number_key"] = number_key(changes["number"])
    if "timescale" in changes:
        programme = await plan.get(session=session, programme_id=row.programme_id)
        fy = await plan.financial_year_start(session=session, portfolio_id=programme.portfolio_id)
        changes.update(parsed_timescale(changes["timescale"], financial_year_start=fy))
    before = audit.snapshot(row)
    await update_versioned(session, row, changes, expected_version=expected_version)
    await record(session, actor, "update", row, before)
    return row
