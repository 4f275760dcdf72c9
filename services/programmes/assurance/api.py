"""REST for the CPMO's assurance checks: SMART plan quality and evidence-based confidence."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.common import asof
from services.common.auth import Reader
from services.programmes.asof import ReadSessionDep
from services.programmes.assurance import service
from services.programmes.assurance.schemas import ConfidenceCheck, SmartReport
from services.programmes.plan import service as plan

router = APIRouter(tags=["assurance"])
AsOf = Annotated[
    date | None,
    Query(description="judge overdue items as of this day (default: the cut's day, or today)"),
]


@router.get("/assurance/smart", response_model=SmartReport)
async def smart(
    session: ReadSessionDep,
    _: Reader,
    portfolio_id: int | None = None,
    programme_id: int | None = None,
    as_of: AsOf = None,
) -> SmartReport:
    """Plan items failing the panel's tests: no owner, no measure, no date or only TBC, an end
    before its start, an overdue item still reported On track."""
    if programme_id is not None:
        await plan.get(session=session, programme_id=programme_id)
    return await service.smart(
        session=session,
        today=as_of or asof.today(session),
        portfolio_id=portfolio_id,
        programme_id=programme_id,
    )


@router.get("/assurance/confidence", response_model=list[ConfidenceCheck])
async def confidence(
    session: ReadSessionDep,
    _: Reader,
    portfolio_id: int | None = None,
    programme_id: int | None = None,
    watermelons_only: bool = False,
    as_of: AsOf = None,
) -> list[ConfidenceCheck]:
    """Each programme's declared DCA beside a RAG computed from evidence (overdue and slipped
    milestones, late savings); `watermelon` where the declaration is greener than the evidence."""
    if programme_id is not None:
        await plan.get(session=session, programme_id=programme_id)
    checks = await service.confidence(
        session=session,
        today=as_of or asof.today(session),
        portfolio_id=portfolio_id,
        programme_id=programme_id,
    )
    return [c for c in checks if c.watermelon] if watermelons_only else checks
