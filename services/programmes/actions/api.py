"""REST for actions: thin routers over actions/service.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.common import asof
from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.common.etag import ExpectedVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.programmes.actions import service
from services.programmes.actions.schemas import ActionCreate, ActionRead, ActionUpdate
from services.programmes.asof import ReadSessionDep
from services.programmes.plan import service as plan
from services.programmes.vocabulary import Status

router = APIRouter()


@router.post(
    "/programmes/{programme_id}/actions",
    response_model=ActionRead,
    status_code=status.HTTP_201_CREATED,
    tags=["actions"],
)
async def create_action(
    programme_id: int,
    data: ActionCreate,
    session: SessionDep,
    actor: Writer,
    response: Response,
) -> ActionRead:
    """Add a numbered action to a programme; the number is unique within it (409 otherwise)."""
    action = await service.create_action(
        session=session, actor=actor, programme_id=programme_id, data=data
    )
    set_etag(response, action.version)
    response.headers["Location"] = f"/actions/{action.id}"
    return service.to_read(action, today=asof.today(session))


@router.get("/programmes/{programme_id}/actions", response_model=list[ActionRead], tags=["actions"])
async def list_programme_actions(
    programme_id: int, session: ReadSessionDep, _: Reader
) -> list[ActionRead]:
    """A programme's actions in number order (1.2 before 1.10)."""
    today = asof.today(session)
    await plan.get(session=session, programme_id=programme_id)
    found = await service.actions_by_programme(session=session, programme_ids=[programme_id])
    return [service.to_read(r, today=today) for r in found[programme_id]]


@router.get("/actions", response_model=Page[ActionRead], tags=["actions"])
async def list_actions(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    programme_id: int | None = None,
    status: Status | None = None,
    responsible: Annotated[
        str | None, Query(description="part of the responsible officer's name or post")
    ] = None,
    due_from: Annotated[date | None, Query(description="timescale ends on or after")] = None,
    due_to: Annotated[date | None, Query(description="timescale ends on or before")] = None,
    overdue: Annotated[
        bool | None,
        Query(description="not completed and the timescale ended before today (or the cut's day)"),
    ] = None,
) -> Page[ActionRead]:
    """Actions across programmes, in number order by default. Sort by id, programme_id,
    number, status, responsible, timescale_start or timescale_end."""
    today = asof.today(session)
    found = await service.search_actions(
        session=session,
        page=page,
        today=today,
        programme_id=programme_id,
        status=status,
        responsible=responsible,
        due_from=due_from,
        due_to=due_to,
        overdue=overdue,
    )
    rows, total = await counted(session, found)
    return Page(
        items=[service.to_read(r, today=today) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/actions/{action_id:int}", response_model=ActionRead, tags=["actions"])
async def get_action(
    action_id: int, session: ReadSessionDep, _: Reader, response: Response
) -> ActionRead:
    row = await service.get_action(session=session, action_id=action_id)
    set_etag(response, row.version)
    return service.to_read(row, today=asof.today(session))


@router.patch("/actions/{action_id:int}", response_model=ActionRead, tags=["actions"])
async def update_action(
    action_id: int,
    data: ActionUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> ActionRead:
    """Change an action; send If-Match with the ETag you last read."""
    row = await service.update_action(
        session=session, actor=actor, action_id=action_id, data=data, expected_version=version
    )
    set_etag(response, row.version)
    return service.to_read(row, today=asof.today(session))
