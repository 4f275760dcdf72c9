"""REST for loading a plan as extracted from its source (what `./cpmo load` calls)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.auth import Admin
from services.common.db import SessionDep
from services.programmes.loader import service
from services.programmes.loader.schemas import HighlightDocument, LoadReport, PlanDocument

router = APIRouter(tags=["loading"])

DryRun = Annotated[bool, Query(description="report what would happen, write nothing")]


@router.post("/imports/plan", response_model=LoadReport)
async def load_plan(
    document: PlanDocument, session: SessionDep, actor: Admin, dry_run: DryRun = False
) -> LoadReport:
    """Load a whole plan in one transaction; loading it again adds nothing."""
    report = await service.load_plan(session=session, actor=actor, document=document)
    if dry_run:
        await session.rollback()
    return report


@router.post("/imports/highlight-reports", response_model=LoadReport)
async def load_highlight_reports(
    document: HighlightDocument, session: SessionDep, actor: Admin, dry_run: DryRun = False
) -> LoadReport:
    """Load one period's highlight reports for a plan's programmes."""
    report = await service.load_highlight_reports(session=session, actor=actor, document=document)
    if dry_run:
        await session.rollback()
    return report


@router.post("/imports/boards", response_model=LoadReport)
async def load_boards(session: SessionDep, actor: Admin, dry_run: DryRun = False) -> LoadReport:
    """Create the council's boards (Directorate Boards, TIB, IRB, committees) as the 2024 plan
    describes them, and link each programme to its Directorate Board; again adds nothing."""
    report = await service.load_boards(session=session, actor=actor)
    if dry_run:
        await session.rollback()
    return report
