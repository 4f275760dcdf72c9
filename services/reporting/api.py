"""REST: compose a pack, list packs, serve one as JSON or HTML."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from services.common.auth import Admin, Reader, Writer
from services.common.changes import changes_router
from services.common.db import SessionDep
from services.reporting import service
from services.reporting.metrics import CountedPackRun
from services.reporting.models import AuditEntry
from services.reporting.schemas import PackCreate, PackRead, PackSummary, Verification

router = APIRouter(tags=["packs"])
# Checked here so an id past the column's range is a 422, never a database error.
PackId = Annotated[int, Path(ge=1, le=2**31 - 1)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/packs", response_model=PackRead, status_code=status.HTTP_201_CREATED)
async def create_pack(
    _run: CountedPackRun,
    data: PackCreate,
    request: Request,
    session: SessionDep,
    actor: Writer,
    response: Response,
) -> PackRead:
    pack = await service.create(
        session=session,
        actor=actor,
        data=data,
        http=request.app.state.http,
        settings=request.app.state.settings,
        top_risks=request.app.state.settings.top_risks,
    )
    response.headers["Location"] = f"/packs/{pack.id}"
    return service.pack_read(pack)


@router.get("/packs", response_model=list[PackSummary])
async def list_packs(
    session: SessionDep,
    _: Reader,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> list[PackSummary]:
    rows = await service.list_packs(session=session, period=period)
    return [service.pack_summary(r) for r in rows]


# Declared before /packs/{pack_id}, which would otherwise claim "1.html" and reject it.
@router.get("/packs/{pack_id}.html", response_class=HTMLResponse)
async def get_pack_html(pack_id: PackId, session: SessionDep, _: Reader) -> HTMLResponse:
    pack = await service.get(session=session, pack_id=pack_id)
    return HTMLResponse(pack.html)


@router.get("/packs/{pack_id}.pdf", response_class=Response)
async def get_pack_pdf(pack_id: PackId, session: SessionDep, _: Reader) -> Response:
    """The stored HTML laid out on A4 pages: contents, page numbers, charts as vectors."""
    pack = await service.get(session=session, pack_id=pack_id)
    return Response(
        await service.pdf(pack),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="pack-{pack.id}-{pack.period}.pdf"'},
    )


@router.get("/packs/{pack_id}.xlsx", response_class=Response)
async def get_pack_xlsx(pack_id: PackId, session: SessionDep, _: Reader) -> Response:
    """A sheet per table of the pack, the record id beside every figure."""
    pack = await service.get(session=session, pack_id=pack_id)
    return Response(
        service.xlsx(pack),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="pack-{pack.id}-{pack.period}.xlsx"'
        },
    )


@router.get("/packs/{pack_id}.json", response_model=PackRead)
async def get_pack_json(pack_id: PackId, session: SessionDep, _: Reader) -> PackRead:
    pack = await service.get(session=session, pack_id=pack_id)
    return service.pack_read(pack)


@router.get("/packs/{pack_id}/diff")
async def diff_packs(
    pack_id: PackId,
    session: SessionDep,
    _: Reader,
    against: Annotated[int, Query(ge=1, le=2**31 - 1, description="the earlier pack")],
) -> dict[str, Any]:
    """What changed from pack `against` to this one: DCA moves, new risks, KPI colours."""
    return await service.compare(session=session, pack_id=pack_id, against_id=against)


@router.post("/packs/{pack_id}/verify", response_model=Verification)
async def verify_pack(
    pack_id: PackId, request: Request, session: SessionDep, actor: Reader
) -> Verification:
    """Compose the pack again from the cuts stored with it and compare its hash with the stored
    one; on a mismatch, the first paths that differ. Nothing is written. A service that is
    down is 503 naming it; a cut a service no longer has is 410 naming it."""
    return await service.verify(
        session=session,
        actor=actor,
        pack_id=pack_id,
        http=request.app.state.http,
        settings=request.app.state.settings,
    )


@router.post("/packs/{pack_id}/review", response_model=PackSummary)
async def review_pack(pack_id: PackId, session: SessionDep, actor: Writer) -> PackSummary:
    """The draft has been read and checked; an admin may now sign it off."""
    pack = await service.review(session=session, actor=actor, pack_id=pack_id)
    return service.pack_summary(pack)


@router.get(
    "/packs/{pack_id}",
    response_model=PackRead,
    responses={200: {"content": {"text/html": {}}, "description": "JSON, or HTML if asked"}},
)
async def get_pack(
    pack_id: PackId,
    session: SessionDep,
    _: Reader,
    accept: Annotated[str | None, Header()] = None,
) -> PackRead | HTMLResponse:
    pack = await service.get(session=session, pack_id=pack_id)
    if accept and "text/html" in accept and "application/json" not in accept:
        return HTMLResponse(pack.html)
    return service.pack_read(pack)


@router.post("/packs/{pack_id}/sign-off", response_model=PackSummary)
async def sign_off_pack(
    pack_id: PackId, request: Request, session: SessionDep, actor: Admin
) -> PackSummary:
    """Record the board's sign-off; the period's highlight reports are locked from now on."""
    pack = await service.sign_off(
        session=session,
        actor=actor,
        pack_id=pack_id,
        http=request.app.state.http,
        programmes_url=request.app.state.settings.programmes_url,
    )
    return service.pack_summary(pack)


router.include_router(changes_router(AuditEntry))
