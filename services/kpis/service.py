"""KPIs' domain rules. REST routers and GraphQL resolvers both call these; they flush, never
commit (the caller's transaction decides)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, and_, func, or_, tuple_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import Conflict, FieldError, Forbidden, NotFound
from services.common.pagination import PageParams, order_by, paginate
from services.kpis import periods
from services.kpis.models import AuditEntry, Kpi, Measurement
from services.kpis.permissions import may_push_kpi
from services.kpis.schemas import (
    Colour,
    Direction,
    Frequency,
    KpiCreate,
    KpiUpdate,
    MeasurementCreate,
    PushOutcome,
)


async def _audit(
    session: AsyncSession, actor: Principal, action: str, row: object, before: dict | None
) -> None:
    await audit.record(
        session,
        AuditEntry,
        actor=actor.subject,
        action=action,
        entity=row.__tablename__,  # type: ignore[attr-defined]
        entity_id=row.id,  # type: ignore[attr-defined]
        before=before,
        after=audit.snapshot(row),  # type: ignore[arg-type]
    )


# KPI colour and direction of travel (pure) -------------------------------------------------


def kpi_colour(
    value: float, *, target: float | None, tolerance: float | None, higher_is_better: bool
) -> Colour | None:
    """The council's KPI colour; None when the KPI has no target. No tolerance counts as 0.

    Higher is better: value >= target + tolerance is Blue, >= target Green, >= target -
    tolerance Amber, else Red. Lower is better mirrors it about the target.
    """
    if target is None:
        return None
    band = tolerance or 0.0
    # How far the value is on the good side of the target, whatever the polarity.
    ahead = value - target if higher_is_better else target - value
    # A value exactly on a boundary reaches it, whatever binary floating point makes of the
    # subtraction (0.7 - 0.6 is 0.0999...): allow an error relative to the numbers' size.
    slack = 1e-9 * max(abs(value), abs(target), band)
    if ahead >= band - slack:
        return Colour.blue
    if ahead >= -slack:
        return Colour.green
    if ahead >= -band - slack:
        return Colour.amber
    return Colour.red


def direction_of_travel(
    value: float, previous: float | None, *, higher_is_better: bool
) -> Direction | None:
    """Improving / Worsening / Unchanged against the previous period; None without one."""
    if previous is None:
        return None
    if value == previous:
        return Direction.unchanged
    if (value > previous) == higher_is_better:
        return Direction.improving
    return Direction.worsening


class Rating(Protocol):
    """What colour and direction need of a KPI: a row, or anything shaped like one."""

    @property
    def target(self) -> float | None: ...
    @property
    def tolerance(self) -> float | None: ...
    @property
    def higher_is_better(self) -> bool: ...


@dataclass(frozen=True)
class Assessed:
    """A measurement with what the council reads off it."""

    measurement: Measurement
    current: bool  # the newest revision of its period
    colour: Colour | None
    direction: Direction | None
    previous: Measurement | None  # current value of the nearest earlier period with one


def assess(
    kpi: Rating, measurement: Measurement, previous: Measurement | None, *, current: bool = True
) -> Assessed:
    return Assessed(
        measurement=measurement,
        current=current,
        colour=kpi_colour(
            measurement.value,
            target=kpi.target,
            tolerance=kpi.tolerance,
            higher_is_better=kpi.higher_is_better,
        ),
        direction=direction_of_travel(
            measurement.value,
            None if previous is None else previous.value,
            higher_is_better=kpi.higher_is_better,
        ),
        previous=previous,
    )


def assess_series(kpi: Rating, rows: Sequence[Measurement]) -> list[Assessed]:
    """Every revision of one KPI, newest period first, each against the period before it."""
    current: dict[str, Measurement] = {}
    for row in rows:
        if row.period not in current or row.revision > current[row.period].revision:
            current[row.period] = row
    chronological = sorted(current.values(), key=lambda r: r.period_start)
    before = {
        row.period: chronological[i - 1] if i else None for i, row in enumerate(chronological)
    }
    ordered = sorted(rows, key=lambda r: (r.period_start, r.revision), reverse=True)
    return [
        assess(kpi, row, before[row.period], current=current[row.period] is row) for row in ordered
    ]


# KPIs --------------------------------------------------------------------------------------

KPI_SORTS = {"code", "name", "portfolio_code", "aim_code", "frequency", "updated_at"}
REQUIRED = (
    "name",
    "portfolio_code",
    "aim_code",
    "outcome",
    "unit",
    "higher_is_better",
    "frequency",
)


async def list_kpis(
    *,
    session: AsyncSession,
    page: PageParams,
    portfolio_code: str | None = None,
    aim_code: str | None = None,
    frequency: Frequency | None = None,
) -> tuple[list[Kpi], int]:
    statement = select(Kpi)
    if portfolio_code is not None:
        statement = statement.where(Kpi.portfolio_code == portfolio_code)
    if aim_code is not None:
        statement = statement.where(Kpi.aim_code == aim_code)
    if frequency is not None:
        statement = statement.where(Kpi.frequency == frequency)
    statement = statement.order_by(*order_by(Kpi, page.sort, KPI_SORTS, [Kpi.code]))
    return await paginate(session, statement, page)


async def find_by_code(*, session: AsyncSession, code: str) -> Kpi | None:
    return (await session.exec(select(Kpi).where(Kpi.code == code))).first()


async def get_by_code(*, session: AsyncSession, code: str) -> Kpi:
    kpi = await find_by_code(session=session, code=code)
    if kpi is None:
        raise NotFound(f"no KPI with code {code!r}", field="code")
    return kpi


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Kpi]:
    rows = (await session.exec(select(Kpi).where(col(Kpi.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


async def kpis_for_aims(
    *, session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[Kpi]]:
    """The KPIs of each (portfolio_code, aim_code), in code order."""
    found: dict[tuple[str, str], list[Kpi]] = {key: [] for key in keys}
    if not keys:
        return found
    rows = (
        await session.exec(
            select(Kpi)
            .where(tuple_(Kpi.portfolio_code, Kpi.aim_code).in_(list(keys)))
            .order_by(Kpi.code)
        )
    ).all()
    for row in rows:
        found[(row.portfolio_code, row.aim_code)].append(row)
    return found


async def create(*, session: AsyncSession, actor: Principal, data: KpiCreate) -> Kpi:
    if await find_by_code(session=session, code=data.code) is not None:
        raise Conflict(f"a KPI with code {data.code!r} exists", field="code")
    kpi = Kpi.model_validate(data)
    session.add(kpi)
    await session.flush()
    await _audit(session, actor, "create", kpi, None)
    return kpi


async def update(
    *,
    session: AsyncSession,
    actor: Principal,
    code: str,
    data: KpiUpdate,
    expected_version: int,
) -> Kpi:
    kpi = await get_by_code(session=session, code=code)
    changes = data.model_dump(exclude_unset=True)
    for required in REQUIRED:
        if required in changes and changes[required] is None:
            raise FieldError(f"{required} cannot be empty: every KPI has one", field=required)
    if changes.get("frequency", kpi.frequency) != kpi.frequency:
        has_values = (
            await session.exec(select(Measurement.id).where(Measurement.kpi_id == kpi.id).limit(1))
        ).first()
        if has_values is not None:
            raise Conflict(
                f"{code} has values for {kpi.frequency.value} periods; its frequency cannot change",
                field="frequency",
            )
    before = audit.snapshot(kpi)
    await update_versioned(session, kpi, changes, expected_version=expected_version)
    await _audit(session, actor, "update", kpi, before)
    return kpi


# Measurements ------------------------------------------------------------------------------

PUSH_ATTEMPTS = 5


def check_idempotency_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise FieldError(
            "send an Idempotency-Key header (e.g. a UUID) so a retried push is applied once",
            field="Idempotency-Key",
        )
    key = key.strip()
    if len(key) > 200 or not key.isprintable():
        raise FieldError(
            "the Idempotency-Key must be at most 200 printable characters", field="Idempotency-Key"
        )
    return key


def parse_period(text: str, frequency: Frequency, *, field: str = "period") -> periods.Period:
    try:
        return periods.parse(text, frequency)
    except ValueError as exc:
        raise FieldError(str(exc), field=field) from exc


def parse_up_to(text: str | None, *, field: str = "up_to_period") -> periods.Period | None:
    if text is None:
        return None
    try:
        return periods.parse_any(text)
    except ValueError as exc:
        raise FieldError(str(exc), field=field) from exc


async def push_measurement(
    *,
    session: AsyncSession,
    actor: Principal,
    code: str,
    data: MeasurementCreate,
    idempotency_key: str | None,
) -> tuple[Measurement, PushOutcome]:
    """Take a value a directorate system pushes, applying each distinct push once.

    (a) The same principal, key and body again answers the record it made (replayed); the
    same key with another body is refused. (b) A new key with the current value of the period
    writes nothing (unchanged). (c) A different value is a new revision beside the original
    (restated). (d) The first value of a period is revision 1 (created).
    """
    if not may_push_kpi(actor, code):
        raise Forbidden(f"{actor.subject} may not push values for {code}", field="code")
    key = check_idempotency_key(idempotency_key)
    kpi = await get_by_code(session=session, code=code)
    period = parse_period(data.period, kpi.frequency)

    for _ in range(PUSH_ATTEMPTS):
        # One read finds both this key's earlier push and the period's current revision.
        rows = (
            await session.exec(
                select(Measurement)
                .where(
                    or_(
                        and_(
                            col(Measurement.pushed_by) == actor.subject,
                            col(Measurement.idempotency_key) == key,
                        ),
                        and_(
                            col(Measurement.kpi_id) == kpi.id,
                            col(Measurement.period) == period.text,
                        ),
                    )
                )
                .order_by(col(Measurement.revision).desc())
            )
        ).all()
        earlier = next(
            (r for r in rows if r.pushed_by == actor.subject and r.idempotency_key == key), None
        )
        if earlier is not None:
            same = (earlier.kpi_id, earlier.period, earlier.value, earlier.note) == (
                kpi.id,
                period.text,
                data.value,
                data.note,
            )
            if not same:
                raise FieldError(
                    f"Idempotency-Key {key!r} was used for another push "
                    f"({code} is not the KPI, or the period, value or note differ); "
                    "use a new key for a new push",
                    field="Idempotency-Key",
                )
            return earlier, PushOutcome.replayed
        current = next((r for r in rows if r.kpi_id == kpi.id and r.period == period.text), None)
        if current is not None and current.value == data.value:
            return current, PushOutcome.unchanged

        row = Measurement(
            kpi_id=kpi.id,  # type: ignore[arg-type]
            period=period.text,
            period_start=period.start,
            period_end=period.end,
            value=data.value,
            note=data.note,
            revision=1 if current is None else current.revision + 1,
            pushed_by=actor.subject,
            idempotency_key=key,
        )
        try:
            async with session.begin_nested():  # a SAVEPOINT: losing a race keeps our transaction
                session.add(row)
                await session.flush()
        except IntegrityError:
            continue  # a concurrent push took this revision or this key: read again and decide
        await _audit(session, actor, "create", row, None)
        return row, PushOutcome.created if current is None else PushOutcome.restated

    raise Conflict(f"{code} {period.text} is being pushed concurrently; try again", field="period")


async def list_measurements(
    *, session: AsyncSession, kpi_ids: Sequence[int], period: str | None = None
) -> Sequence[Measurement]:
    """Every revision, newest period first, newest revision first within a period."""
    statement = select(Measurement).where(col(Measurement.kpi_id).in_(kpi_ids))
    if period is not None:
        statement = statement.where(Measurement.period == period)
    statement = statement.order_by(
        col(Measurement.kpi_id),
        col(Measurement.period_start).desc(),
        col(Measurement.revision).desc(),
    )
    return (await session.exec(statement)).all()


async def latest_values(
    *, session: AsyncSession, kpi_ids: Sequence[int], up_to: periods.Period | None = None
) -> dict[int, tuple[Measurement, Measurement | None]]:
    """For each KPI, the current revision of its latest period and of the period before that.

    ``up_to`` keeps to periods that have ended by the end of that period, so a month reaches
    back to the last whole quarter of a quarterly KPI and a financial year to its March.
    """
    revision_rank = func.row_number().over(
        partition_by=(col(Measurement.kpi_id), col(Measurement.period)),
        order_by=col(Measurement.revision).desc(),
    )
    filters: list[ColumnElement[bool]] = [col(Measurement.kpi_id).in_(kpi_ids)]
    if up_to is not None:
        filters.append(col(Measurement.period_end) <= up_to.end)
    current = (
        select(
            col(Measurement.id).label("id"),
            col(Measurement.kpi_id).label("kpi_id"),
            col(Measurement.period_start).label("period_start"),
            revision_rank.label("revision_rank"),
        )
        .where(*filters)
        .subquery()
    )
    period_rank = func.row_number().over(
        partition_by=current.c.kpi_id, order_by=current.c.period_start.desc()
    )
    ranked = (
        select(current.c.id, period_rank.label("period_rank"))
        .where(current.c.revision_rank == 1)
        .subquery()
    )
    rows = (
        await session.exec(
            select(Measurement, ranked.c.period_rank)
            .join(ranked, ranked.c.id == Measurement.id)
            .where(ranked.c.period_rank <= 2)
            .order_by(col(Measurement.kpi_id), ranked.c.period_rank)
        )
    ).all()
    found: dict[int, tuple[Measurement, Measurement | None]] = {}
    for row, rank in rows:
        if rank == 1:
            found[row.kpi_id] = (row, None)
        else:
            found[row.kpi_id] = (found[row.kpi_id][0], row)
    return found


async def latest(
    *, session: AsyncSession, code: str, up_to_period: str | None = None
) -> tuple[Kpi, Assessed | None]:
    kpi = await get_by_code(session=session, code=code)
    up_to = parse_up_to(up_to_period)
    found = await latest_values(session=session, kpi_ids=[kpi.id], up_to=up_to)  # type: ignore[list-item]
    if kpi.id not in found:
        return kpi, None
    measurement, previous = found[kpi.id]  # type: ignore[index]
    return kpi, assess(kpi, measurement, previous)
