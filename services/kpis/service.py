"""KPIs' domain rules: KPIs, their targets by financial year, and how they are rated. REST
routers and GraphQL resolvers both call these; they flush, never commit (the caller's
transaction decides). Pushes live in push.py, readings over time in insight.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import Conflict, FieldError, NotFound, PreconditionRequired
from services.common.grouping import group_by
from services.common.pagination import PageParams, Window, order_by, window
from services.common.updates import refuse_empty
from services.kpis import periods
from services.kpis.models import AuditEntry, Kpi, KpiTarget, Measurement, PushClient
from services.kpis.schemas import (
    Colour,
    Direction,
    Frequency,
    KpiAssessment,
    KpiCreate,
    KpiRead,
    KpiUpdate,
    MeasurementRead,
    PushClientRead,
    TargetRead,
    TargetSet,
    Unit,
)

_audit = audit.Recorder(AuditEntry)


# Colour and direction of travel (pure) -----------------------------------------------------


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


@dataclass(frozen=True)
class Standards:
    """A KPI's targets: one per financial year where set, else the KPI's own."""

    target: float | None
    tolerance: float | None
    higher_is_better: bool
    by_year: dict[str, tuple[float, float]] = field(default_factory=dict)

    def for_period(self, start: date) -> tuple[float | None, float | None]:
        year = periods.financial_year_text(periods.financial_year_of(start))
        return self.by_year.get(year, (self.target, self.tolerance))

    def colour(self, value: float, start: date) -> Colour | None:
        target, tolerance = self.for_period(start)
        return kpi_colour(
            value, target=target, tolerance=tolerance, higher_is_better=self.higher_is_better
        )


def standards_of(kpi: Kpi, targets: Sequence[KpiTarget] = ()) -> Standards:
    return Standards(
        target=kpi.target,
        tolerance=kpi.tolerance,
        higher_is_better=kpi.higher_is_better,
        by_year={t.financial_year: (t.target, t.tolerance) for t in targets},
    )


@dataclass(frozen=True)
class Assessed:
    """A measurement with what the council reads off it."""

    measurement: Measurement
    current: bool  # the newest revision of its period
    colour: Colour | None
    direction: Direction | None
    previous: Measurement | None  # current value of the nearest earlier period with one
    target: float | None
    tolerance: float | None


def assess(
    standards: Standards,
    measurement: Measurement,
    previous: Measurement | None,
    *,
    current: bool = True,
) -> Assessed:
    target, tolerance = standards.for_period(measurement.period_start)
    return Assessed(
        measurement=measurement,
        current=current,
        colour=standards.colour(measurement.value, measurement.period_start),
        direction=direction_of_travel(
            measurement.value,
            None if previous is None else previous.value,
            higher_is_better=standards.higher_is_better,
        ),
        previous=previous,
        target=target,
        tolerance=tolerance,
    )


def current_rows(rows: Sequence[Measurement]) -> list[Measurement]:
    """The newest revision of each period, oldest period first."""
    current: dict[str, Measurement] = {}
    for row in rows:
        if row.period not in current or row.revision > current[row.period].revision:
            current[row.period] = row
    return sorted(current.values(), key=lambda r: r.period_start)


def assess_series(standards: Standards, rows: Sequence[Measurement]) -> list[Assessed]:
    """Every revision of one KPI, newest period first, each against the period before it."""
    chronological = current_rows(rows)
    latest = {row.period: row for row in chronological}
    before = {
        row.period: chronological[i - 1] if i else None for i, row in enumerate(chronological)
    }
    ordered = sorted(rows, key=lambda r: (r.period_start, r.revision), reverse=True)
    return [
        assess(standards, row, before[row.period], current=latest[row.period] is row)
        for row in ordered
    ]


# Values a KPI can hold (pure) --------------------------------------------------------------

SANE: dict[Unit, tuple[float | None, float | None, str]] = {
    Unit.percent: (0.0, 100.0, "a percentage is between 0 and 100"),
    Unit.number: (0.0, None, "a count cannot be negative"),
    Unit.days: (0.0, None, "a number of days cannot be negative"),
    Unit.rate_per_1000: (0.0, 1000.0, "a rate per 1,000 is between 0 and 1,000"),
    Unit.pounds: (-1e13, 1e13, "a sum of money is within ±£10 trillion"),
    Unit.score: (-1e6, 1e6, "a score is within ±1,000,000"),
}


def check_value(unit: Unit, value: float) -> str | None:
    """Why ``value`` cannot be a value of a KPI in ``unit``, or None when it can."""
    low, high, rule = SANE[unit]
    if (low is not None and value < low) or (high is not None and value > high):
        return f"{value:g} is not a sane value: {rule}"
    return None


def check_period(text: str, frequency: Frequency, today: date) -> periods.Period | str:
    """The period, or why it cannot take a value today (wrong format, or not begun)."""
    try:
        period = periods.parse(text, frequency)
    except ValueError as exc:
        return str(exc)
    if period.start > today:
        return f"{text} has not begun (today is {today.isoformat()}): no value can be pushed yet"
    return period


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
    "corporate",
    "vital_sign",
    "due_days",
    "demo",
)


async def list_kpis(
    *,
    session: AsyncSession,
    page: PageParams,
    portfolio_code: str | None = None,
    aim_code: str | None = None,
    frequency: Frequency | None = None,
    programme_code: str | None = None,
    directorate: str | None = None,
) -> Window[Kpi]:
    """A page of KPIs, uncounted: REST counts it (``counted``), GraphQL only when a client
    asks for ``totalCount``."""
    statement = kpis_statement(
        sort=page.sort,
        portfolio_code=portfolio_code,
        aim_code=aim_code,
        frequency=frequency,
        programme_code=programme_code,
        directorate=directorate,
    )
    return await window(session, statement, page)


def kpis_statement(
    *,
    sort: str | None = None,
    portfolio_code: str | None = None,
    aim_code: str | None = None,
    frequency: Frequency | None = None,
    programme_code: str | None = None,
    directorate: str | None = None,
) -> Any:
    """KPIs filtered and ordered."""
    statement = select(Kpi)
    if portfolio_code is not None:
        statement = statement.where(Kpi.portfolio_code == portfolio_code)
    if aim_code is not None:
        statement = statement.where(Kpi.aim_code == aim_code)
    if frequency is not None:
        statement = statement.where(Kpi.frequency == frequency)
    if programme_code is not None:
        statement = statement.where(Kpi.programme_code == programme_code)
    if directorate is not None:
        statement = statement.where(Kpi.directorate == directorate)
    return statement.order_by(*order_by(Kpi, sort, KPI_SORTS, [Kpi.code]))


async def all_kpis(*, session: AsyncSession, portfolio_code: str | None = None) -> list[Kpi]:
    statement = select(Kpi).order_by(Kpi.code)
    if portfolio_code is not None:
        statement = statement.where(Kpi.portfolio_code == portfolio_code)
    return list((await session.exec(statement)).all())


async def find_by_code(*, session: AsyncSession, code: str) -> Kpi | None:
    return (await session.exec(select(Kpi).where(Kpi.code == code))).first()


async def get_by_code(*, session: AsyncSession, code: str) -> Kpi:
    kpi = await find_by_code(session=session, code=code)
    if kpi is None:
        raise NotFound(f"no KPI with code {code!r}", field="code")
    return kpi


async def get_by_codes(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, Kpi]:
    rows = (await session.exec(select(Kpi).where(col(Kpi.code).in_(set(codes))))).all()
    return {row.code: row for row in rows}


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Kpi]:
    rows = (await session.exec(select(Kpi).where(col(Kpi.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


async def kpis_for_programmes(
    *, session: AsyncSession, codes: Sequence[str]
) -> dict[str, list[Kpi]]:
    """The KPIs each programme owns, in code order."""
    rows = (
        await session.exec(
            select(Kpi).where(col(Kpi.programme_code).in_(list(codes))).order_by(Kpi.code)
        )
    ).all()
    return group_by(rows, lambda row: row.programme_code or "", keys=codes)


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
    refuse_empty(changes, REQUIRED, why="every KPI has one")
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


# Targets by financial year -----------------------------------------------------------------


async def targets_for(
    *, session: AsyncSession, kpi_ids: Sequence[int]
) -> dict[int, list[KpiTarget]]:
    rows = (
        await session.exec(
            select(KpiTarget)
            .where(col(KpiTarget.kpi_id).in_(list(kpi_ids)))
            .order_by(col(KpiTarget.starts_on))
        )
    ).all()
    return group_by(rows, lambda row: row.kpi_id, keys=kpi_ids)


async def standards_for(*, session: AsyncSession, kpis: Sequence[Kpi]) -> dict[int, Standards]:
    targets = await targets_for(session=session, kpi_ids=[k.id for k in kpis])  # type: ignore[misc]
    return {k.id: standards_of(k, targets[k.id]) for k in kpis}  # type: ignore[index,misc]


def parse_financial_year(text: str, *, field: str = "financial_year") -> periods.Period:
    try:
        return periods.parse(text, Frequency.annual)
    except ValueError as exc:
        raise FieldError(str(exc), field=field) from exc


async def set_target(
    *,
    session: AsyncSession,
    actor: Principal,
    code: str,
    data: TargetSet,
    expected_version: int | None,
) -> KpiTarget:
    """Set one financial year's target. Replacing an existing year's needs its ETag, so two
    people changing the same year's target cannot both win."""
    kpi = await get_by_code(session=session, code=code)
    year = parse_financial_year(data.financial_year)
    existing = (
        await session.exec(
            select(KpiTarget).where(
                KpiTarget.kpi_id == kpi.id, KpiTarget.financial_year == year.text
            )
        )
    ).first()
    if existing is None:
        row = KpiTarget(
            kpi_id=kpi.id,  # type: ignore[arg-type]
            financial_year=year.text,
            starts_on=year.start,
            target=data.target,
            tolerance=data.tolerance,
        )
        session.add(row)
        await session.flush()
        await _audit(session, actor, "create", row, None)
        return row
    if expected_version is None:
        raise PreconditionRequired(
            f"{code} has a {year.text} target: send If-Match with its ETag to replace it",
            field="If-Match",
        )
    before = audit.snapshot(existing)
    await update_versioned(
        session,
        existing,
        {"target": data.target, "tolerance": data.tolerance},
        expected_version=expected_version,
    )
    await _audit(session, actor, "update", existing, before)
    return existing


# Read models: rows as REST shows them, built here rather than in each router ---------------


def kpi_read(row: Kpi) -> KpiRead:
    return KpiRead.model_validate(row, from_attributes=True)


def target_read(row: KpiTarget) -> TargetRead:
    return TargetRead.model_validate(row, from_attributes=True)


def measurement_read(row: object) -> MeasurementRead:
    """A ``Measurement`` row, or a push's lighter ``push.Value``, as REST shows it."""
    return MeasurementRead.model_validate(row, from_attributes=True)


def client_read(row: PushClient) -> PushClientRead:
    return PushClientRead.model_validate(row, from_attributes=True)


def assessment_read(
    kpi: Kpi, assessed: Assessed | None, *, up_to_period: str | None
) -> KpiAssessment:
    """A KPI's latest value (``assessed``, None when it has none) with its colour and
    direction against the value before."""
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
        measurement=measurement_read(assessed.measurement),
        colour=assessed.colour,
        direction=assessed.direction,
        previous=None if previous is None else measurement_read(previous),
    )
