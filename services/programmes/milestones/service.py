"""Key activities / milestones: the rules REST and GraphQL share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.errors import FieldError
from services.programmes import timescales
from services.programmes.base import record
from services.programmes.milestones.models import KeyActivity
from services.programmes.milestones.schemas import KeyActivityCreate
from services.programmes.plan import service as plan

# Key activities ----------------------------------------------------------------------------


async def list_key_activities(
    *,
    session: AsyncSession,
    programme_ids: Sequence[int],
    due_from: date | None = None,
    due_to: date | None = None,
) -> Sequence[KeyActivity]:
    statement = select(KeyActivity).where(col(KeyActivity.programme_id).in_(programme_ids))
    if due_from is not None:
        statement = statement.where(col(KeyActivity.end_date) >= due_from)
    if due_to is not None:
        statement = statement.where(col(KeyActivity.end_date) <= due_to)
    statement = statement.order_by(col(KeyActivity.programme_id), col(KeyActivity.position))
    return (await session.exec(statement)).all()


async def add_key_activity(
    *, session: AsyncSession, actor: Principal, programme_id: int, data: KeyActivityCreate
) -> KeyActivity:
    await plan.get(session=session, programme_id=programme_id)
    start = timescales.parse(data.start_text or "")
    end = timescales.parse(data.end_text or "")
    if start.start and end.end and end.end < start.start:
        raise FieldError(
            f"ends ({data.end_text}) before it starts ({data.start_text})", field="end_text"
        )
    position = (
        await session.exec(
            select(func.coalesce(func.max(KeyActivity.position), 0)).where(
                KeyActivity.programme_id == programme_id
            )
        )
    ).one()
    activity = KeyActivity(
        **data.model_dump(),
        programme_id=programme_id,
        position=int(position) + 1,
        start_date=start.start,
        end_date=end.end,
        start_precision=start.precision.value,
        end_precision=end.precision.value,
    )
    session.add(activity)
    await session.flush()
    await record(session, actor, "create", activity, None)
    return activity
