"""REST for highlight reports and delivery confidence."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.programmes.highlights import service
from services.programmes.highlights.schemas import HighlightReportCreate, HighlightReportRead
from services.programmes.plan import service as plan

router = APIRouter()


@router.get(
    "/programmes/{programme_id}/highlight-reports",
    response_model=list[HighlightReportRead],
    tags=["highlight reports"],
)
async def list_highlight_reports(
    programme_id: int, session: SessionDep, _: Reader
) -> list[HighlightReportRead]:
    await plan.get(session=session, programme_id=programme_id)
    rows = await service.list_highlight_reports(session=session, programme_ids=[programme_id])
    return [HighlightReportRead.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/programmes/{programme_id}/highlight-reports",
    response_model=HighlightReportRead,
    status_code=status.HTTP_201_CREATED,
    tags=["highlight reports"],
)
async def submit_highlight_report(
    programme_id: int, data: HighlightReportCreate, session: SessionDep, actor: Writer
) -> HighlightReportRead:
    report = await service.submit_highlight_report(
        session=session, actor=actor, programme_id=programme_id, data=data
    )
    return HighlightReportRead.model_validate(report, from_attributes=True)
