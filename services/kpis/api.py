"""REST: thin routers over service.py, push.py and insight.py.

Read routes under ``GET /kpis/...`` are stable: other services (risks) read a KPI by code.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, Header, Query, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof
from services.common.auth import Admin, Authenticated, Reader, Writer
from services.common.changes import changes_router
from services.common.db import EngineDep, SessionDep
from services.common.errors import FieldError
from services.common.etag import ExpectedVersion, OptionalVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.common.responses import model_response
from services.kpis import insight, push, service, upload
from services.kpis.asof import ReadSessionDep, history
from services.kpis.chart import render
from services.kpis.metrics import CountedPushes
from services.kpis.models import AuditEntry
from services.kpis.schemas import (
    BenchmarkView,
    BulkItem,
    BulkPush,
    BulkResult,
    Composite,
    Frequency,
    Grouping,
    KpiAssessment,
    KpiCreate,
    KpiRead,
    KpiSeries,
    KpiUpdate,
    MeasurementCreate,
    MeasurementRead,
    PushClientCreate,
    PushClientRead,
    PushClientUpdate,
    PushOutcome,
    Submission,
    SubmissionStatus,
    TargetRead,
    TargetSet,
)

router = APIRouter(tags=["kpis"])
MAX_BULK = 10_000


def _as_of(value: date | None, session: AsyncSession) -> date:
    """The day asked about; by default today, or the cut's day when reading at a cut."""
    return value or asof.today(session)


AsOf = Annotated[
    date | None,
    Query(
        description="read as the council knew it at the end of this day (default today, or the "
        "day of the cut)",
        ge=date(1900, 1, 1),
        le=date(2999, 12, 31),
    ),
]


# KPIs --------------------------------------------------------------------------------------


@router.get("/kpis", response_model=Page[KpiRead])
async def list_kpis(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    portfolio_code: str | None = None,
    aim_code: str | None = None,
    frequency: Frequency | None = None,
    programme_code: Annotated[
        str | None, Query(description="KPIs the programme owns, e.g. IRP-01")
    ] = None,
    directorate: str | None = None,
) -> Page[KpiRead]:
    found = await service.list_kpis(
        session=session,
        page=page,
        portfolio_code=portfolio_code,
        aim_code=aim_code,
        frequency=frequency,
        programme_code=programme_code,
        directorate=directorate,
    )
    rows, total = await counted(session, found)
    return Page(
        items=[service.kpi_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/kpis", response_model=KpiRead, status_code=status.HTTP_201_CREATED)
async def create_kpi(
    data: KpiCreate, session: SessionDep, actor: Writer, response: Response
) -> KpiRead:
    kpi = await service.create(session=session, actor=actor, data=data)
    set_etag(response, kpi.version)
    response.headers["Location"] = f"/kpis/{kpi.code}"
    return service.kpi_read(kpi)


@router.get("/kpis/composites", response_model=list[Composite])
async def composites(
    session: ReadSessionDep,
    _: Reader,
    grouping: Annotated[Grouping, Query(description="aim, outcome, directorate, ...")],
    as_of: AsOf = None,
    portfolio_code: str | None = None,
    up_to_period: Annotated[
        str | None,
        Query(
            description="instead of as_of: each KPI's latest period ended by the end of this "
            "one (2024-07, 2024/25 Q1, ...), as /kpis/{code}/latest?up_to_period= reads it"
        ),
    ] = None,
) -> list[Composite]:
    """% on target (Blue or Green) and % improving of the KPIs with a value, per group."""
    return await insight.composites(
        session=session,
        grouping=grouping,
        as_of=as_of if up_to_period is not None else _as_of(as_of, session),
        portfolio_code=portfolio_code,
        up_to_period=up_to_period,
    )


@router.get("/kpis/submissions", response_model=list[Submission])
async def submissions(
    session: ReadSessionDep,
    _: Reader,
    as_of: AsOf = None,
    submission_status: Annotated[
        SubmissionStatus | None, Query(alias="status", description="only late or missing")
    ] = None,
    code: str | None = None,
) -> list[Submission]:
    """Each period due by the date, per KPI with a schedule: on time, late or missing."""
    return await insight.submissions(
        session=session, as_of=_as_of(as_of, session), status=submission_status, code=code
    )


@router.post("/kpis/measurements/bulk", response_model=BulkResult)
async def push_bulk(
    pushes: CountedPushes, data: BulkPush, engine: EngineDep, actor: Authenticated
) -> Response:
    """Many values in one transaction, all-or-nothing; every bad item named by its index."""
    items = push.bulk_items(data.items)
    return model_response(
        pushes.record(await push.push_bulk(engine=engine, actor=actor, items=items))
    )


@router.post("/kpis/measurements/upload", response_model=BulkResult)
async def upload_values(
    pushes: CountedPushes,
    engine: EngineDep,
    actor: Writer,
    file: Annotated[UploadFile, File(description="CSV or XLSX: code, period, value, ...")],
) -> Response:
    """Values from a sheet, all-or-nothing; every bad row named ``rows[i].<column>``."""
    content = await file.read(upload.MAX_BYTES + 1)
    items = upload.items_from_file(content, file.filename)
    return model_response(
        pushes.record(await push.push_bulk(engine=engine, actor=actor, items=items))
    )


@router.post("/kpis/benchmarks", status_code=status.HTTP_201_CREATED)
async def import_benchmarks(
    session: SessionDep,
    actor: Writer,
    file: Annotated[
        UploadFile, File(description="CSV: kpi_code, period, comparator_group, authority, value")
    ],
) -> dict[str, int]:
    content = await file.read(insight.MAX_CSV_BYTES + 1)
    count = await insight.import_benchmarks(session=session, actor=actor, content=content)
    return {"imported": count}


@router.get("/kpis/{code}", response_model=KpiRead)
async def get_kpi(code: str, session: ReadSessionDep, _: Reader, response: Response) -> KpiRead:
    kpi = await service.get_by_code(session=session, code=code)
    set_etag(response, kpi.version)
    return service.kpi_read(kpi)


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
    return service.kpi_read(kpi)


# Targets -----------------------------------------------------------------------------------


@router.get("/kpis/{code}/targets", response_model=list[TargetRead])
async def list_targets(code: str, session: ReadSessionDep, _: Reader) -> list[TargetRead]:
    kpi = await service.get_by_code(session=session, code=code)
    found = await service.targets_for(session=session, kpi_ids=[kpi.id])  # type: ignore[list-item]
    return [service.target_read(t) for t in found[kpi.id]]  # type: ignore[index]


@router.put("/kpis/{code}/targets", response_model=TargetRead)
async def set_target(
    code: str,
    data: TargetSet,
    session: SessionDep,
    actor: Writer,
    response: Response,
    version: OptionalVersion = None,
) -> TargetRead:
    """Set a financial year's target and tolerance; replacing one needs its ETag."""
    row = await service.set_target(
        session=session, actor=actor, code=code, data=data, expected_version=version
    )
    set_etag(response, row.version)
    return service.target_read(row)


# Values ------------------------------------------------------------------------------------


@router.get("/kpis/{code}/measurements", response_model=list[MeasurementRead])
async def list_measurements(
    code: str,
    session: ReadSessionDep,
    _: Reader,
    period: Annotated[str | None, Query(description="one period only, e.g. 2024-07")] = None,
    as_of: AsOf = None,
) -> list[MeasurementRead]:
    kpi = await service.get_by_code(session=session, code=code)
    rows = await insight.list_measurements(
        session=session,
        kpi_ids=[kpi.id],  # type: ignore[list-item]
        period=period,
        as_of=as_of,
    )
    return [service.measurement_read(r) for r in rows]


@router.post(
    "/kpis/{code}/measurements",
    response_model=MeasurementRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "nothing written: a replay of this key, or the current value"}},
)
async def push_measurement(
    pushes: CountedPushes,
    code: str,
    data: MeasurementCreate,
    engine: EngineDep,
    actor: Authenticated,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="unique per push; a retry with the same key and body is applied once",
        ),
    ] = None,
) -> Response:
    row, outcome = await push.push_measurement(
        engine=engine, actor=actor, code=code, data=data, idempotency_key=idempotency_key
    )
    pushes.record(outcome)
    written = outcome not in (PushOutcome.replayed, PushOutcome.unchanged)
    return model_response(
        service.measurement_read(row),
        status_code=status.HTTP_201_CREATED if written else status.HTTP_200_OK,
        headers={"Idempotent-Replayed": "true"} if outcome is PushOutcome.replayed else None,
    )


@router.post("/kpis/{code}/measurements/bulk", response_model=BulkResult)
async def push_bulk_for_kpi(
    pushes: CountedPushes, code: str, data: list[BulkItem], engine: EngineDep, actor: Authenticated
) -> Response:
    """A list of one KPI's values (items need no code), all-or-nothing."""
    if not data or len(data) > MAX_BULK:
        raise FieldError(f"send 1 to {MAX_BULK:,} items", field="items")
    items = push.bulk_items(data, code=code)
    return model_response(
        pushes.record(await push.push_bulk(engine=engine, actor=actor, items=items))
    )


@router.get("/kpis/{code}/latest", response_model=KpiAssessment)
async def latest(
    code: str,
    session: ReadSessionDep,
    _: Reader,
    up_to_period: Annotated[
        str | None,
        Query(description="latest period ended by the end of this one: 2024-07, 2024/25 Q1, ..."),
    ] = None,
) -> KpiAssessment:
    kpi, assessed = await insight.latest(session=session, code=code, up_to_period=up_to_period)
    return service.assessment_read(kpi, assessed, up_to_period=up_to_period)


@router.get("/kpis/{code}/series", response_model=KpiSeries)
async def series(
    code: str,
    session: ReadSessionDep,
    _: Reader,
    as_of: AsOf = None,
    up_to_period: Annotated[
        str | None,
        Query(description="only periods ended by the end of this one (2024-07, 2024/25 Q1, ...)"),
    ] = None,
) -> KpiSeries:
    """Current values oldest first with colour and direction, improving streak, XmR signals;
    up to a period, the limits and signals are those the values up to it give."""
    return await insight.series(session=session, code=code, as_of=as_of, up_to_period=up_to_period)


@router.get(
    "/kpis/{code}/chart.{fmt}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
async def chart(
    code: str,
    fmt: Literal["png", "svg"],
    session: ReadSessionDep,
    _: Reader,
    as_of: AsOf = None,
) -> Response:
    """The series as a picture: coloured values, target band, XmR limits and signals."""
    kpi = await service.get_by_code(session=session, code=code)
    found = await insight.series(session=session, code=code, as_of=as_of)
    # Drawing is CPU work: keep it off the event loop that serves pushes.
    content = await run_in_threadpool(render, kpi, found, fmt)
    return Response(content, media_type="image/png" if fmt == "png" else "image/svg+xml")


@router.get("/kpis/{code}/benchmarks", response_model=list[BenchmarkView])
async def benchmarks(
    code: str,
    session: ReadSessionDep,
    _: Reader,
    period: str | None = None,
    up_to_period: Annotated[
        str | None,
        Query(description="the latest benchmarked period ended by the end of this one"),
    ] = None,
) -> list[BenchmarkView]:
    return await insight.benchmarks(
        session=session, code=code, period=period, up_to_period=up_to_period
    )


# Machine clients ---------------------------------------------------------------------------


@router.get("/push-clients", response_model=list[PushClientRead])
async def list_clients(session: SessionDep, _: Admin) -> list[PushClientRead]:
    return [service.client_read(r) for r in await push.list_clients(session=session)]


@router.post("/push-clients", response_model=PushClientRead, status_code=201)
async def create_client(
    data: PushClientCreate, session: SessionDep, actor: Admin, response: Response
) -> PushClientRead:
    row = await push.create_client(session=session, actor=actor, data=data)
    set_etag(response, row.version)
    return service.client_read(row)


@router.get("/push-clients/{client_id}", response_model=PushClientRead)
async def get_client(
    client_id: str, session: SessionDep, _: Admin, response: Response
) -> PushClientRead:
    row = await push.get_client(session=session, client_id=client_id)
    set_etag(response, row.version)
    return service.client_read(row)


@router.patch("/push-clients/{client_id}", response_model=PushClientRead)
async def update_client(
    client_id: str,
    data: PushClientUpdate,
    session: SessionDep,
    actor: Admin,
    version: ExpectedVersion,
    response: Response,
) -> PushClientRead:
    """Change grants or revoke (``active: false``); it applies to the client's next push."""
    row = await push.update_client(
        session=session, actor=actor, client_id=client_id, data=data, expected_version=version
    )
    set_etag(response, row.version)
    return service.client_read(row)


router.include_router(changes_router(AuditEntry))
router.include_router(history.router())
