"""Reporting periods: a month's reports, and its sign-off that locks them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof, audit
from services.common.auth import Principal
from services.common.db import update_versioned, utcnow
from services.common.errors import Conflict, FieldError, NotFound
from services.programmes.base import record
from services.programmes.highlights.models import ReportingPeriod
from services.programmes.highlights.schemas import (
    PeriodStatus,
    ReportingPeriodRead,
    check_period,
)


def valid_period(period: str, field: str = "period") -> str:
    try:
        return check_period(period)
    except ValueError as exc:
        raise FieldError(f"{period!r}: {exc}", field=field) from exc


def not_future(session: AsyncSession, period: str, what: str) -> None:
    this_month = asof.today(session).strftime("%Y-%m")
    if period > this_month:
        raise FieldError(
            f"{period} has not started (this month is {this_month}): {what}", field="period"
        )


# Reporting periods -------------------------------------------------------------------------


async def find_period(
    session: AsyncSession, period: str, *, lock: str | None = None
) -> ReportingPeriod | None:
    """``lock="share"`` for writers of the period's reports, ``"update"`` for its sign-off: a
    sign-off waits for reports being written to commit, and a report written after a sign-off
    sees it, so no edit in place can land in a locked period."""
    statement = select(ReportingPeriod).where(ReportingPeriod.period == period)
    if lock is not None:
        statement = statement.with_for_update(read=lock == "share")
    return (await session.exec(statement)).first()


async def ensure_period(
    session: AsyncSession, actor: Principal, period: str, *, lock: str = "share"
) -> ReportingPeriod:
    """The period's row, created open (and audited) the first time anything needs it, and
    locked (see find_period) until the transaction ends."""
    row = await find_period(session, period, lock=lock)
    if row is not None:
        return row
    created = ReportingPeriod(period=period)
    try:
        async with session.begin_nested():  # a SAVEPOINT: losing the race keeps our transaction
            session.add(created)
            await session.flush()
    except IntegrityError:
        row = await find_period(session, period, lock=lock)
        if row is None:  # pragma: no cover - the winner's row must be there
            raise
        return row
    await record(session, actor, "create", created, None)
    return created


async def get_period(*, session: AsyncSession, period: str) -> ReportingPeriod:
    valid_period(period)
    row = await find_period(session, period)
    if row is None:
        raise NotFound(f"no reporting period {period} has been opened", field="period")
    return row


async def list_periods(
    *, session: AsyncSession, status: PeriodStatus | None = None
) -> Sequence[ReportingPeriod]:
    statement = select(ReportingPeriod).order_by(col(ReportingPeriod.period).desc())
    if status is not None:
        statement = statement.where(ReportingPeriod.status == status.value)
    return (await session.exec(statement)).all()


async def sign_off_period(
    *, session: AsyncSession, actor: Principal, period: str
) -> ReportingPeriod:
    """Sign off the period's assurance pack; from now on its highlight reports are locked."""
    valid_period(period)
    not_future(session, period, "its assurance pack cannot be signed off yet")
    row = await ensure_period(session, actor, period, lock="update")
    if row.status == PeriodStatus.signed_off:
        raise Conflict(
            f"{period} was signed off by {row.signed_off_by} at "
            f"{row.signed_off_at.isoformat() if row.signed_off_at else 'an unknown time'}",
            field="period",
        )
    before = audit.snapshot(row)
    await update_versioned(
        session,
        row,
        {
            "status": PeriodStatus.signed_off.value,
            "signed_off_by": actor.subject,
            "signed_off_at": utcnow(),
        },
        expected_version=row.version,
    )
    await record(session, actor, "update", row, before)
    return row


def period_read(row: ReportingPeriod) -> ReportingPeriodRead:
    return ReportingPeriodRead.model_validate(row, from_attributes=True)


async def period_statuses(session: AsyncSession, periods: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(periods))
    if not wanted:
        return {}
    rows = (
        await session.exec(select(ReportingPeriod).where(col(ReportingPeriod.period).in_(wanted)))
    ).all()
    return {row.period: row.status for row in rows}
