"""Reading KPIs over time: values as known on a date, series with XmR signals, composites,
late and missing submissions, and benchmarks beside the council's value."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit, clock
from services.common.auth import Principal
from services.common.errors import FieldError, NotFound
from services.common.grouping import group_by
from services.kpis import periods, service, signals
from services.kpis.models import AuditEntry, Benchmark, Kpi, Measurement
from services.kpis.schemas import (
    BenchmarkRow,
    BenchmarkView,
    Colour,
    Composite,
    Direction,
    Grouping,
    KpiSeries,
    SeriesPoint,
    Signal,
    Submission,
    SubmissionStatus,
    XmR,
)

MAX_CSV_BYTES = 5_000_000


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in the council's time zone."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=clock.COUNCIL_TIMEZONE)


def parse_up_to(text: str | None, *, field: str = "up_to_period") -> periods.Period | None:
    if text is None:
        return None
    try:
        return periods.parse_any(text)
    except ValueError as exc:
        raise FieldError(str(exc), field=field) from exc


# Values ------------------------------------------------------------------------------------


async def list_measurements(
    *,
    session: AsyncSession,
    kpi_ids: Sequence[int],
    period: str | None = None,
    as_of: date | None = None,
) -> Sequence[Measurement]:
    """Every revision (known by ``as_of``), newest period first, newest revision first."""
    statement = select(Measurement).where(col(Measurement.kpi_id).in_(kpi_ids))
    if period is not None:
        statement = statement.where(Measurement.period == period)
    if as_of is not None:
        statement = statement.where(
            col(Measurement.received_at) < end_of_day(as_of),
            col(Measurement.period_end) <= as_of,
        )
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
) -> tuple[Kpi, service.Assessed | None]:
    kpi = await service.get_by_code(session=session, code=code)
    up_to = parse_up_to(up_to_period)
    found = await latest_values(session=session, kpi_ids=[kpi.id], up_to=up_to)  # type: ignore[list-item]
    if kpi.id not in found:
        return kpi, None
    measurement, previous = found[kpi.id]  # type: ignore[index]
    standards = (await service.standards_for(session=session, kpis=[kpi]))[kpi.id]  # type: ignore[index]
    return kpi, service.assess(standards, measurement, previous)


# Series and signals ------------------------------------------------------------------------


def series_of(kpi: Kpi, standards: service.Standards, rows: Sequence[Measurement]) -> KpiSeries:
    chronological = service.current_rows(rows)
    values = [r.value for r in chronological]
    points = []
    for i, row in enumerate(chronological):
        target, tolerance = standards.for_period(row.period_start)
        points.append(
            SeriesPoint(
                period=row.period,
                period_start=row.period_start,
                value=row.value,
                revision=row.revision,
                target=target,
                tolerance=tolerance,
                colour=standards.colour(row.value, row.period_start),
                direction=service.direction_of_travel(
                    row.value,
                    chronological[i - 1].value if i else None,
                    higher_is_better=kpi.higher_is_better,
                ),
            )
        )
    limits = signals.xmr_limits(values)
    return KpiSeries(
        kpi_code=kpi.code,
        points=points,
        improving_for=signals.improving_for(values, higher_is_better=kpi.higher_is_better),
        xmr=None
        if limits is None
        else XmR(
            mean=limits.mean,
            upper_limit=limits.upper,
            lower_limit=limits.lower,
            moving_range_mean=limits.moving_range_mean,
            points=limits.points,
        ),
        signals=[
            Signal(rule=f.rule, period=chronological[f.index].period, detail=f.detail)
            for f in signals.xmr_signals(values, limits)
        ],
    )


def ended_by(rows: Sequence[Measurement], up_to: periods.Period | None) -> list[Measurement]:
    """The values of periods ended by the end of ``up_to`` (all, without one): a month's series,
    limits and signals know nothing of later values."""
    return [r for r in rows if up_to is None or r.period_end <= up_to.end]


async def series(
    *,
    session: AsyncSession,
    code: str,
    as_of: date | None = None,
    up_to_period: str | None = None,
) -> KpiSeries:
    kpi = await service.get_by_code(session=session, code=code)
    up_to = parse_up_to(up_to_period)
    rows = await list_measurements(session=session, kpi_ids=[kpi.id], as_of=as_of)  # type: ignore[list-item]
    standards = (await service.standards_for(session=session, kpis=[kpi]))[kpi.id]  # type: ignore[index]
    return series_of(kpi, standards, ended_by(rows, up_to))


# Composites --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    kpi: Kpi
    colour: Colour | None
    direction: Direction | None
    has_data: bool


async def statuses(
    *,
    session: AsyncSession,
    as_of: date,
    portfolio_code: str | None = None,
    up_to: periods.Period | None = None,
) -> list[Status]:
    """Each KPI's colour and direction from the values known at the end of ``as_of``; or, with
    ``up_to``, from its latest period ended by the end of that period (the value
    ``latest(upToPeriod:)`` answers, so a month's scorecard and its composites agree)."""
    kpis = await service.all_kpis(session=session, portfolio_code=portfolio_code)
    standards = await service.standards_for(session=session, kpis=kpis)
    if up_to is not None:
        latest_found = await latest_values(
            session=session,
            kpi_ids=[k.id for k in kpis],  # type: ignore[misc]
            up_to=up_to,
        )
        found = []
        for kpi in kpis:
            if kpi.id not in latest_found:
                found.append(Status(kpi, None, None, False))
                continue
            measurement, previous = latest_found[kpi.id]  # type: ignore[index]
            assessed = service.assess(standards[kpi.id], measurement, previous)  # type: ignore[index]
            found.append(Status(kpi, assessed.colour, assessed.direction, True))
        return found
    rows = await list_measurements(
        session=session,
        kpi_ids=[k.id for k in kpis],  # type: ignore[misc]
        as_of=as_of,
    )
    by_kpi = group_by(rows, lambda row: row.kpi_id, keys=[k.id for k in kpis if k.id])
    found = []
    for kpi in kpis:
        chronological = service.current_rows(by_kpi[kpi.id])  # type: ignore[index]
        if not chronological:
            found.append(Status(kpi, None, None, False))
            continue
        last = chronological[-1]
        previous = chronological[-2] if len(chronological) > 1 else None
        assessed = service.assess(standards[kpi.id], last, previous)  # type: ignore[index]
        found.append(Status(kpi, assessed.colour, assessed.direction, True))
    return found


def _groups(status: Status, grouping: Grouping) -> list[str]:
    kpi = status.kpi
    if grouping is Grouping.aim:
        return [kpi.aim_code]
    if grouping is Grouping.outcome:
        return [kpi.outcome]
    if grouping is Grouping.directorate:
        return [kpi.directorate or "(no directorate)"]
    if grouping is Grouping.corporate:
        return ["corporate"] if kpi.corporate else []
    return [kpi.directorate or "(no directorate)"] if kpi.vital_sign else []


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def composites_of(found: Sequence[Status], grouping: Grouping) -> list[Composite]:
    """% on target (Blue or Green) and % improving, of the KPIs with a value, per group."""
    groups: dict[str, list[Status]] = defaultdict(list)
    for status in found:
        for group in _groups(status, grouping):
            groups[group].append(status)
    out = []
    for group in sorted(groups):
        members = groups[group]
        with_data = sum(1 for s in members if s.has_data)
        on_target = sum(1 for s in members if s.colour in (Colour.blue, Colour.green))
        improving = sum(1 for s in members if s.direction is Direction.improving)
        out.append(
            Composite(
                grouping=grouping,
                group=group,
                kpis=len(members),
                with_data=with_data,
                on_target=on_target,
                improving=improving,
                on_target_percent=_percent(on_target, with_data),
                improving_percent=_percent(improving, with_data),
            )
        )
    return out


async def composites(
    *,
    session: AsyncSession,
    grouping: Grouping,
    as_of: date | None,
    portfolio_code: str | None = None,
    up_to_period: str | None = None,
    up_to_field: str = "up_to_period",
) -> list[Composite]:
    """Composites as of a day (values received by its end), or up to a period (each KPI's
    latest value for a period ended by then): one or the other, since they answer different
    questions."""
    up_to = parse_up_to(up_to_period, field=up_to_field)
    if up_to is not None and as_of is not None:
        raise FieldError(
            "give a day (as of) or a period (up to), not both: up to a period reads each KPI's "
            "latest value for a period ended by then",
            field=up_to_field,
        )
    found = await statuses(
        session=session,
        as_of=as_of or clock.today(),
        portfolio_code=portfolio_code,
        up_to=up_to,
    )
    return composites_of(found, grouping)


# Late and missing submissions --------------------------------------------------------------


def due_date(kpi: Kpi, period: periods.Period) -> date:
    return period.end + timedelta(days=kpi.due_days)


async def submissions(
    *,
    session: AsyncSession,
    as_of: date,
    status: SubmissionStatus | None = None,
    code: str | None = None,
) -> list[Submission]:
    """Every period due by ``as_of`` of every KPI with a schedule, with whether it came in."""
    kpis = (
        [await service.get_by_code(session=session, code=code)]
        if code is not None
        else await service.all_kpis(session=session)
    )
    kpis = [k for k in kpis if k.reporting_from is not None]
    first = (
        await session.exec(
            select(Measurement.kpi_id, Measurement.period, func.min(Measurement.received_at))
            .where(col(Measurement.kpi_id).in_([k.id for k in kpis]))
            .group_by(col(Measurement.kpi_id), col(Measurement.period))
        )
    ).all()
    received = {(kpi_id, period): at for kpi_id, period, at in first}
    out = []
    for kpi in kpis:
        for period in periods.between(kpi.reporting_from, as_of, kpi.frequency):  # type: ignore[arg-type]
            due = due_date(kpi, period)
            if due > as_of:
                break
            at = received.get((kpi.id, period.text))  # type: ignore[arg-type]
            if at is not None and at >= end_of_day(as_of):
                at = None  # not yet received on the date asked about
            if at is None:
                found = SubmissionStatus.missing
            elif at >= end_of_day(due):
                found = SubmissionStatus.late
            else:
                found = SubmissionStatus.on_time
            if status is None or status is found:
                out.append(
                    Submission(
                        kpi_code=kpi.code,
                        period=period.text,
                        due=due,
                        status=found,
                        received_at=at,
                    )
                )
    return out


# Benchmarks --------------------------------------------------------------------------------

BENCHMARK_COLUMNS = ("kpi_code", "period", "comparator_group", "authority", "value")


async def import_benchmarks(*, session: AsyncSession, actor: Principal, content: bytes) -> int:
    """Comparator values from CSV (header: kpi_code, period, comparator_group, authority,
    value), all-or-nothing; a row for a (KPI, period, group, authority) already held replaces
    it. Every bad row is reported as ``rows[i].<column>`` (i counts data rows from 0)."""
    if len(content) > MAX_CSV_BYTES:
        raise FieldError(f"the file is over {MAX_CSV_BYTES:,} bytes", field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FieldError("the file is not UTF-8 text", field="file") from exc
    if "\x00" in text:
        raise FieldError("the file holds NUL characters", field="file")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in BENCHMARK_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise FieldError(f"the header lacks {', '.join(missing)}", field="file")
    raw = list(reader)
    if not raw:
        raise FieldError("the file has no data rows", field="file")
    kpis = await service.get_by_codes(session=session, codes=[r["kpi_code"] for r in raw])
    errors = []
    rows: dict[tuple[int, str, str, str], float] = {}
    for i, r in enumerate(raw):
        kpi = kpis.get(r["kpi_code"] or "")
        if kpi is None:
            errors.append({"field": f"rows[{i}].kpi_code", "message": "no such KPI"})
            continue
        try:
            period = periods.parse((r["period"] or "").strip(), kpi.frequency).text
        except ValueError as exc:
            errors.append({"field": f"rows[{i}].period", "message": str(exc)})
            continue
        group, authority = (r["comparator_group"] or "").strip(), (r["authority"] or "").strip()
        if not group or not authority or len(group) > 100 or len(authority) > 200:
            errors.append(
                {"field": f"rows[{i}].authority", "message": "group and authority are needed"}
            )
            continue
        try:
            value = float(r["value"] or "")
        except ValueError:
            errors.append({"field": f"rows[{i}].value", "message": "not a number"})
            continue
        why = service.check_value(kpi.unit, value)
        if why is not None or value != value:
            errors.append({"field": f"rows[{i}].value", "message": why or "not a number"})
            continue
        rows[(kpi.id, period, group, authority)] = value  # type: ignore[index]
    if errors:
        raise FieldError(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
    # Through the session, not a bulk DELETE: the replaced rows' versions must close (as-of).
    replaced = (
        await session.exec(
            select(Benchmark).where(
                tuple_(
                    col(Benchmark.kpi_id),
                    col(Benchmark.period),
                    col(Benchmark.comparator_group),
                    col(Benchmark.authority),
                ).in_(list(rows))
            )
        )
    ).all()
    for old in replaced:
        await session.delete(old)
    await session.flush()  # before the inserts that take their keys
    created = [
        Benchmark(kpi_id=k, period=p, comparator_group=g, authority=a, value=v)
        for (k, p, g, a), v in rows.items()
    ]
    session.add_all(created)
    await session.flush()
    await audit.record_many(
        session,
        AuditEntry,
        actor=actor.subject,
        entries=[
            {
                "action": "create",
                "entity": "benchmark",
                "entity_id": b.id,
                "before": None,
                "after": audit.snapshot(b),
            }
            for b in created
        ],
    )
    return len(created)


def rank_of(value: float, others: Sequence[float], *, higher_is_better: bool) -> int:
    better = sum(1 for o in others if (o > value if higher_is_better else o < value))
    return better + 1


def benchmark_views(
    kpi: Kpi,
    rows: Sequence[Benchmark],
    own: Sequence[Measurement],
    period: str | None = None,
    up_to: periods.Period | None = None,
) -> list[BenchmarkView]:
    """Each comparator group's values for ``period`` (default: the latest benchmarked, of the
    periods ended by the end of ``up_to`` when given), best first, with the council's current
    value for it and its rank among them."""
    if up_to is not None:
        rows = [b for b in rows if periods.parse(b.period, kpi.frequency).end <= up_to.end]
    if not rows:
        return []
    if period is None:
        period = max(rows, key=lambda b: periods.parse(b.period, kpi.frequency).start).period
    rows = [b for b in rows if b.period == period]
    mine = [m for m in own if m.period == period]
    council = max(mine, key=lambda m: m.revision).value if mine else None
    views = []
    for group in sorted({b.comparator_group for b in rows}):
        members = sorted(
            (b for b in rows if b.comparator_group == group),
            key=lambda b: -b.value if kpi.higher_is_better else b.value,
        )
        values = [b.value for b in members]
        views.append(
            BenchmarkView(
                kpi_code=kpi.code,
                period=period,
                comparator_group=group,
                council_value=council,
                council_rank=None
                if council is None
                else rank_of(council, values, higher_is_better=kpi.higher_is_better),
                of=len(values) + 1,
                comparators=[
                    BenchmarkRow(comparator_group=group, authority=b.authority, value=b.value)
                    for b in members
                ],
            )
        )
    return views


async def benchmarks_for(
    *, session: AsyncSession, kpi_ids: Sequence[int]
) -> dict[int, list[Benchmark]]:
    rows = (
        await session.exec(select(Benchmark).where(col(Benchmark.kpi_id).in_(list(kpi_ids))))
    ).all()
    return group_by(rows, lambda row: row.kpi_id, keys=kpi_ids)


async def benchmarks(
    *,
    session: AsyncSession,
    code: str,
    period: str | None = None,
    up_to_period: str | None = None,
) -> list[BenchmarkView]:
    kpi = await service.get_by_code(session=session, code=code)
    up_to = parse_up_to(up_to_period)
    if period is not None:
        try:
            period = periods.parse(period, kpi.frequency).text
        except ValueError as exc:
            raise FieldError(str(exc), field="period") from exc
    rows = (await benchmarks_for(session=session, kpi_ids=[kpi.id]))[kpi.id]  # type: ignore[list-item,index]
    if period is not None and not any(b.period == period for b in rows):
        raise NotFound(f"no benchmarks for {code} {period}", field="period")
    own = await list_measurements(session=session, kpi_ids=[kpi.id], period=period)  # type: ignore[list-item]
    return benchmark_views(kpi, rows, own, period, up_to)
