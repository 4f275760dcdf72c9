"""Highlight reports, reporting periods and delivery confidence in the programmes subgraph.
Resolvers stay thin: the rules are highlights/service.py's; fields resolved per programme or
per report go through per-request DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common.auth import Role
from services.common.errors import FieldError
from services.common.graphql import (
    Context,
    Limit,
    Offset,
    Page,
    Version,
    graphql_enum,
    id_or_none,
    if_sent,
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
from services.common.grouping import group_by
from services.common.pagination import window_of
from services.programmes.graphql_shared import DCA, CommonRag, OfProgramme, Precision
from services.programmes.highlights import service
from services.programmes.highlights.schemas import (
    Confidence,
    DcaAssessmentCreate,
    HighlightReportCreate,
    HighlightReportRead,
    HighlightReportUpdate,
    NextStepRead,
    PeriodStatus,
    check_period,
)

Ctx = Info[Context, None]

graphql_enum(
    Confidence,
    description="How sure the programme is of its report or of a next step: HIGH, MEDIUM, LOW",
)
graphql_enum(
    PeriodStatus,
    description="A reporting month: OPEN for reports, or SIGNED_OFF (its pack agreed, locked)",
)

Period = Annotated[str, strawberry.argument(description="a reporting month, YYYY-MM")]


@strawberry.type(description="one row of NEXT STEPS / WHEN / WHO")
class NextStep:
    what: str = strawberry.field(description="the step, as the report words it")
    when: str | None = strawberry.field(description="as written: Q2, June 2024, Q1/2 ...")
    who: str | None = strawberry.field(description="who takes it, post or name")
    confidence: Confidence | None = strawberry.field(description="the row's own, where given")
    when_start: date | None = strawberry.field(
        description="the first day of the window `when` reads as (a bare quarter counts from "
        "the report's financial year, April to March)"
    )
    when_end: date | None = strawberry.field(description="the last day of that window")
    when_precision: Precision = strawberry.field(description="how exactly `when` names its window")

    @classmethod
    def from_read(cls, step: NextStepRead) -> NextStep:
        return cls(
            what=step.what,
            when=step.when,
            who=step.who,
            confidence=step.confidence,
            when_start=step.when_start,
            when_end=step.when_end,
            when_precision=Precision(step.when_precision),
        )


@strawberry.type(description="a programme's monthly highlight report (one revision of it)")
class HighlightReport:
    id: strawberry.ID = strawberry.field(description="this revision's id")
    programme_id: strawberry.ID = strawberry.field(description="the programme reporting")
    period: str = strawberry.field(description="the month reported on, YYYY-MM")
    revision: int = strawberry.field(description="1 as submitted; 2, 3 ... after sign-off")
    current: bool = strawberry.field(description="whether this is the period's latest revision")
    superseded: bool = strawberry.field(description="whether a later revision replaced it")
    superseded_by_id: strawberry.ID | None = strawberry.field(
        description="the revision that replaced it"
    )
    superseded_at: datetime | None = strawberry.field(description="when it was replaced")
    supersedes_id: strawberry.ID | None = strawberry.field(
        description="the revision this one replaced"
    )
    locked: bool = strawberry.field(
        description="the period is signed off: a change makes a new revision"
    )
    dca: DCA | None = strawberry.field(
        description="Delivery Confidence Assessment (five-point); null only for a report "
        "imported from a source that declares none"
    )
    dca_rag: CommonRag | None = strawberry.field(
        description="the DCA mapped to Red/Amber/Green, as central government reports it: "
        "AMBER_GREEN and AMBER are AMBER, AMBER_RED is RED"
    )
    dca_reason: str | None = strawberry.field(description="why the SAO judges the DCA so")
    highlights: str | None = strawberry.field(description="highlights on progress this month")
    next_steps: list[NextStep] = strawberry.field(
        description="NEXT STEPS / WHEN / WHO, in the report's order"
    )
    confidence: Confidence | None = strawberry.field(
        description="how sure the programme is of the report"
    )
    decisions_needed: str | None = strawberry.field(
        description="decisions or escalations needed from the board"
    )
    revision_reason: str | None = strawberry.field(
        description="why a signed-off report was revised"
    )
    author: str = strawberry.field(description="who submitted (or revised) it")
    submitted_at: datetime = strawberry.field(description="when this revision was submitted")
    updated_at: datetime = strawberry.field(description="when it last changed")
    version: int = strawberry.field(description="its version: send it back to change it")

    @classmethod
    def from_read(cls, read: HighlightReportRead) -> HighlightReport:
        return cls(
            id=strawberry.ID(str(read.id)),
            programme_id=strawberry.ID(str(read.programme_id)),
            period=read.period,
            revision=read.revision,
            current=read.current,
            superseded=read.superseded,
            superseded_by_id=id_or_none(read.superseded_by_id),
            superseded_at=read.superseded_at,
            supersedes_id=id_or_none(read.supersedes_id),
            locked=read.locked,
            dca=read.dca,
            dca_rag=None if read.dca_rag is None else CommonRag(read.dca_rag),
            dca_reason=read.dca_reason,
            highlights=read.highlights,
            next_steps=[NextStep.from_read(step) for step in read.next_steps],
            confidence=read.confidence,
            decisions_needed=read.decisions_needed,
            revision_reason=read.revision_reason,
            author=read.author,
            submitted_at=read.submitted_at,
            updated_at=read.updated_at,
            version=read.version,
        )

    @strawberry.field(description="every revision of this report, oldest first")
    async def revisions(self, info: Ctx) -> list[HighlightReport]:
        found = await info.context.loader("highlight_revisions", _load_revisions).load(int(self.id))
        return found or []


@strawberry.type(description="a month's assurance pack: open, or signed off (who, when)")
class ReportingPeriod:
    period: str = strawberry.field(description="the month, YYYY-MM")
    status: PeriodStatus = strawberry.field(description="open, or signed off")
    signed_off_by: str | None = strawberry.field(description="who signed it off")
    signed_off_at: datetime | None = strawberry.field(description="when it was signed off")
    version: int = strawberry.field(description="its version")

    @strawberry.field(description="signed off: its highlight reports change only by revision")
    def locked(self) -> bool:
        return self.status == PeriodStatus.signed_off.value

    @classmethod
    def from_row(cls, row: Any) -> ReportingPeriod:
        read = service.period_read(row)
        return cls(
            period=read.period,
            status=read.status,
            signed_off_by=read.signed_off_by,
            signed_off_at=read.signed_off_at,
            version=read.version,
        )


@strawberry.type(description="a dated delivery confidence judgement, with reason and author")
class DcaAssessment:
    id: strawberry.ID = strawberry.field(description="the judgement's id")
    programme_id: strawberry.ID = strawberry.field(description="the programme judged")
    assessed_on: date = strawberry.field(description="the day the judgement holds from")
    dca: DCA = strawberry.field(description="the Delivery Confidence Assessment (five-point)")
    dca_rag: CommonRag = strawberry.field(description="the DCA mapped to Red/Amber/Green")
    reason: str = strawberry.field(description="why it was judged so")
    author: str = strawberry.field(description="who judged it (the SAO or their delegate)")
    highlight_report_id: strawberry.ID | None = strawberry.field(
        description="the highlight report revision that declared it, if one did"
    )
    created_at: datetime = strawberry.field(description="when it was recorded")

    @classmethod
    def from_row(cls, row: Any) -> DcaAssessment:
        read = service.dca_read(row)
        return cls(
            id=strawberry.ID(str(read.id)),
            programme_id=strawberry.ID(str(read.programme_id)),
            assessed_on=read.assessed_on,
            dca=read.dca,
            dca_rag=CommonRag(read.dca_rag),
            reason=read.reason,
            author=read.author,
            highlight_report_id=id_or_none(read.highlight_report_id),
            created_at=read.created_at,
        )


# Loaders: one query per request for every programme (or report) asked about ------------------


async def _reports(session: AsyncSession, rows: Sequence[Any]) -> list[HighlightReport]:
    return [
        HighlightReport.from_read(r) for r in await service.describe(session=session, rows=rows)
    ]


async def _load_reports(
    session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[HighlightReport]]:
    rows = await service.list_highlight_reports(session=session, programme_ids=programme_ids)
    return group_by(await _reports(session, rows), lambda report: int(report.programme_id))


def _latest_loader(
    up_to_period: str | None,
) -> Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, HighlightReport]]]:
    async def load(
        session: AsyncSession, programme_ids: Sequence[int]
    ) -> dict[int, HighlightReport]:
        latest = await service.latest_highlight_reports(
            session=session, programme_ids=programme_ids, up_to_period=up_to_period
        )
        reports = await _reports(session, list(latest.values()))
        return {int(r.programme_id): r for r in reports}

    return load


async def _load_revisions(
    session: AsyncSession, report_ids: Sequence[int]
) -> dict[int, list[HighlightReport]]:
    every = await service.revisions_many(session=session, report_ids=report_ids)
    rows = list({row.id: row for rows in every.values() for row in rows}.values())
    described = {int(r.id): r for r in await _reports(session, rows)}
    return {
        report_id: [described[row.id] for row in rows]  # type: ignore[index]
        for report_id, rows in every.items()
    }


async def _load_dca_history(
    session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[DcaAssessment]]:
    rows = await service.dca_history(session=session, programme_ids=programme_ids)
    return group_by(rows, lambda row: row.programme_id, DcaAssessment.from_row)


# What Programme's fields call ---------------------------------------------------------------


async def highlight_reports_for(info: Ctx, programme_id: int) -> list[HighlightReport]:
    """The programme's reports (current revisions), newest period first."""
    found = await info.context.loader("highlight_reports", _load_reports).load(programme_id)
    return found or []


async def latest_highlight_report_for(
    info: Ctx, programme_id: int, *, up_to_period: str | None = None
) -> HighlightReport | None:
    """The current revision of the newest report, or of the newest up to a period."""
    if up_to_period is not None:
        _period_argument(up_to_period, "upToPeriod")
    return await info.context.loader(
        f"latest_report:{up_to_period or ''}", _latest_loader(up_to_period)
    ).load(programme_id)


async def dca_history_for(info: Ctx, programme_id: int) -> list[DcaAssessment]:
    """The programme's DCA history, newest judgement first."""
    found = await info.context.loader("dca_history", _load_dca_history).load(programme_id)
    return found or []


def _period_argument(value: str, field: str) -> str:
    try:
        return check_period(value)
    except ValueError as exc:
        raise FieldError(f"{value!r}: {exc}", field=field) from exc


# Queries ------------------------------------------------------------------------------------


@strawberry.type
class HighlightsQuery:
    @strawberry.field(description="current revisions across programmes, newest period first")
    async def highlight_reports(
        self,
        info: Ctx,
        period: Annotated[
            str | None, strawberry.argument(description="only this month's, YYYY-MM")
        ] = None,
        programme_id: OfProgramme = None,
        confidence: Annotated[
            Confidence | None, strawberry.argument(description="only reports this sure")
        ] = None,
        dca: Annotated[
            DCA | None, strawberry.argument(description="only reports at this DCA")
        ] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[HighlightReport]:
        async with info.context.reading() as session:
            found = await service.search_highlight_reports(
                session=session,
                page=page(limit, offset),
                period=period,
                programme_id=optional_id(programme_id, "programmeId"),
                confidence=confidence,
                dca=dca,
            )
            return Page.of(found.with_rows(await _reports(session, found.rows)))

    @strawberry.field(description="a report's current revision, or the revision asked for")
    async def highlight_report(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="any revision's id")],
        revision: Annotated[
            int | None,
            strawberry.argument(
                description="which revision, from 1; the current one when left out"
            ),
        ] = None,
    ) -> HighlightReport | None:
        async with info.context.reading() as session:
            every = await service.revisions_many(session=session, report_ids=[parse_id(id, "id")])
            if parse_id(id, "id") not in every:
                return None
            rows = every[parse_id(id, "id")]
            row = rows[-1] if revision is None else service.pick_revision(rows, revision)
            return (await _reports(session, [row]))[0]

    @strawberry.field(description="reporting periods, newest first")
    async def reporting_periods(
        self,
        info: Ctx,
        status: Annotated[
            PeriodStatus | None, strawberry.argument(description="only periods at this status")
        ] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[ReportingPeriod]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            rows = await service.list_periods(session=session, status=status)
        return Page.of(window_of(rows, params), ReportingPeriod.from_row)


# Mutations ----------------------------------------------------------------------------------


@strawberry.input(description="one row of NEXT STEPS / WHEN / WHO")
class NextStepInput:
    what: str = strawberry.field(description="the step")
    when: str | None = strawberry.field(
        default=None, description="as written: Q2, June 2024, Q1/2 ..."
    )
    who: str | None = strawberry.field(default=None, description="who takes it")
    confidence: Confidence | None = strawberry.field(
        default=None, description="the row's own, where given"
    )


def _with_steps(data: dict[str, Any]) -> dict[str, Any]:
    if isinstance(data.get("next_steps"), list):
        data["next_steps"] = [input_dict(step) for step in data["next_steps"]]
    return data


@strawberry.input(description="a programme's highlight report for a month")
class HighlightReportInput:
    period: str = strawberry.field(description="the month reported on, YYYY-MM")
    dca: DCA = strawberry.field(description="the Delivery Confidence Assessment (five-point)")
    dca_reason: str = strawberry.field(description="why the DCA is judged so")
    highlights: str | None = strawberry.field(default=None, description="progress this month")
    next_steps: list[NextStepInput] | None = strawberry.field(
        default=None, description="NEXT STEPS / WHEN / WHO"
    )
    confidence: Confidence | None = strawberry.field(
        default=None, description="how sure the programme is of the report"
    )
    decisions_needed: str | None = strawberry.field(
        default=None, description="decisions or escalations needed from the board"
    )


@strawberry.input(description="only the fields sent change")
class HighlightReportRevisionInput:
    dca: DCA | None = if_sent("the Delivery Confidence Assessment")
    dca_reason: str | None = if_sent("why the DCA is judged so")
    highlights: str | None = if_sent("progress this month")
    next_steps: list[NextStepInput] | None = if_sent("NEXT STEPS / WHEN / WHO, replacing the rows")
    confidence: Confidence | None = if_sent("how sure the programme is of the report")
    decisions_needed: str | None = if_sent("decisions or escalations needed")
    revision_reason: str | None = if_sent("why a signed-off report is revised (required then)")


@strawberry.input(description="a Delivery Confidence Assessment judged on its own")
class DcaInput:
    dca: DCA = strawberry.field(description="the judgement on the five-point scale")
    reason: str = strawberry.field(description="why it is judged so")
    assessed_on: date | None = strawberry.field(default=None, description="today when left out")


@strawberry.type
class HighlightsMutation:
    @strawberry.mutation(description="a programme's report for a month; one per period")
    async def submit_highlight_report(
        self,
        info: Ctx,
        programme_id: Annotated[strawberry.ID, strawberry.argument(description="the programme")],
        input: Annotated[HighlightReportInput, strawberry.argument(description="the report")],
    ) -> HighlightReport:
        actor = info.context.writer()
        data = validate(HighlightReportCreate, _with_steps(input_dict(input)))
        async with info.context.transaction() as session:
            row = await service.submit_highlight_report(
                session=session,
                actor=actor,
                programme_id=parse_id(programme_id, "programmeId"),
                data=data,
            )
            report = (await _reports(session, [row]))[0]
        return report

    @strawberry.mutation(
        description="change a report; version is the one you last read. Open period: edits "
        "it. Signed-off period: adds the next revision beside the earlier ones."
    )
    async def revise_highlight_report(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the report's id")],
        version: Version,
        input: Annotated[
            HighlightReportRevisionInput, strawberry.argument(description="what changes")
        ],
    ) -> HighlightReport:
        actor = info.context.writer()
        data = validate(HighlightReportUpdate, _with_steps(input_dict(input)))
        async with info.context.transaction() as session:
            row = await service.update_highlight_report(
                session=session,
                actor=actor,
                report_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
            )
            report = (await _reports(session, [row]))[0]
        return report

    @strawberry.mutation(description="a DCA judged on its own, dated, with its reason")
    async def record_dca(
        self,
        info: Ctx,
        programme_id: Annotated[strawberry.ID, strawberry.argument(description="the programme")],
        input: Annotated[DcaInput, strawberry.argument(description="the judgement")],
    ) -> DcaAssessment:
        actor = info.context.writer()
        data = validate(DcaAssessmentCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.record_dca(
                session=session,
                actor=actor,
                programme_id=parse_id(programme_id, "programmeId"),
                data=data,
            )
        return DcaAssessment.from_row(row)

    @strawberry.mutation(description="sign off a period's assurance pack (admin): locks it")
    async def sign_off_period(self, info: Ctx, period: Period) -> ReportingPeriod:
        actor = info.context.require((Role.admin,))
        async with info.context.transaction() as session:
            row = await service.sign_off_period(session=session, actor=actor, period=period)
        return ReportingPeriod.from_row(row)
