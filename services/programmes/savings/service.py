"""Savings initiatives: the rules REST and GraphQL share. Functions only flush; the caller's
transaction commits.

On time or late, and RAG
------------------------
Both are computed, never stored, and both depend on the day they are judged on (``as_of``, by
default today in the council's time zone, or the cut's day when reading at a cut), so a pack
judged "as of" a date, or read at a cut, says the same when generated again.

``late`` (the initiative's delivery is slipping) when either

- it is **overdue**: ``as_of`` is after ``due_date`` and ``delivered < target`` (on the due date
  itself it is not yet late); or
- its **forecast is below target**: ``forecast < target`` (the shortfall will not arrive in the
  year as planned).

``late_reason`` says which ("overdue" wins when both hold); ``late`` is false otherwise.

``rag``:

- **Red**: overdue, or the forecast is more than 10% below target
  (``forecast < 90% of target``);
- **Amber**: not overdue, and the forecast is below target by no more than 10% of target
  (``90% of target <= forecast < target``);
- **Green**: not overdue, and ``forecast >= target``.

So a small forecast shortfall is Amber even though it counts as "late" (forecast below target);
only an overdue initiative or a shortfall beyond the 10% tolerance is Red. The same rule is
written twice, once in Python (:func:`rag`, :func:`late_reason`) and once in SQL
(:func:`rag_sql`, :func:`late_sql`) so lists can filter and paginate by it; the tests hold the two
together at every boundary. The 10% test is written ``forecast * 100 < target * 90``: no division,
so it is exact in SQL ``NUMERIC`` and in ``Decimal`` alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof, audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import Conflict, FieldError, NotFound
from services.common.grouping import group_by
from services.common.pagination import PageParams, Window, order_by, window
from services.common.updates import refuse_empty
from services.programmes.base import record
from services.programmes.plan import service as plan
from services.programmes.savings.models import SavingsInitiative
from services.programmes.savings.schemas import (
    RAG,
    GroupBy,
    SavingsCreate,
    SavingsRead,
    SavingsTotal,
    SavingsTotals,
    SavingsUpdate,
    check_financial_year,
)

AMBER_TOLERANCE_PERCENT = 10
OVERDUE = "overdue"
FORECAST_BELOW_TARGET = "forecast below target"
ZERO = Decimal("0.00")


# The rule, in Python ---------------------------------------------------------------------------


def overdue(*, target: Decimal, delivered: Decimal, due_date: date | None, as_of: date) -> bool:
    return due_date is not None and as_of > due_date and delivered < target


def late_reason(
    *, target: Decimal, forecast: Decimal, delivered: Decimal, due_date: date | None, as_of: date
) -> str | None:
    if overdue(target=target, delivered=delivered, due_date=due_date, as_of=as_of):
        return OVERDUE
    if forecast < target:
        return FORECAST_BELOW_TARGET
    return None


def rag(
    *, target: Decimal, forecast: Decimal, delivered: Decimal, due_date: date | None, as_of: date
) -> RAG:
    if overdue(target=target, delivered=delivered, due_date=due_date, as_of=as_of):
        return RAG.red
    if forecast * 100 < target * (100 - AMBER_TOLERANCE_PERCENT):
        return RAG.red
    if forecast < target:
        return RAG.amber
    return RAG.green


def read(row: SavingsInitiative, as_of: date) -> SavingsRead:
    """The initiative with its computed fields, judged on ``as_of`` (the caller's today is
    ``asof.today(session)``: the cut's day when it reads at a cut)."""
    facts: dict[str, Any] = {
        "target": row.target,
        "forecast": row.forecast,
        "delivered": row.delivered,
        "due_date": row.due_date,
        "as_of": as_of,
    }
    reason = late_reason(**facts)
    return SavingsRead.model_validate(
        {
            **row.model_dump(),
            "gap": row.target - row.forecast,
            "late": reason is not None,
            "late_reason": reason,
            "rag": rag(**facts),
        }
    )


# The same rule, in SQL -----------------------------------------------------------------------


def _overdue_sql(as_of: date) -> Any:
    return and_(
        col(SavingsInitiative.due_date).is_not(None),
        col(SavingsInitiative.due_date) < as_of,
        col(SavingsInitiative.delivered) < col(SavingsInitiative.target),
    )


def late_sql(as_of: date) -> Any:
    return or_(_overdue_sql(as_of), col(SavingsInitiative.forecast) < col(SavingsInitiative.target))


def rag_sql(as_of: date) -> Any:
    forecast, target = col(SavingsInitiative.forecast), col(SavingsInitiative.target)
    return case(
        (_overdue_sql(as_of), RAG.red.value),
        (forecast * 100 < target * (100 - AMBER_TOLERANCE_PERCENT), RAG.red.value),
        (forecast < target, RAG.amber.value),
        else_=RAG.green.value,
    )


# Initiatives -----------------------------------------------------------------------------------

SAVINGS_SORTS = {
    "code",
    "title",
    "directorate",
    "financial_year",
    "target",
    "forecast",
    "delivered",
    "due_date",
    "owner",
    "updated_at",
}


def _financial_year_filter(value: str) -> str:
    try:
        return check_financial_year(value)
    except ValueError as exc:
        raise FieldError(str(exc), field="financial_year") from exc


async def list_initiatives(
    *,
    session: AsyncSession,
    page: PageParams,
    programme_id: int | None = None,
    directorate: str | None = None,
    financial_year: str | None = None,
    rag_is: RAG | None = None,
    late: bool | None = None,
    as_of: date | None = None,
) -> Window[SavingsInitiative]:
    day = as_of or asof.today(session)
    statement = select(SavingsInitiative)
    if programme_id is not None:
        statement = statement.where(SavingsInitiative.programme_id == programme_id)
    if directorate:
        statement = statement.where(
            func.lower(SavingsInitiative.directorate) == directorate.lower()
        )
    if financial_year:
        statement = statement.where(
            SavingsInitiative.financial_year == _financial_year_filter(financial_year)
        )
    if rag_is is not None:
        statement = statement.where(rag_sql(day) == rag_is.value)
    if late is not None:
        statement = statement.where(late_sql(day) if late else ~late_sql(day))
    statement = statement.order_by(
        *order_by(SavingsInitiative, page.sort, SAVINGS_SORTS, [SavingsInitiative.code])
    )
    return await window(session, statement, page)


async def find(*, session: AsyncSession, initiative_id: int) -> SavingsInitiative | None:
    return await session.get(SavingsInitiative, initiative_id)


async def get(*, session: AsyncSession, initiative_id: int) -> SavingsInitiative:
    row = await find(session=session, initiative_id=initiative_id)
    if row is None:
        raise NotFound(f"no savings initiative with id {initiative_id}", field="initiative_id")
    return row


async def by_programme(
    *, session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[SavingsInitiative]]:
    """Every programme's initiatives, newest year first then by code: one query for all."""
    rows = (
        await session.exec(
            select(SavingsInitiative)
            .where(col(SavingsInitiative.programme_id).in_(programme_ids))
            .order_by(col(SavingsInitiative.financial_year).desc(), col(SavingsInitiative.code))
        )
    ).all()
    found: dict[int, list[SavingsInitiative]] = group_by(
        rows, lambda row: row.programme_id, keys=programme_ids
    )
    return found


async def _check_code(session: AsyncSession, code: str, initiative_id: int | None = None) -> None:
    existing = (
        await session.exec(select(SavingsInitiative).where(SavingsInitiative.code == code))
    ).first()
    if existing is not None and existing.id != initiative_id:
        raise Conflict(f"a savings initiative with code {code!r} exists", field="code")


async def create(
    *, session: AsyncSession, actor: Principal, data: SavingsCreate
) -> SavingsInitiative:
    programme = await plan.get_named(session=session, programme_id=data.programme_id)
    await _check_code(session, data.code)
    row = SavingsInitiative.model_validate(data)
    if "directorate" not in data.model_fields_set:
        row.directorate = programme.directorate
    session.add(row)
    await session.flush()
    await record(session, actor, "create", row, None)
    return row


NOT_NULL = ("code", "title", "programme_id", "financial_year", "target", "forecast", "delivered")


async def update(
    *,
    session: AsyncSession,
    actor: Principal,
    initiative_id: int,
    data: SavingsUpdate,
    expected_version: int,
) -> SavingsInitiative:
    row = await get(session=session, initiative_id=initiative_id)
    changes = data.model_dump(exclude_unset=True)
    refuse_empty(changes, NOT_NULL)
    if "programme_id" in changes:
        await plan.get_named(session=session, programme_id=changes["programme_id"])
    if "code" in changes:
        await _check_code(session, changes["code"], initiative_id)
    before = audit.snapshot(row)
    await update_versioned(session, row, changes, expected_version=expected_version)
    await record(session, actor, "update", row, before)
    return row


# Totals ----------------------------------------------------------------------------------------


@dataclass
class _Sums:
    label: str
    key: dict[str, Any]
    target: Decimal = ZERO
    forecast: Decimal = ZERO
    delivered: Decimal = ZERO
    count: int = 0
    green: int = 0
    amber: int = 0
    red: int = 0
    late: int = 0

    def add(self, row: Any, as_of: date) -> None:
        facts: dict[str, Any] = {
            "target": row.target,
            "forecast": row.forecast,
            "delivered": row.delivered,
            "due_date": row.due_date,
            "as_of": as_of,
        }
        self.target += row.target
        self.forecast += row.forecast
        self.delivered += row.delivered
        self.count += 1
        colour = rag(**facts)
        self.green += colour is RAG.green
        self.amber += colour is RAG.amber
        self.red += colour is RAG.red
        self.late += late_reason(**facts) is not None

    def total(self) -> SavingsTotal:
        return SavingsTotal(
            **self.key,
            label=self.label,
            target=self.target,
            forecast=self.forecast,
            delivered=self.delivered,
            gap=self.target - self.forecast,
            count=self.count,
            green=self.green,
            amber=self.amber,
            red=self.red,
            late=self.late,
        )


def _label(code: str | None, name: str | None) -> str:
    return " ".join(part for part in (code, name) if part) or "(none)"


def _group(
    row: Any, programme: plan.Programme, aim: plan.Aim | None, group_by: GroupBy
) -> tuple[Any, str, dict[str, Any]]:
    if group_by is GroupBy.programme:
        return (
            row.programme_id,
            _label(programme.code, programme.name),
            {"programme_id": row.programme_id},
        )
    if group_by is GroupBy.directorate:
        return (
            row.directorate,
            row.directorate or "(no directorate)",
            {"directorate": row.directorate},
        )
    if aim is None:
        return None, "(no aim)", {"aim_id": None}
    return aim.id, _label(aim.code, aim.name), {"aim_id": aim.id}


async def totals(
    *,
    session: AsyncSession,
    group_by: GroupBy,
    financial_year: str | None = None,
    programme_id: int | None = None,
    directorate: str | None = None,
    as_of: date | None = None,
) -> SavingsTotals:
    """Target, forecast, delivered, gap and count per group, and a grand total.

    The database returns the rows and Python sums them as ``Decimal``: exact on PostgreSQL and on
    SQLite alike (SQLite would SUM a NUMERIC column as binary floats), and RAG/late counts use
    the one rule in :func:`rag`. Groups are ordered by label, the empty group last.
    """
    day = as_of or asof.today(session)
    statement = select(  # type: ignore[call-overload]
        SavingsInitiative.programme_id,
        SavingsInitiative.directorate,
        SavingsInitiative.target,
        SavingsInitiative.forecast,
        SavingsInitiative.delivered,
        SavingsInitiative.due_date,
    )
    if financial_year:
        statement = statement.where(
            SavingsInitiative.financial_year == _financial_year_filter(financial_year)
        )
    if programme_id is not None:
        statement = statement.where(SavingsInitiative.programme_id == programme_id)
    if directorate:
        statement = statement.where(
            func.lower(SavingsInitiative.directorate) == directorate.lower()
        )
    rows = (await session.exec(statement)).all()
    # The programmes and their aims are the plan's: read through it, two queries in all.
    programmes = await plan.get_many(session=session, ids=sorted({r.programme_id for r in rows}))
    aims = await plan.get_aims(
        session=session, ids=sorted({p.aim_id for p in programmes.values() if p.aim_id})
    )
    groups: dict[Any, _Sums] = {}
    grand = _Sums(label="Total", key={})
    for row in rows:
        programme = programmes[row.programme_id]
        aim = None if programme.aim_id is None else aims.get(programme.aim_id)
        key, label, fields = _group(row, programme, aim, group_by)
        groups.setdefault(key, _Sums(label=label, key=fields)).add(row, day)
        grand.add(row, day)
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[1].label))
    return SavingsTotals(
        group_by=group_by,
        financial_year=financial_year,
        as_of=day,
        groups=[sums.total() for _, sums in ordered],
        total=grand.total(),
    )
