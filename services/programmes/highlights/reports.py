"""Highlight reports: reading, submitting, importing and revising them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof, audit
from services.common.auth import Principal
from services.common.db import update_versioned, utcnow
from services.common.errors import Conflict, FieldError, NotFound, PreconditionFailed
from services.common.grouping import group_by
from services.common.pagination import PageParams, Window, order_by, window
from services.programmes import timescales
from services.programmes.base import record
from services.programmes.highlights.dca import record_assessment
from services.programmes.highlights.models import HighlightReport
from services.programmes.highlights.periods import (
    ensure_period,
    not_future,
    period_statuses,
    valid_period,
)
from services.programmes.highlights.schemas import (
    DCA,
    DCA_SCALE,
    Confidence,
    HighlightReportCreate,
    HighlightReportRead,
    HighlightReportUpdate,
    NextStep,
    NextStepRead,
    PeriodStatus,
    financial_year_start,
)
from services.programmes.plan import service as plan

# Highlight reports: reading ----------------------------------------------------------------

REPORT_SORTS = {"period", "programme_id", "submitted_at", "updated_at", "revision"}


def _current(statement: Any) -> Any:
    """Only each report's current revision: no higher revision of the same programme and
    period exists."""
    newer = aliased(HighlightReport)
    return statement.where(
        ~exists().where(
            col(newer.programme_id) == col(HighlightReport.programme_id),
            col(newer.period) == col(HighlightReport.period),
            col(newer.revision) > col(HighlightReport.revision),
        )
    )


async def list_highlight_reports(
    *, session: AsyncSession, programme_ids: Sequence[int], up_to_period: str | None = None
) -> Sequence[HighlightReport]:
    """The current revision of each report of ``programme_ids``, newest period first."""
    statement = select(HighlightReport).where(col(HighlightReport.programme_id).in_(programme_ids))
    if up_to_period is not None:
        statement = statement.where(HighlightReport.period <= up_to_period)
    statement = _current(statement).order_by(
        col(HighlightReport.programme_id), col(HighlightReport.period).desc()
    )
    return (await session.exec(statement)).all()


async def latest_highlight_reports(
    *, session: AsyncSession, programme_ids: Sequence[int], up_to_period: str | None = None
) -> dict[int, HighlightReport]:
    latest: dict[int, HighlightReport] = {}
    for report in await list_highlight_reports(
        session=session, programme_ids=programme_ids, up_to_period=up_to_period
    ):
        latest.setdefault(report.programme_id, report)
    return latest


async def search_highlight_reports(
    *,
    session: AsyncSession,
    page: PageParams,
    period: str | None = None,
    programme_id: int | None = None,
    confidence: Confidence | None = None,
    dca: DCA | None = None,
) -> Window[HighlightReport]:
    """Current revisions across programmes, filtered; newest period first."""
    statement = select(HighlightReport)
    if period is not None:
        statement = statement.where(HighlightReport.period == valid_period(period))
    if programme_id is not None:
        await plan.get(session=session, programme_id=programme_id)
        statement = statement.where(HighlightReport.programme_id == programme_id)
    if confidence is not None:
        statement = statement.where(HighlightReport.confidence == confidence.value)
    if dca is not None:
        statement = statement.where(HighlightReport.dca == dca)
    default = [col(HighlightReport.period).desc(), col(HighlightReport.programme_id)]
    statement = _current(statement).order_by(
        *order_by(HighlightReport, page.sort, REPORT_SORTS, [*default, HighlightReport.id])
    )
    return await window(session, statement, page)


def confidence_filter(value: str | None) -> Confidence | None:
    """A ``confidence=`` filter as written (Med is Medium); 422 naming it when off the scale."""
    if value is None:
        return None
    found = Confidence.read(value)
    if not isinstance(found, Confidence):
        raise FieldError(
            f"{value!r} is not a confidence: High, Medium (or Med) or Low", field="confidence"
        )
    return found


def dca_filter(value: str | None) -> DCA | None:
    if value is None:
        return None
    found = DCA.read(value)
    if not isinstance(found, DCA):
        raise FieldError(f"{value!r} is not on the DCA scale: {DCA_SCALE}", field="dca")
    return found


def pick_revision(rows: Sequence[HighlightReport], revision: int) -> HighlightReport:
    for row in rows:
        if row.revision == revision:
            return row
    raise NotFound(f"the report has revisions 1 to {len(rows)}, not {revision}", field="revision")


async def get_highlight_report(*, session: AsyncSession, report_id: int) -> HighlightReport:
    """The revision with this id, whichever it is."""
    row = await session.get(HighlightReport, report_id)
    if row is None:
        raise NotFound(f"no highlight report with id {report_id}", field="highlight_report_id")
    return row


async def _revisions_of(
    session: AsyncSession, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], list[HighlightReport]]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = (
        await session.exec(
            select(HighlightReport)
            .where(tuple_(HighlightReport.programme_id, HighlightReport.period).in_(wanted))
            .order_by(col(HighlightReport.revision))
        )
    ).all()
    found: dict[tuple[int, str], list[HighlightReport]] = group_by(
        rows, lambda row: (row.programme_id, row.period), keys=wanted
    )
    return found


async def revisions(*, session: AsyncSession, report_id: int) -> list[HighlightReport]:
    """Every revision of the report ``report_id`` is one of, oldest first."""
    row = await get_highlight_report(session=session, report_id=report_id)
    return (await _revisions_of(session, [(row.programme_id, row.period)]))[
        (row.programme_id, row.period)
    ]


async def revisions_many(
    *, session: AsyncSession, report_ids: Sequence[int]
) -> dict[int, list[HighlightReport]]:
    rows = (
        await session.exec(select(HighlightReport).where(col(HighlightReport.id).in_(report_ids)))
    ).all()
    every = await _revisions_of(session, [(r.programme_id, r.period) for r in rows])
    return {r.id: every[(r.programme_id, r.period)] for r in rows}  # type: ignore[misc]


async def current_revision(*, session: AsyncSession, report_id: int) -> HighlightReport:
    """The current revision of the report ``report_id`` is one of."""
    return (await revisions(session=session, report_id=report_id))[-1]


async def describe(
    *, session: AsyncSession, rows: Sequence[HighlightReport]
) -> list[HighlightReportRead]:
    """Reports as callers read them: each with its place among its revisions (current,
    superseded by, supersedes) and whether its period is locked."""
    siblings = await _revisions_of(session, [(r.programme_id, r.period) for r in rows])
    statuses = await period_statuses(session, (r.period for r in rows))
    reads = []
    for row in rows:
        by_revision = {s.revision: s for s in siblings.get((row.programme_id, row.period), [])}
        later = by_revision.get(row.revision + 1)
        earlier = by_revision.get(row.revision - 1)
        dca = None if row.dca is None else DCA(row.dca)
        reads.append(
            HighlightReportRead(
                id=row.id,  # type: ignore[arg-type]
                programme_id=row.programme_id,
                period=row.period,
                revision=row.revision,
                current=later is None,
                superseded=later is not None,
                superseded_by_id=None if later is None else later.id,
                superseded_at=None if later is None else later.submitted_at,
                supersedes_id=None if earlier is None else earlier.id,
                locked=statuses.get(row.period) == PeriodStatus.signed_off,
                dca=dca,
                dca_rag=None if dca is None else dca.rag,
                dca_reason=row.dca_reason,
                highlights=row.highlights,
                next_steps=[NextStepRead.model_validate(s) for s in row.next_steps or []],
                confidence=None if row.confidence is None else Confidence(row.confidence),
                decisions_needed=row.decisions_needed,
                revision_reason=row.revision_reason,
                author=row.author,
                submitted_at=row.submitted_at,
                updated_at=row.updated_at,
                version=row.version,
            )
        )
    return reads


async def describe_one(*, session: AsyncSession, row: HighlightReport) -> HighlightReportRead:
    return (await describe(session=session, rows=[row]))[0]


# Highlight reports: writing ----------------------------------------------------------------


def _stored_steps(steps: Sequence[NextStep], period: str) -> list[dict[str, Any]]:
    """Each step's "when" kept as written beside the window it reads as; bare quarters are
    financial-year quarters of the year the report's period falls in."""
    fy = financial_year_start(period)
    stored = []
    for step in steps:
        when = timescales.parse(step.when or "", financial_year_start=fy)
        stored.append(
            NextStepRead(
                what=step.what,
                when=step.when,
                who=step.who,
                confidence=step.confidence,
                when_start=when.start,
                when_end=when.end,
                when_precision=when.precision.value,
            ).model_dump(mode="json")
        )
    return stored


async def _current_report(
    session: AsyncSession, programme_id: int, period: str
) -> HighlightReport | None:
    """The current revision of the programme's report for the period, if it has one."""
    return (
        await session.exec(
            _current(
                select(HighlightReport).where(
                    HighlightReport.programme_id == programme_id,
                    HighlightReport.period == period,
                )
            )
        )
    ).first()


async def _create_report(
    session: AsyncSession,
    actor: Principal,
    *,
    programme_id: int,
    period: str,
    dca: DCA | None,
    dca_reason: str | None,
    highlights: str | None,
    next_steps: Sequence[NextStep],
    confidence: Confidence | None,
    decisions_needed: str | None,
) -> HighlightReport | None:
    """Revision 1 of a report, in a period still open (409 naming period once signed off),
    audited, its DCA (if it declares one) recorded in the history. None when another report
    for the programme and period was written first."""
    reporting_period = await ensure_period(session, actor, period)
    if reporting_period.status == PeriodStatus.signed_off:
        raise Conflict(
            f"{period} was signed off by {reporting_period.signed_off_by}: its assurance pack "
            "is closed to new highlight reports",
            field="period",
        )
    now = utcnow()
    report = HighlightReport(
        programme_id=programme_id,
        period=period,
        revision=1,
        dca=dca,
        dca_reason=dca_reason,
        highlights=highlights,
        next_steps=_stored_steps(next_steps, period),
        confidence=None if confidence is None else confidence.value,
        decisions_needed=decisions_needed,
        author=actor.subject,
        submitted_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(report)
            await session.flush()
    except IntegrityError:
        return None
    await record(session, actor, "create", report, None)
    if dca is not None and dca_reason is not None:
        await record_assessment(
            session,
            actor,
            programme_id=programme_id,
            dca=dca,
            reason=dca_reason,
            assessed_on=asof.today(session),
            highlight_report_id=report.id,
        )
    return report


async def submit_highlight_report(
    *, session: AsyncSession, actor: Principal, programme_id: int, data: HighlightReportCreate
) -> HighlightReport:
    """A programme's report for a period (one each), and the DCA it declares recorded as an
    assessment in the programme's history."""
    await plan.get(session=session, programme_id=programme_id)
    not_future(session, data.period, "a highlight report reports on a month that has begun")
    duplicate = await _current_report(session, programme_id, data.period)
    if duplicate is not None:
        raise Conflict(
            f"programme {programme_id} already has a highlight report for {data.period} "
            f"(id {duplicate.id}); change it instead",
            field="period",
        )
    report = await _create_report(
        session,
        actor,
        programme_id=programme_id,
        period=data.period,
        dca=data.dca,
        dca_reason=data.dca_reason,
        highlights=data.highlights,
        next_steps=data.next_steps,
        confidence=data.confidence,
        decisions_needed=data.decisions_needed,
    )
    if report is None:
        raise Conflict(
            f"programme {programme_id} already has a highlight report for {data.period}",
            field="period",
        )
    return report


async def import_highlight_report(
    *,
    session: AsyncSession,
    actor: Principal,
    programme_id: int,
    period: str,
    highlights: str | None,
    next_steps: Sequence[NextStep],
    confidence: Confidence | None,
    dca: DCA | None = None,
    dca_reason: str | None = None,
    decisions_needed: str | None = None,
) -> tuple[HighlightReport, bool]:
    """A report loaded from its source text, kept as the source has it: one that declares no
    DCA stores none (and adds nothing to the DCA history); one that does must give its reason.

    Idempotent: when the programme already has a report for the period, its current revision
    comes back with False and nothing is written. Otherwise revision 1 is created exactly as a
    submission is (the period must be a month that has begun and still open: 409 naming
    period once signed off; an unknown programme is 404) and comes back with True."""
    period = valid_period(period)
    await plan.get(session=session, programme_id=programme_id)
    not_future(session, period, "a highlight report reports on a month that has begun")
    reason = (dca_reason or "").strip() or None
    if dca is not None and reason is None:
        raise FieldError(f"a report declaring DCA {dca.value} gives its reason", field="dca_reason")
    if dca is None and reason is not None:
        raise FieldError("a DCA reason without the DCA it explains", field="dca")
    existing = await _current_report(session, programme_id, period)
    if existing is not None:
        return existing, False
    report = await _create_report(
        session,
        actor,
        programme_id=programme_id,
        period=period,
        dca=dca,
        dca_reason=reason,
        highlights=highlights,
        next_steps=next_steps,
        confidence=confidence,
        decisions_needed=decisions_needed,
    )
    if report is None:  # another import of the same report committed first
        existing = await _current_report(session, programme_id, period)
        if existing is None:  # pragma: no cover - the winner's row must be there
            raise Conflict(
                f"programme {programme_id}'s report for {period} is being written; try again",
                field="period",
            )
        return existing, False
    return report, True


CONTENT = ("dca", "dca_reason", "highlights", "next_steps", "confidence", "decisions_needed")


def _changes(current: HighlightReport, data: HighlightReportUpdate) -> dict[str, Any]:
    sent = data.model_dump(exclude_unset=True)
    if current.dca is not None:
        for required in ("dca", "dca_reason"):
            if required in sent and sent[required] is None:
                raise FieldError(
                    f"{required} cannot be emptied: a DCA once declared stays, with its reason",
                    field=required,
                )
    else:  # imported declaring none: a DCA may be added, together with its reason
        adding, reasoned = sent.get("dca") is not None, sent.get("dca_reason") is not None
        if adding and not reasoned:
            raise FieldError(
                "the report declares no DCA yet: its first comes with its reason",
                field="dca_reason",
            )
        if reasoned and not adding:
            raise FieldError(
                "the report declares no DCA: a reason needs the DCA it explains", field="dca"
            )
    if "next_steps" in sent:
        sent["next_steps"] = _stored_steps(data.next_steps or [], current.period)
    if "confidence" in sent and sent["confidence"] is not None:
        sent["confidence"] = Confidence(sent["confidence"]).value
    changed = {
        name: value
        for name, value in sent.items()
        if name in CONTENT and value != _comparable(name, getattr(current, name))
    }
    if changed and "revision_reason" in sent:
        changed["revision_reason"] = sent["revision_reason"]
    return changed


def _comparable(name: str, value: Any) -> Any:
    if name == "dca":
        return None if value is None else DCA(value)
    if name == "next_steps":
        return value or []
    return value


async def update_highlight_report(
    *,
    session: AsyncSession,
    actor: Principal,
    report_id: int,
    data: HighlightReportUpdate,
    expected_version: int,
) -> HighlightReport:
    """Change a report (``report_id`` may be any of its revisions; ``expected_version`` is the
    current revision's). Open period: the current revision is edited. Signed-off period: the
    change becomes the next revision and every earlier one stays as it was. A changed DCA or
    reason is recorded in the programme's DCA history. Sending nothing new writes nothing."""
    row = await get_highlight_report(session=session, report_id=report_id)
    period = await ensure_period(session, actor, row.period)
    current = (
        await session.exec(
            _current(
                select(HighlightReport).where(
                    HighlightReport.programme_id == row.programme_id,
                    HighlightReport.period == row.period,
                )
            ).with_for_update()
        )
    ).first()
    if current is None:  # pragma: no cover - a revision committed while we waited for the lock
        raise PreconditionFailed(
            f"highlight report {report_id} was revised by someone else; reload and try again",
            field="If-Match",
        )
    if current.version != expected_version:
        raise PreconditionFailed(
            f"highlight report {current.id} (revision {current.revision}) is at version "
            f"{current.version}, not {expected_version}; reload and try again",
            field="If-Match",
        )
    changes = _changes(current, data)
    if not changes:
        return current
    if period.status == PeriodStatus.signed_off:
        report = await _new_revision(session, actor, current, changes)
    else:
        before = audit.snapshot(current)
        report = await update_versioned(
            session, current, changes, expected_version=expected_version
        )
        await record(session, actor, "update", report, before)
    if (
        ("dca" in changes or "dca_reason" in changes)
        and report.dca is not None
        and report.dca_reason is not None
    ):
        await record_assessment(
            session,
            actor,
            programme_id=report.programme_id,
            dca=DCA(report.dca),
            reason=report.dca_reason,
            assessed_on=asof.today(session),
            highlight_report_id=report.id,
        )
    return report


async def _new_revision(
    session: AsyncSession, actor: Principal, current: HighlightReport, changes: dict[str, Any]
) -> HighlightReport:
    now = utcnow()
    content = {name: getattr(current, name) for name in CONTENT}
    content["revision_reason"] = None
    report = HighlightReport(
        **{**content, **changes},
        programme_id=current.programme_id,
        period=current.period,
        revision=current.revision + 1,
        author=actor.subject,
        submitted_at=now,
        updated_at=now,
        # The version runs on across revisions, so an ETag read before can never match again.
        version=current.version + 1,
    )
    try:
        async with session.begin_nested():
            session.add(report)
            await session.flush()
    except IntegrityError as exc:
        raise PreconditionFailed(
            f"highlight report {current.id} was revised by someone else; reload and try again",
            field="If-Match",
        ) from exc
    await record(session, actor, "create", report, None)
    return report
