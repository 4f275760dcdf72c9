"""REST for loading a plan as extracted from its source (what `./cpmo load` calls)."""

from __future__ import annotations

from fastapi import APIRouter

from services.common.auth import Admin
from services.common.db import DryRunSessionDep
from services.programmes.loader import service
from services.programmes.loader.schemas import HighlightDocument, LoadReport, PlanDocument

router = APIRouter(tags=["loading"])


@router.post("/imports/plan", response_model=LoadReport)
async def load_plan(document: PlanDocument, session: DryRunSessionDep, actor: Admin) -> LoadReport:
    """Load a whole plan in one transaction; loading it again adds nothing."""
    return await service.load_plan(session=session, actor=actor, document=document)


@router.post("/imports/highlight-reports", response_model=LoadReport)
async def load_highlight_reports(
    document: HighlightDocument, session: DryRunSessionDep, actor: Admin
) -> LoadReport:
    """Load one period's highlight reports for a plan's programmes."""
    return await service.load_highlight_reports(session=session, actor=actor, document=document)


@router.post("/imports/boards", response_model=LoadReport)
async def load_boards(session: DryRunSessionDep, actor: Admin) -> LoadReport:
    """Create the council's boards (Directorate Boards, TIB, IRB, committees) as the 2024 plan
    describes them, and link each programme to its Directorate Board; again adds nothing."""
    return await service.load_boards(session=session, actor=actor)
