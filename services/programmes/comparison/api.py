"""REST for the plans side by side on one common RAG scale."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.auth import Reader
from services.common.db import SessionDep
from services.programmes.comparison import service
from services.programmes.comparison.schemas import Comparison

router = APIRouter(tags=["portfolios"])


@router.get("/portfolios/comparison", response_model=Comparison)
async def compare(
    session: SessionDep,
    _: Reader,
    portfolio: Annotated[
        list[str] | None, Query(max_length=20, description="codes of the plans; default all")
    ] = None,
) -> Comparison:
    """Every plan's items by status on the common Red/Amber/Green scale, each saying how its
    plan's own grade was mapped."""
    return await service.compare(session=session, portfolio_codes=portfolio)
