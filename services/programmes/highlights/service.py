"""Highlight reports and delivery confidence: the rules REST and GraphQL share."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.errors import Conflict
from services.programmes.base import record
from services.programmes.highlights.models import HighlightReport
from services.programmes.highlights.schemas import DCA, HighlightReportCreate
from services.programmes.plan import service as plan

# Highlight reports -------------------------------------------------------------------------


async def list_highlight_reports(
    *, session: AsyncSession, programme_ids: Sequence[int], up_to_period: str | None = None
) -> Sequence[HighlightReport]:
    statement = select(HighlightReport).where(col(HighlightReport.programme_id).in_(programme_ids))
    if up_to_period is not None:
        statement = statement.where(HighlightReport.period <= up_to_period)
    statement = statement.order_by(
        col(HighlightReport.programme_id), col(HighlightReport.period).desc()
    )
    return (await session.exec(statement)).all()


async def latest_highlight_reports(
    *, session: AsyncSession, programme_ids: Sequence[int], up_to_period: str | None = None
) -> dict[int, HighlightReport]:
    latest: dict[int, HighlightReport] = {}
    for report in await list_highlight_reports(
        session=session, programme_ids=programme_ids, up_to_period=up_to_period
    ):
        latest.setdefault(report.programme_id, report)
    return latest


async def submit_highlight_report(
    *, session: AsyncSession, actor: Principal, programme_id: int, data: HighlightReportCreate
) -> HighlightReport:
    await plan.get(session=session, programme_id=programme_id)
    duplicate = (
        await session.exec(
            select(HighlightReport).where(
                HighlightReport.programme_id == programme_id,
                HighlightReport.period == data.period,
            )
        )
    ).first()
    if duplicate is not None:
        raise Conflict(
            f"programme {programme_id} already has a highlight report for {data.period}",
            field="period",
        )
    report = HighlightReport(**data.model_dump(), programme_id=programme_id, author=actor.subject)
    session.add(report)
    await session.flush()
    await record(session, actor, "create", report, None)
    return report


def dca_rag(dca: str) -> str:
    return DCA(dca).rag
