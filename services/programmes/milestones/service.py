"""Key activities / milestones: the rules REST and GraphQL share.

The rules are pure functions (``slippage_days``, ``is_overdue``, ``settle_completion``, ...)
taking ``today`` as an argument; the functions that touch the database only flush, and the
caller's transaction commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof, audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import FieldError, NotFound
from services.common.grouping import group_by
from services.common.pagination import PageParams, Window, order_by, window
from services.common.updates import refuse_empty
from services.programmes import timescales
from services.programmes.base import record
from services.programmes.milestones.models import KeyActivity
from services.programmes.milestones.schemas import (
    KeyActivityCreate,
    KeyActivityRead,
    KeyActivityUpdate,
    Status,
)
from services.programmes.plan import service as plan

# Rules -------------------------------------------------------------------------------------


def slippage_days(baseline_end: date | None, forecast: date | None) -> int | None:
    """Days the forecast lies beyond the baseline end (negative: ahead); None if either is
    missing."""
    if baseline_end is None or forecast is None:
        return None
    return (forecast - baseline_end).days


def due_date(baseline_end: date | None, forecast: date | None) -> date | None:
    """When it is due now: the forecast if there is one, else the baseline end."""
    return forecast if forecast is not None else baseline_end


def is_overdue(
    status: str, baseline_end: date | None, forecast: date | None, *, today: date
) -> bool:
    """Not completed, and due (forecast, else baseline end) before today."""
    due = due_date(baseline_end, forecast)
    return status != Status.completed and due is not None and due < today


def check_actual(actual: date | None, baseline_start: date | None) -> None:
    if actual is not None and baseline_start is not None and actual < baseline_start:
        raise FieldError(
            f"the actual date {actual.isoformat()} is before the baseline start "
            f"{baseline_start.isoformat()}",
            field="actual_date",
        )


@dataclass(frozen=True)
class Progress:
    status: str
    percent_complete: int
    actual_date: date | None


def settle_completion(merged: Progress, given: Collection[str], *, today: date) -> Progress:
    """A completed milestone is 100% complete and has an actual date.

    ``merged`` is the state after the change and ``given`` the fields the caller sent. On
    completion a missing actual date becomes today and an unsent percentage becomes 100; a
    percentage sent other than 100, or an actual date explicitly cleared, is refused.
    """
    if merged.status != Status.completed:
        return merged
    percent = merged.percent_complete
    if percent != 100:
        if "percent_complete" in given:
            raise FieldError(
                f"a completed milestone is 100% complete, not {percent}%", field="percent_complete"
            )
        percent = 100
    actual = merged.actual_date
    if actual is None:
        if "actual_date" in given:
            raise FieldError("a completed milestone needs its actual date", field="actual_date")
        actual = today
    return Progress(status=merged.status, percent_complete=percent, actual_date=actual)


def financial_year_of(day: date) -> int:
    """The financial year (April to March) a day falls in, by its starting calendar year."""
    return day.year if day.month >= 4 else day.year - 1


@dataclass(frozen=True)
class Baseline:
    start: timescales.Timescale
    end: timescales.Timescale


OPEN = {timescales.Precision.unknown, timescales.Precision.ongoing, timescales.Precision.recurring}


def parse_timescale(
    text: str | None, *, financial_year_start: int | None = None
) -> timescales.Timescale:
    """Parse as written; text that names a period but needs a financial year to place it
    ("Q3") is read in ``financial_year_start`` when one is known."""
    parsed = timescales.parse(text or "")
    needs_year = parsed.start is None and parsed.end is None and parsed.precision not in OPEN
    if needs_year and financial_year_start is not None:
        return timescales.parse(text or "", financial_year_start=financial_year_start)
    return parsed


def parse_baseline(
    start_text: str | None, end_text: str | None, *, financial_year_start: int | None = None
) -> Baseline:
    """Parse the plan's start and end. A bare quarter ("Q3") is read in the financial year of
    the other end, else in the plan's first financial year. An end before the start is
    refused."""
    start = timescales.parse(start_text or "")
    end = timescales.parse(end_text or "")
    start_fy = financial_year_of(end.end) if end.end else financial_year_start
    end_fy = financial_year_of(start.start) if start.start else financial_year_start
    start = parse_timescale(start_text, financial_year_start=start_fy)
    end = parse_timescale(end_text, financial_year_start=end_fy)
    if start.start and end.end and end.end < start.start:
        raise FieldError(f"ends ({end_text}) before it starts ({start_text})", field="end_text")
    return Baseline(start=start, end=end)


def to_read(row: KeyActivity, *, today: date) -> KeyActivityRead:
    return KeyActivityRead.model_validate(
        {
            **row.model_dump(),
            "due_date": due_date(row.end_date, row.forecast_date),
            "slippage_days": slippage_days(row.end_date, row.forecast_date),
            "overdue": is_overdue(row.status, row.end_date, row.forecast_date, today=today),
        }
    )


# Reading -----------------------------------------------------------------------------------


async def list_key_activities(
    *,
    session: AsyncSession,
    programme_ids: Sequence[int],
    due_from: date | None = None,
    due_to: date | None = None,
) -> Sequence[KeyActivity]:
    """A programme's key activities in plan order; the window filters on the baseline end."""
    statement = select(KeyActivity).where(col(KeyActivity.programme_id).in_(programme_ids))
    if due_from is not None:
        statement = statement.where(col(KeyActivity.end_date) >= due_from)
    if due_to is not None:
        statement = statement.where(col(KeyActivity.end_date) <= due_to)
    statement = statement.order_by(
        col(KeyActivity.programme_id), col(KeyActivity.position), col(KeyActivity.id)
    )
    return (await session.exec(statement)).all()


async def key_activities_by_programme(
    *,
    session: AsyncSession,
    programme_ids: Sequence[int],
    due_from: date | None = None,
    due_to: date | None = None,
) -> dict[int, list[KeyActivity]]:
    rows = await list_key_activities(
        session=session, programme_ids=programme_ids, due_from=due_from, due_to=due_to
    )
    return group_by(rows, lambda row: row.programme_id, keys=programme_ids)


MILESTONE_SORTS = {
    "id",
    "programme_id",
    "workstream_id",
    "position",
    "title",
    "start_date",
    "end_date",
    "forecast_date",
    "actual_date",
    "status",
    "percent_complete",
    "owner",
}


def _due_column() -> Any:
    return func.coalesce(col(KeyActivity.forecast_date), col(KeyActivity.end_date))


def overdue_clause(today: date) -> Any:
    return and_(col(KeyActivity.status) != Status.completed.value, _due_column() < today)


def not_overdue_clause(today: date) -> Any:
    due = _due_column()
    return or_(col(KeyActivity.status) == Status.completed.value, due.is_(None), due >= today)


async def search_milestones(
    *,
    session: AsyncSession,
    page: PageParams,
    today: date,
    programme_id: int | None = None,
    workstream_id: int | None = None,
    status: Status | None = None,
    overdue: bool | None = None,
    slipped: bool | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    owner: str | None = None,
) -> Window[KeyActivity]:
    """Milestones across programmes. ``due_from``/``due_to`` filter on the due date (the
    forecast, else the baseline end); ``slipped`` means forecast later than baseline end."""
    statement = select(KeyActivity)
    if programme_id is not None:
        statement = statement.where(KeyActivity.programme_id == programme_id)
    if workstream_id is not None:
        statement = statement.where(KeyActivity.workstream_id == workstream_id)
    if status is not None:
        statement = statement.where(KeyActivity.status == status.value)
    if overdue is not None:
        statement = statement.where(overdue_clause(today) if overdue else not_overdue_clause(today))
    if slipped is not None:
        forecast, end = col(KeyActivity.forecast_date), col(KeyActivity.end_date)
        statement = statement.where(
            forecast > end if slipped else or_(forecast.is_(None), end.is_(None), forecast <= end)  # type: ignore[arg-type]
        )
    if due_from is not None:
        statement = statement.where(_due_column() >= due_from)
    if due_to is not None:
        statement = statement.where(_due_column() <= due_to)
    if owner:
        statement = statement.where(col(KeyActivity.owner).ilike(f"%{owner}%"))
    statement = statement.order_by(
        *order_by(
            KeyActivity,
            page.sort,
            MILESTONE_SORTS,
            [KeyActivity.programme_id, KeyActivity.position, KeyActivity.id],
        )
    )
    return await window(session, statement, page)


async def get_milestone(*, session: AsyncSession, milestone_id: int) -> KeyActivity:
    row = await session.get(KeyActivity, milestone_id)
    if row is None:
        raise NotFound(f"no milestone with id {milestone_id}", field="id")
    return row


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, KeyActivity]:
    rows = (await session.exec(select(KeyActivity).where(col(KeyActivity.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


# Writing -----------------------------------------------------------------------------------


async def check_workstream(
    session: AsyncSession, workstream_id: int | None, programme_id: int
) -> None:
    if workstream_id is None:
        return
    workstream = await plan.find_workstream(session=session, workstream_id=workstream_id)
    if workstream is None:
        raise FieldError(f"no workstream with id {workstream_id}", field="workstream_id")
    if workstream.programme_id != programme_id:
        raise FieldError(
            f"workstream {workstream_id} belongs to another programme", field="workstream_id"
        )


async def add_key_activity(
    *,
    session: AsyncSession,
    actor: Principal,
    programme_id: int,
    data: KeyActivityCreate,
    today: date | None = None,
) -> KeyActivity:
    programme = await plan.get(session=session, programme_id=programme_id)
    baseline = parse_baseline(
        data.start_text,
        data.end_text,
        financial_year_start=await plan.financial_year_start(
            session=session, portfolio_id=programme.portfolio_id
        ),
    )
    await check_workstream(session, data.workstream_id, programme_id)
    progress = settle_completion(
        Progress(data.status.value, data.percent_complete, data.actual_date),
        data.model_fields_set,
        today=today or asof.today(session),
    )
    check_actual(progress.actual_date, baseline.start.start)
    position = (
        await session.exec(
            select(func.coalesce(func.max(KeyActivity.position), 0)).where(
                KeyActivity.programme_id == programme_id
            )
        )
    ).one()
    activity = KeyActivity(
        **data.model_dump(exclude={"status", "percent_complete", "actual_date"}),
        programme_id=programme_id,
        position=int(position) + 1,
        start_date=baseline.start.start,
        end_date=baseline.end.end,
        start_precision=baseline.start.precision.value,
        end_precision=baseline.end.precision.value,
        status=progress.status,
        percent_complete=progress.percent_complete,
        actual_date=progress.actual_date,
    )
    session.add(activity)
    await session.flush()
    await record(session, actor, "create", activity, None)
    return activity


NOT_NULL = ("title", "status", "percent_complete")


async def update_milestone(
    *,
    session: AsyncSession,
    actor: Principal,
    milestone_id: int,
    data: KeyActivityUpdate,
    expected_version: int,
    today: date | None = None,
) -> KeyActivity:
    row = await get_milestone(session=session, milestone_id=milestone_id)
    changes = data.model_dump(exclude_unset=True)
    refuse_empty(changes, NOT_NULL)
    if "status" in changes:
        changes["status"] = Status(changes["status"]).value
    merged = {**row.model_dump(), **changes}
    if "start_text" in changes or "end_text" in changes:
        programme = await plan.get(session=session, programme_id=row.programme_id)
        baseline = parse_baseline(
            merged["start_text"],
            merged["end_text"],
            financial_year_start=await plan.financial_year_start(
                session=session, portfolio_id=programme.portfolio_id
            ),
        )
        changes.update(
            start_date=baseline.start.start,
            end_date=baseline.end.end,
            start_precision=baseline.start.precision.value,
            end_precision=baseline.end.precision.value,
        )
        merged.update(changes)
    if "workstream_id" in changes:
        await check_workstream(session, changes["workstream_id"], row.programme_id)
    progress = settle_completion(
        Progress(merged["status"], merged["percent_complete"], merged["actual_date"]),
        changes.keys(),
        today=today or asof.today(session),
    )
    check_actual(progress.actual_date, merged["start_date"])
    for name in ("percent_complete", "actual_date"):
        if getattr(progress, name) != getattr(row, name):
            changes[name] = getattr(progress, name)
    before = audit.snapshot(row)
    await update_versioned(session, row, changes, expected_version=expected_version)
    await record(session, actor, "update", row, before)
    return row
