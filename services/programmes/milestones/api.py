"""REST for key activities / milestones."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.programmes.milestones import service
from services.programmes.milestones.schemas import KeyActivityCreate, KeyActivityRead
from services.programmes.plan import service as plan

router = APIRouter()


@router.get(
    "/programmes/{programme_id}/key-activities",
    response_model=list[KeyActivityRead],
    tags=["key activities"],
)
async def list_key_activities(
    programme_id: int,
    session: SessionDep,
    _: Reader,
    due_from: date | None = None,
    due_to: date | None = None,
) -> list[KeyActivityRead]:
    await plan.get(session=session, programme_id=programme_id)
    rows = await service.list_key_activities(
        session=session, programme_ids=[programme_id], due_from=due_from, due_to=due_to
    )
    return [KeyActivityRead.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/programmes/{programme_id}/key-activities",
    response_model=KeyActivityRead,
    status_code=status.HTTP_201_CREATED,
    tags=["key activities"],
)
async def add_key_activity(
    programme_id: int, data: KeyActivityCreate, session: SessionDep, actor: Writer
) -> KeyActivityRead:
    activity = await service.add_key_activity(
        session=session, actor=actor, programme_id=programme_id, data=data
    )
    return KeyActivityRead.model_validate(activity, from_attributes=True)
