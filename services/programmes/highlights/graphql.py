"""Highlight reports and delivery confidence in the programmes subgraph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common.graphql import Context, input_dict, validate
from services.programmes.highlights import models, service
from services.programmes.highlights.schemas import HighlightReportCreate

Ctx = Info[Context, None]


@strawberry.type
class HighlightReport:
    id: strawberry.ID
    period: str
    dca: str = strawberry.field(description="Delivery Confidence Assessment (five-point)")
    dca_rag: str = strawberry.field(description="the DCA mapped to Red/Amber/Green")
    dca_reason: str
    highlights: str | None
    next_steps: str | None
    decisions_needed: str | None
    author: str
    submitted_at: datetime

    @classmethod
    def from_row(cls, row: models.HighlightReport) -> HighlightReport:
        return cls(
            id=strawberry.ID(str(row.id)),
            period=row.period,
            dca=row.dca.value if hasattr(row.dca, "value") else str(row.dca),
            dca_rag=service.dca_rag(row.dca),
            dca_reason=row.dca_reason,
            highlights=row.highlights,
            next_steps=row.next_steps,
            decisions_needed=row.decisions_needed,
            author=row.author,
            submitted_at=row.submitted_at,
        )


async def _load_latest_reports(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, models.HighlightReport]:
    return await service.latest_highlight_reports(session=session, programme_ids=ids)


async def highlight_reports_for(info: Ctx, programme_id: int) -> list[HighlightReport]:
    async with info.context.reading() as session:
        rows = await service.list_highlight_reports(session=session, programme_ids=[programme_id])
    return [HighlightReport.from_row(r) for r in rows]


async def latest_highlight_report_for(
    info: Ctx, programme_id: int, *, up_to_period: str | None = None
) -> HighlightReport | None:
    if up_to_period is None:
        row = await info.context.loader("latest_report", _load_latest_reports).load(programme_id)
    else:
        async with info.context.reading() as session:
            latest = await service.latest_highlight_reports(
                session=session, programme_ids=[programme_id], up_to_period=up_to_period
            )
        row = latest.get(programme_id)
    return None if row is None else HighlightReport.from_row(row)


@strawberry.input
class HighlightReportInput:
    period: str
    dca: str
    dca_reason: str
    highlights: str | None = None
    next_steps: str | None = None
    decisions_needed: str | None = None


@strawberry.type
class HighlightsMutation:
    @strawberry.mutation
    async def submit_highlight_report(
        self, info: Ctx, programme_id: strawberry.ID, input: HighlightReportInput
    ) -> HighlightReport:
        data = validate(HighlightReportCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.submit_highlight_report(
                session=session,
                actor=info.context.writer(),
                programme_id=int(programme_id),
                data=data,
            )
        return HighlightReport.from_row(row)
