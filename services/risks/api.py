"""REST: thin routers over service.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.common.auth import Reader, Writer
from services.common.changes import changes_router
from services.common.db import SessionDep
from services.common.etag import expected_version, set_etag
from services.common.pagination import Page, PageDep
from services.risks import service
from services.risks.models import AuditEntry
from services.risks.schemas import RiskCreate, RiskRead, RiskStatus, RiskUpdate

router = APIRouter()
ExpectedVersion = Annotated[int, Depends(expected_version)]


def upstream(request: Request) -> dict[str, Any]:
    """The shared outbound client and where the programmes service is (read per request from
    ``app.state.settings``, so it can be reconfigured without rebuilding the app)."""
    return {
        "http": request.app.state.http,
        "programmes_url": request.app.state.settings.programmes_url,
    }


Upstream = Annotated[dict[str, Any], Depends(upstream)]


def _read(row: object) -> RiskRead:
    return RiskRead.model_validate(row, from_attributes=True)


@router.get("/risks", response_model=Page[RiskRead], tags=["risks"])
async def list_risks(
    session: SessionDep,
    _: Reader,
    page: PageDep,
    programme_id: int | None = None,
    plan_wide: Annotated[
        bool | None, Query(description="true: only risks of no programme; false: only programmes'")
    ] = None,
    status: RiskStatus | None = None,
    min_residual_score: Annotated[int | None, Query(ge=1, le=25)] = None,
) -> Page[RiskRead]:
    rows, total = await service.list_risks(
        session=session,
        page=page,
        programme_id=programme_id,
        plan_wide=plan_wide,
        status=status,
        min_residual_score=min_residual_score,
    )
    return Page(items=[_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/risks", response_model=RiskRead, status_code=status.HTTP_201_CREATED, tags=["risks"])
async def create_risk(
    data: RiskCreate, session: SessionDep, actor: Writer, upstream: Upstream, response: Response
) -> RiskRead:
    risk = await service.create(session=session, actor=actor, data=data, **upstream)
    set_etag(response, risk.version)
    response.headers["Location"] = f"/risks/{risk.id}"
    return _read(risk)


@router.get("/risks/by-code/{code}", response_model=RiskRead, tags=["risks"])
async def get_risk_by_code(
    code: str, session: SessionDep, _: Reader, response: Response
) -> RiskRead:
    risk = await service.get_by_code(session=session, code=code)
    set_etag(response, risk.version)
    return _read(risk)


@router.get("/risks/{risk_id}", response_model=RiskRead, tags=["risks"])
async def get_risk(risk_id: int, session: SessionDep, _: Reader, response: Response) -> RiskRead:
    risk = await service.get(session=session, risk_id=risk_id)
    set_etag(response, risk.version)
    return _read(risk)


@router.patch("/risks/{risk_id}", response_model=RiskRead, tags=["risks"])
async def update_risk(
    risk_id: int,
    data: RiskUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    upstream: Upstream,
    response: Response,
) -> RiskRead:
    risk = await service.update(
        session=session,
        actor=actor,
        risk_id=risk_id,
        data=data,
        expected_version=version,
        **upstream,
    )
    set_etag(response, risk.version)
    return _read(risk)


router.include_router(changes_router(AuditEntry))
