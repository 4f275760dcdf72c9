"""REST for highlight reports, reporting periods and delivery confidence: thin routers over
highlights/service.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.common.auth import Admin, Reader, Writer
from services.common.db import SessionDep
from services.common.etag import ExpectedVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.programmes.asof import ReadSessionDep
from services.programmes.highlights import service
from services.programmes.highlights.schemas import (
    DcaAssessmentCreate,
    DcaAssessmentRead,
    HighlightReportCreate,
    HighlightReportRead,
    HighlightReportUpdate,
    PeriodStatus,
    ReportingPeriodRead,
)
from services.programmes.plan import service as plan

router = APIRouter()


def _location(response: Response, report: HighlightReportRead) -> None:
    response.headers["Location"] = f"/highlight-reports/{report.id}"


# Highlight reports -------------------------------------------------------------------------


@router.get(
    "/programmes/{programme_id}/highlight-reports",
    response_model=list[HighlightReportRead],
    tags=["highlight reports"],
)
async def list_highlight_reports(
    programme_id: int, session: ReadSessionDep, _: Reader
) -> list[HighlightReportRead]:
    """The programme's reports (current revisions), newest period first."""
    await plan.get(session=session, programme_id=programme_id)
    rows = await service.list_highlight_reports(session=session, programme_ids=[programme_id])
    return await service.describe(session=session, rows=rows)


@router.post(
    "/programmes/{programme_id}/highlight-reports",
    response_model=HighlightReportRead,
    status_code=status.HTTP_201_CREATED,
    tags=["highlight reports"],
)
async def submit_highlight_report(
    programme_id: int,
    data: HighlightReportCreate,
    session: SessionDep,
    actor: Writer,
    response: Response,
) -> HighlightReportRead:
    """One report per programme per period; its DCA goes into the programme's DCA history."""
    row = await service.submit_highlight_report(
        session=session, actor=actor, programme_id=programme_id, data=data
    )
    report = await service.describe_one(session=session, row=row)
    set_etag(response, report.version)
    _location(response, report)
    return report


@router.get(
    "/highlight-reports", response_model=Page[HighlightReportRead], tags=["highlight reports"]
)
async def search_highlight_reports(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    period: Annotated[str | None, Query(description="reporting month, YYYY-MM")] = None,
    programme_id: int | None = None,
    confidence: Annotated[str | None, Query(description="High, Medium (or Med) or Low")] = None,
    dca: Annotated[str | None, Query(description="a point of the five-point DCA")] = None,
) -> Page[HighlightReportRead]:
    """Current revisions across programmes, newest period first."""
    found = await service.search_highlight_reports(
        session=session,
        page=page,
        period=period,
        programme_id=programme_id,
        confidence=service.confidence_filter(confidence),
        dca=service.dca_filter(dca),
    )
    rows, total = await counted(session, found)
    return Page(
        items=await service.describe(session=session, rows=rows),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/highlight-reports/{report_id}",
    response_model=HighlightReportRead,
    tags=["highlight reports"],
)
async def get_highlight_report(
    report_id: int,
    session: ReadSessionDep,
    _: Reader,
    response: Response,
    revision: Annotated[
        int | None, Query(ge=1, description="a given revision; the current one when left out")
    ] = None,
) -> HighlightReportRead:
    """The report's current revision (whichever revision's id is asked for), or the revision
    asked for. The ETag is the current revision's version, what a change must send."""
    every = await service.revisions(session=session, report_id=report_id)
    current = every[-1]
    row = current if revision is None else service.pick_revision(every, revision)
    set_etag(response, current.version)
    return await service.describe_one(session=session, row=row)


@router.patch(
    "/highlight-reports/{report_id}",
    response_model=HighlightReportRead,
    tags=["highlight reports"],
)
async def update_highlight_report(
    report_id: int,
    data: HighlightReportUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> HighlightReportRead:
    """Change a report. Open period: edits its current revision. Signed-off period: adds the
    next revision beside the earlier ones, which stay as they were."""
    row = await service.update_highlight_report(
        session=session, actor=actor, report_id=report_id, data=data, expected_version=version
    )
    report = await service.describe_one(session=session, row=row)
    set_etag(response, report.version)
    _location(response, report)
    return report


@router.get(
    "/highlight-reports/{report_id}/revisions",
    response_model=list[HighlightReportRead],
    tags=["highlight reports"],
)
async def list_revisions(
    report_id: int, session: ReadSessionDep, _: Reader
) -> list[HighlightReportRead]:
    """Every revision of the report, oldest (as submitted) first."""
    rows = await service.revisions(session=session, report_id=report_id)
    return await service.describe(session=session, rows=rows)


# Reporting periods -------------------------------------------------------------------------


@router.get("/periods", response_model=list[ReportingPeriodRead], tags=["reporting periods"])
async def list_periods(
    session: ReadSessionDep, _: Reader, status: PeriodStatus | None = None
) -> list[ReportingPeriodRead]:
    rows = await service.list_periods(session=session, status=status)
    return [service.period_read(r) for r in rows]


@router.get("/periods/{period}", response_model=ReportingPeriodRead, tags=["reporting periods"])
async def get_period(period: str, session: ReadSessionDep, _: Reader) -> ReportingPeriodRead:
    return service.period_read(await service.get_period(session=session, period=period))


@router.post(
    "/periods/{period}/sign-off",
    response_model=ReportingPeriodRead,
    tags=["reporting periods"],
)
async def sign_off_period(
    period: str, session: SessionDep, actor: Admin, response: Response
) -> ReportingPeriodRead:
    """Sign off the period's assurance pack (admin): its highlight reports are locked, and a
    later change to one is a new revision kept beside the original."""
    row = await service.sign_off_period(session=session, actor=actor, period=period)
    set_etag(response, row.version)
    return service.period_read(row)


# Delivery confidence -----------------------------------------------------------------------


@router.get(
    "/programmes/{programme_id}/dca",
    response_model=list[DcaAssessmentRead],
    tags=["delivery confidence"],
)
async def dca_history(
    programme_id: int, session: ReadSessionDep, _: Reader
) -> list[DcaAssessmentRead]:
    """The programme's DCA history, newest judgement first."""
    await plan.get(session=session, programme_id=programme_id)
    rows = await service.dca_history(session=session, programme_ids=[programme_id])
    return [service.dca_read(r) for r in rows]


@router.post(
    "/programmes/{programme_id}/dca",
    response_model=DcaAssessmentRead,
    status_code=status.HTTP_201_CREATED,
    tags=["delivery confidence"],
)
async def record_dca(
    programme_id: int, data: DcaAssessmentCreate, session: SessionDep, actor: Writer
) -> DcaAssessmentRead:
    """A DCA judged on its own, dated, with its reason; the author is the caller."""
    row = await service.record_dca(
        session=session, actor=actor, programme_id=programme_id, data=data
    )
    return service.dca_read(row)
