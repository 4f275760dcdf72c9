"""REST for savings initiatives and their totals: thin routers over savings/service.py.

Money is a string with two decimal places in every response ("149800000.00"); requests may send
a string or a number. RAG and lateness are computed on ``as_of`` (default: today, Europe/London,
or the cut's day when reading at a cut); the rule is documented in savings/service.py.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.common import asof
from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.common.etag import ExpectedVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.programmes.asof import ReadSessionDep
from services.programmes.savings import service
from services.programmes.savings.schemas import (
    RAG,
    GroupBy,
    SavingsCreate,
    SavingsRead,
    SavingsTotals,
    SavingsUpdate,
)

router = APIRouter(tags=["savings"])
AsOf = Annotated[
    date | None,
    Query(description="judge RAG and lateness on this day (default: today, or the cut's day)"),
]
FinancialYear = Annotated[str | None, Query(description="e.g. 2024/25")]


@router.get("/savings", response_model=Page[SavingsRead])
async def list_savings(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    programme_id: int | None = None,
    directorate: Annotated[str | None, Query(description="exact, any case")] = None,
    financial_year: FinancialYear = None,
    rag: RAG | None = None,
    late: bool | None = None,
    as_of: AsOf = None,
) -> Page[SavingsRead]:
    day = as_of or asof.today(session)
    found = await service.list_initiatives(
        session=session,
        page=page,
        programme_id=programme_id,
        directorate=directorate,
        financial_year=financial_year,
        rag_is=rag,
        late=late,
        as_of=day,
    )
    rows, total = await counted(session, found)
    return Page(
        items=[service.read(r, day) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/savings/totals", response_model=SavingsTotals)
async def savings_totals(
    session: ReadSessionDep,
    _: Reader,
    group_by: GroupBy = GroupBy.programme,
    financial_year: FinancialYear = None,
    programme_id: int | None = None,
    directorate: str | None = None,
    as_of: AsOf = None,
) -> SavingsTotals:
    return await service.totals(
        session=session,
        group_by=group_by,
        financial_year=financial_year,
        programme_id=programme_id,
        directorate=directorate,
        as_of=as_of,
    )


@router.post("/savings", response_model=SavingsRead, status_code=status.HTTP_201_CREATED)
async def create_savings(
    data: SavingsCreate, session: SessionDep, actor: Writer, response: Response
) -> SavingsRead:
    row = await service.create(session=session, actor=actor, data=data)
    set_etag(response, row.version)
    response.headers["Location"] = f"/savings/{row.id}"
    return service.read(row, asof.today(session))


@router.get("/savings/{initiative_id}", response_model=SavingsRead)
async def get_savings(
    initiative_id: int, session: ReadSessionDep, _: Reader, response: Response, as_of: AsOf = None
) -> SavingsRead:
    row = await service.get(session=session, initiative_id=initiative_id)
    set_etag(response, row.version)
    return service.read(row, as_of or asof.today(session))


@router.patch("/savings/{initiative_id}", response_model=SavingsRead)
async def update_savings(
    initiative_id: int,
    data: SavingsUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> SavingsRead:
    row = await service.update(
        session=session,
        actor=actor,
        initiative_id=initiative_id,
        data=data,
        expected_version=version,
    )
    set_etag(response, row.version)
    return service.read(row, asof.today(session))
