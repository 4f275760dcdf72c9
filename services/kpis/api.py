"""REST: thin routers over service.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from services.common.auth import Authenticated, Reader, Writer
from services.common.changes import changes_router
from services.common.db import SessionDep
from services.common.etag import expected_version, set_etag
from services.common.pagination import Page, PageDep
from services.kpis import service
from services.kpis.models import AuditEntry, Kpi
from services.kpis.schemas import (
    Frequency,
    KpiAssessment,
    KpiCreate,
    KpiRead,
    KpiUpdate,
    MeasurementCreate,
    MeasurementRead,
    PushOutcome,
)

router = APIRouter(tags=["kpis"])
ExpectedVersion = Annotated[int, Depends(expected_version)]


def _read(kpi: Kpi) -> KpiRead:
    return KpiRead.model_validate(kpi, from_attributes=True)


@router.get("/kpis", response_model=Page[KpiRead])
async def list_kpis(
    session: SessionDep,
    _: Reader,
    page: PageDep,
    portfolio_code: str | None = None,
    aim_code: str | None = None,
    frequency: Frequency | None = None,
) -> Page[KpiRead]:
    rows, total = await service.list_kpis(
        session=session,
        page=page,
        portfolio_code=portfolio_code,
        aim_code=aim_code,
        frequency=frequency,
    )
    return Page(items=[_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/kpis", response_model=KpiRead, status_code=status.HTTP_201_CREATED)
async def create_kpi(
    data: KpiCreate, session: SessionDep, actor: Writer, response: Response
) -> KpiRead:
    kpi = await service.create(session=session, actor=actor, data=data)
    set_etag(response, kpi.version)
    response.headers["Location"] = f"/kpis/{kpi.code}"
    return _read(kpi)


@router.get("/kpis/{code}", response_model=KpiRead)
async def get_kpi(code: str, session: SessionDep, _: Reader, response: Response) -> KpiRead:
    kpi = await service.get_by_code(session=session, code=code)
    set_etag(response, kpi.version)
    return _read(kpi)


@router.patch("/kpis/{code}", response_model=KpiRead)
async def update_kpi(
    code: str,
    data: KpiUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> KpiRead:
    kpi = await service.update(
        session=session, actor=actor, code=code, data=data, expected_version=version
    )
    set_etag(response, kpi.version)
    return _read(kpi)


@router.get("/kpis/{code}/measurements", response_model=list[MeasurementRead])
async def list_measurements(
    code: str,
    session: SessionDep,
    _: Reader,
    period: Annotated[str | None, Query(description="one period only, e.g. 2024-07")] = None,
) -> list[MeasurementRead]:
    kpi = await service.get_by_code(session=session, code=code)
    rows = await service.list_measurements(session=session, kpi_ids=[kpi.id], period=period)  # type: ignore[list-item]
    return [MeasurementRead.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/kpis/{code}/measurements",
    response_model=MeasurementRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "nothing written: a replay of this key, or the current value"}},
)
async def push_measurement(
    code: str,
    data: MeasurementCreate,
    session: SessionDep,
    actor: Authenticated,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="unique per push; a retry with the same key and body is applied once",
        ),
    ] = None,
) -> MeasurementRead:
    row, outcome = await service.push_measurement(
        session=session, actor=actor, code=code, data=data, idempotency_key=idempotency_key
    )
    if outcome in (PushOutcome.replayed, PushOutcome.unchanged):
        response.status_code = status.HTTP_200_OK
    if outcome is PushOutcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return MeasurementRead.model_validate(row, from_attributes=True)


@router.get("/kpis/{code}/latest", response_model=KpiAssessment)
async def latest(
    code: str,
    session: SessionDep,
    _: Reader,
    up_to_period: Annotated[
        str | None,
        Query(description="latest period ended by the end of this one: 2024-07, 2024-Q2, ..."),
    ] = None,
) -> KpiAssessment:
    kpi, assessed = await service.latest(session=session, code=code, up_to_period=up_to_period)
    if assessed is None:
        return KpiAssessment(
            kpi_code=kpi.code,
            up_to_period=up_to_period,
            measurement=None,
            colour=None,
            direction=None,
            previous=None,
        )
    previous = assessed.previous
    return KpiAssessment(
        kpi_code=kpi.code,
        up_to_period=up_to_period,
        measurement=MeasurementRead.model_validate(assessed.measurement, from_attributes=True),
        colour=assessed.colour,
        direction=assessed.direction,
        previous=None
        if previous is None
        else MeasurementRead.model_validate(previous, from_attributes=True),
    )


router.include_router(changes_router(AuditEntry))
