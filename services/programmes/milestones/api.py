"""REST for key activities / milestones: thin routers over milestones/service.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.common import asof
from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.common.etag import ExpectedVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.programmes.asof import ReadSessionDep
from services.programmes.milestones import service
from services.programmes.milestones.schemas import (
    KeyActivityCreate,
    KeyActivityRead,
    KeyActivityUpdate,
    Status,
)
from services.programmes.plan import service as plan

router = APIRouter()


@router.get(
    "/programmes/{programme_id}/key-activities",
    response_model=list[KeyActivityRead],
    tags=["milestones"],
)
async def list_key_activities(
    programme_id: int,
    session: ReadSessionDep,
    _: Reader,
    due_from: Annotated[date | None, Query(description="baseline end on or after")] = None,
    due_to: Annotated[date | None, Query(description="baseline end on or before")] = None,
) -> list[KeyActivityRead]:
    await plan.get(session=session, programme_id=programme_id)
    today = asof.today(session)
    rows = await service.list_key_activities(
        session=session, programme_ids=[programme_id], due_from=due_from, due_to=due_to
    )
    return [service.to_read(r, today=today) for r in rows]


@router.post(
    "/programmes/{programme_id}/key-activities",
    response_model=KeyActivityRead,
    status_code=status.HTTP_201_CREATED,
    tags=["milestones"],
)
async def add_key_activity(
    programme_id: int,
    data: KeyActivityCreate,
    session: SessionDep,
    actor: Writer,
    response: Response,
) -> KeyActivityRead:
    """Add a key activity / milestone to a programme. Completed needs percent_complete 100
    (sent or defaulted) and an actual date (defaults to today), not before the baseline start."""
    today = asof.today(session)
    activity = await service.add_key_activity(
        session=session, actor=actor, programme_id=programme_id, data=data, today=today
    )
    set_etag(response, activity.version)
    response.headers["Location"] = f"/milestones/{activity.id}"
    return service.to_read(activity, today=today)


@router.get("/milestones", response_model=Page[KeyActivityRead], tags=["milestones"])
async def list_milestones(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    programme_id: int | None = None,
    workstream_id: int | None = None,
    status: Status | None = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="not completed and due (forecast, else end) before today (or the cut's day)"
        ),
    ] = None,
    slipped: Annotated[
        bool | None, Query(description="forecast date later than the baseline end")
    ] = None,
    due_from: Annotated[
        date | None, Query(description="due (forecast, else baseline end) on or after")
    ] = None,
    due_to: Annotated[
        date | None, Query(description="due (forecast, else baseline end) on or before")
    ] = None,
    owner: Annotated[str | None, Query(description="part of the owner's name")] = None,
) -> Page[KeyActivityRead]:
    """Milestones across programmes. Sort by id, programme_id, workstream_id, position, title,
    start_date, end_date, forecast_date, actual_date, status, percent_complete or owner."""
    today = asof.today(session)
    found = await service.search_milestones(
        session=session,
        page=page,
        today=today,
        programme_id=programme_id,
        workstream_id=workstream_id,
        status=status,
        overdue=overdue,
        slipped=slipped,
        due_from=due_from,
        due_to=due_to,
        owner=owner,
    )
    rows, total = await counted(session, found)
    return Page(
        items=[service.to_read(r, today=today) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/milestones/{milestone_id:int}", response_model=KeyActivityRead, tags=["milestones"])
async def get_milestone(
    milestone_id: int, session: ReadSessionDep, _: Reader, response: Response
) -> KeyActivityRead:
    row = await service.get_milestone(session=session, milestone_id=milestone_id)
    set_etag(response, row.version)
    return service.to_read(row, today=asof.today(session))


@router.patch("/milestones/{milestone_id:int}", response_model=KeyActivityRead, tags=["milestones"])
async def update_milestone(
    milestone_id: int,
    data: KeyActivityUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> KeyActivityRead:
    """Change a milestone; send If-Match with the ETag you last read. Changing start_text or
    end_text re-baselines (the window is parsed again)."""
    today = asof.today(session)
    row = await service.update_milestone(
        session=session,
        actor=actor,
        milestone_id=milestone_id,
        data=data,
        expected_version=version,
        today=today,
    )
    set_etag(response, row.version)
    return service.to_read(row, today=today)
