"""Delivery Confidence Assessments: judged in a highlight report or on their own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof
from services.common.auth import Principal
from services.common.errors import FieldError
from services.programmes.base import record
from services.programmes.highlights.models import DcaAssessment
from services.programmes.highlights.schemas import (
    DCA,
    DcaAssessmentCreate,
    DcaAssessmentRead,
)
from services.programmes.plan import service as plan


async def record_assessment(
    session: AsyncSession,
    actor: Principal,
    *,
    programme_id: int,
    dca: DCA,
    reason: str,
    assessed_on: date,
    highlight_report_id: int | None,
) -> DcaAssessment:
    assessment = DcaAssessment(
        programme_id=programme_id,
        assessed_on=assessed_on,
        dca=dca,
        reason=reason,
        author=actor.subject,
        highlight_report_id=highlight_report_id,
    )
    session.add(assessment)
    await session.flush()
    await record(session, actor, "create", assessment, None)
    return assessment


async def record_dca(
    *, session: AsyncSession, actor: Principal, programme_id: int, data: DcaAssessmentCreate
) -> DcaAssessment:
    """A DCA judged on its own (a board, a review), outside any highlight report."""
    await plan.get(session=session, programme_id=programme_id)
    today = asof.today(session)
    assessed_on = data.assessed_on or today
    if assessed_on > today:
        raise FieldError(
            f"{assessed_on} is in the future: an assessment is a judgement already made",
            field="assessed_on",
        )
    return await record_assessment(
        session,
        actor,
        programme_id=programme_id,
        dca=data.dca,
        reason=data.reason,
        assessed_on=assessed_on,
        highlight_report_id=None,
    )


async def dca_history(
    *, session: AsyncSession, programme_ids: Sequence[int]
) -> Sequence[DcaAssessment]:
    """Every assessment of the programmes, newest judgement first (ties: newest recorded)."""
    return (
        await session.exec(
            select(DcaAssessment)
            .where(col(DcaAssessment.programme_id).in_(programme_ids))
            .order_by(
                col(DcaAssessment.programme_id),
                col(DcaAssessment.assessed_on).desc(),
                col(DcaAssessment.created_at).desc(),
                col(DcaAssessment.id).desc(),
            )
        )
    ).all()


def dca_read(row: DcaAssessment) -> DcaAssessmentRead:
    dca = DCA(row.dca)
    return DcaAssessmentRead(
        id=row.id,  # type: ignore[arg-type]
        programme_id=row.programme_id,
        assessed_on=row.assessed_on,
        dca=dca,
        dca_rag=dca.rag,
        reason=row.reason,
        author=row.author,
        highlight_report_id=row.highlight_report_id,
        created_at=row.created_at,
    )


def dca_rag(dca: str) -> str:
    return DCA(dca).rag
