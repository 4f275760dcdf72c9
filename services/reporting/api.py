"""REST: compose a pack, list packs, serve one as JSON or HTML."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from services.common.auth import Admin, Reader, Writer
from services.common.changes import changes_router
from services.common.db import SessionDep
from services.reporting import service
from services.reporting.models import AuditEntry
from services.reporting.schemas import PackCreate, PackRead, PackSummary

router = APIRouter(tags=["packs"])


@router.post("/packs", response_model=PackRead, status_code=status.HTTP_201_CREATED)
async def create_pack(
    data: PackCreate, request: Request, session: SessionDep, actor: Writer, response: Response
) -> PackRead:
    pack = await service.create(
        session=session,
        actor=actor,
        data=data,
        http=request.app.state.http,
        gateway_url=request.app.state.settings.gateway_url,
        top_risks=request.app.state.settings.top_risks,
    )
    response.headers["Location"] = f"/packs/{pack.id}"
    return PackRead.model_validate(pack, from_attributes=True)


@router.get("/packs", response_model=list[PackSummary])
async def list_packs(
    session: SessionDep,
    _: Reader,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> list[PackSummary]:
    rows = await service.list_packs(session=session, period=period)
    return [PackSummary.model_validate(r, from_attributes=True) for r in rows]


# Declared before /packs/{pack_id}, which would otherwise claim "1.html" and reject it.
@router.get("/packs/{pack_id}.html", response_class=HTMLResponse)
async def get_pack_html(pack_id: int, session: SessionDep, _: Reader) -> HTMLResponse:
    pack = await service.get(session=session, pack_id=pack_id)
    return HTMLResponse(pack.html)


@router.get(
    "/packs/{pack_id}",
    response_model=PackRead,
    responses={200: {"content": {"text/html": {}}, "description": "JSON, or HTML if asked"}},
)
async def get_pack(
    pack_id: int,
    session: SessionDep,
    _: Reader,
    accept: Annotated[str | None, Header()] = None,
) -> PackRead | HTMLResponse:
    pack = await service.get(session=session, pack_id=pack_id)
    if accept and "text/html" in accept and "application/json" not in accept:
        return HTMLResponse(pack.html)
    return PackRead.model_validate(pack, from_attributes=True)


@router.post("/packs/{pack_id}/sign-off", response_model=PackSummary)
async def sign_off_pack(
    pack_id: int, request: Request, session: SessionDep, actor: Admin
) -> PackSummary:
    """Record the board's sign-off; the period's highlight reports are locked from now on."""
    pack = await service.sign_off(
        session=session,
        actor=actor,
        pack_id=pack_id,
        http=request.app.state.http,
        programmes_url=request.app.state.settings.programmes_url,
    )
    return PackSummary.model_validate(pack, from_attributes=True)


router.include_router(changes_router(AuditEntry))
