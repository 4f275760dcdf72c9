"""The KPIs subgraph: resolvers as thin as the routers, ORM rows kept out of the types, and a
DataLoader for every per-KPI lookup (values, targets, benchmarks).

Besides its own ``Kpi`` entity it contributes ``Programme.kpis``: the KPIs the programme owns.
The gateway fetches the programme's ``code`` from the programmes subgraph (@requires) and sends
it here in the entity representation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Annotated

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.tools import merge_types
from strawberry.types import Info

from services.common import asof
from services.common.graphql import (
    Context,
    Page,
    federated_schema,
    graphql_enum,
    page,
    parse_id,
)
from services.common.grouping import group_by
from services.common.pagination import window_of
from services.kpis import insight, models, periods, schemas, service
from services.kpis.asof import history
from services.kpis.schemas import (
    Colour,
    Direction,
    Frequency,
    Grouping,
    SignalRule,
    SubmissionStatus,
    Unit,
)

Ctx = Info[Context, None]


graphql_enum(
    Unit,
    name="Unit",
    description="What a KPI's values count (unitLabel prints it)",
    names={Unit.number: "COUNT"},  # as unitLabel prints it ("count")
)
graphql_enum(Frequency, description="How often a KPI is measured")
graphql_enum(
    Colour,
    description="The council's KPI colour: Blue beyond target by more than the tolerance, "
    "Green on target, Amber short of it within the tolerance, Red beyond the tolerance",
)
graphql_enum(Direction, description="Direction of travel against the previous period")
graphql_enum(SignalRule, description="The XmR chart rule that fired")
graphql_enum(Grouping, description="What composites are grouped by")
graphql_enum(SubmissionStatus, description="Whether a period's value came in when due")


@strawberry.type(description="A KPI value for one period; restatements are further revisions")
class Measurement:
    id: strawberry.ID = strawberry.field(description="the value's id")
    period: str = strawberry.field(description="2024-07, 2024/25 Q1, 2024/25 or 2024")
    period_start: date = strawberry.field(description="first day of the period")
    period_end: date = strawberry.field(description="last day of the period")
    value: float = strawberry.field(description="the value, in the KPI's unit")
    revision: int = strawberry.field(description="1 is the original; 2 and on restate it")
    current: bool = strawberry.field(description="the newest revision of its period")
    note: str | None = strawberry.field(description="what the pushing system said of it")
    reason: str | None = strawberry.field(description="why a restatement changed the value")
    pushed_by: str = strawberry.field(description="the client or person that pushed it")
    received_at: datetime = strawberry.field(description="when the service received it")
    colour: Colour | None = strawberry.field(
        description="against the target of the period's financial year; null without target"
    )
    direction: Direction | None = strawberry.field(
        description="against the previous period's current value"
    )
    previous_period: str | None = strawberry.field(
        description="the earlier period the direction is measured against"
    )
    target: float | None = strawberry.field(description="the target it was rated against")

    @classmethod
    def from_assessed(cls, assessed: service.Assessed) -> Measurement:
        row = assessed.measurement
        return cls(
            id=strawberry.ID(str(row.id)),
            period=row.period,
            period_start=row.period_start,
            period_end=row.period_end,
            value=row.value,
            revision=row.revision,
            current=assessed.current,
            note=row.note,
            reason=row.reason,
            pushed_by=row.pushed_by,
            received_at=row.received_at,
            colour=assessed.colour,
            direction=assessed.direction,
            previous_period=None if assessed.previous is None else assessed.previous.period,
            target=assessed.target,
        )


@strawberry.type(description="A KPI's target and tolerance for one financial year")
class Target:
    financial_year: str = strawberry.field(description="e.g. 2024/25 (April to March)")
    target: float = strawberry.field(description="in the KPI's unit")
    tolerance: float = strawberry.field(description="in the KPI's unit: the Amber band")
    version: int = strawberry.field(description="the ETag to send when replacing it")


@strawberry.type(description="One period of a KPI's series: its current value, rated")
class SeriesPoint:
    period: str = strawberry.field(description="the period")
    value: float = strawberry.field(description="its current value")
    revision: int = strawberry.field(description="the current revision")
    target: float | None = strawberry.field(description="the period's target")
    colour: Colour | None = strawberry.field(description="colour against that target")
    direction: Direction | None = strawberry.field(description="against the period before")


@strawberry.type(description="An XmR chart signal, labelled with the rule that fired")
class Signal:
    rule: SignalRule = strawberry.field(description="the rule")
    period: str = strawberry.field(description="where it fired (a run's last point)")
    detail: str = strawberry.field(description="what the rule saw")


@strawberry.type(description="Natural process limits of an XmR (individuals) chart")
class ControlLimits:
    mean: float = strawberry.field(description="centre line")
    upper_limit: float = strawberry.field(description="mean + 2.66 x mean moving range")
    lower_limit: float = strawberry.field(description="mean - 2.66 x mean moving range")
    points: int = strawberry.field(description="how many points the limits are computed from")


@strawberry.type(description="A KPI's current values over time, with what they signal")
class Series:
    points: list[SeriesPoint] = strawberry.field(description="oldest period first")
    improving_for: int = strawberry.field(
        description="consecutive periods improving, up to the latest"
    )
    limits: ControlLimits | None = strawberry.field(
        description="XmR limits; null until there are 10 points"
    )
    signals: list[Signal] = strawberry.field(description="every signal, oldest first")

    @classmethod
    def from_schema(cls, s: schemas.KpiSeries) -> Series:
        return cls(
            points=[
                SeriesPoint(
                    period=p.period,
                    value=p.value,
                    revision=p.revision,
                    target=p.target,
                    colour=p.colour,
                    direction=p.direction,
                )
                for p in s.points
            ],
            improving_for=s.improving_for,
            limits=None
            if s.xmr is None
            else ControlLimits(
                mean=s.xmr.mean,
                upper_limit=s.xmr.upper_limit,
                lower_limit=s.xmr.lower_limit,
                points=s.xmr.points,
            ),
            signals=[Signal(rule=g.rule, period=g.period, detail=g.detail) for g in s.signals],
        )


@strawberry.type(description="A comparator authority's value")
class Comparator:
    authority: str = strawberry.field(description="the authority")
    value: float = strawberry.field(description="its value for the period")


@strawberry.type(description="A comparator group's values beside the council's, ranked")
class Benchmark:
    comparator_group: str = strawberry.field(
        description="e.g. LG Inform comparator group, CIPFA nearest neighbours"
    )
    period: str = strawberry.field(description="the period compared")
    council_value: float | None = strawberry.field(description="the council's current value")
    council_rank: int | None = strawberry.field(description="1 is best, polarity respected")
    of: int = strawberry.field(description="authorities ranked, the council included")
    comparators: list[Comparator] = strawberry.field(description="best first")


@strawberry.type(description="% on target and % improving of a group of KPIs")
class Composite:
    grouping: Grouping = strawberry.field(description="what the group is")
    group: str = strawberry.field(description="the aim, outcome or directorate")
    kpi_count: int = strawberry.field(description="KPIs in the group")
    with_data: int = strawberry.field(description="of which have a value")
    on_target: int = strawberry.field(description="Blue or Green")
    improving: int = strawberry.field(description="improving on the period before")
    on_target_percent: float | None = strawberry.field(description="of those with a value")
    improving_percent: float | None = strawberry.field(description="of those with a value")

    @classmethod
    def from_schema(cls, c: schemas.Composite) -> Composite:
        return cls(
            grouping=c.grouping,
            group=c.group,
            kpi_count=c.kpis,
            with_data=c.with_data,
            on_target=c.on_target,
            improving=c.improving,
            on_target_percent=c.on_target_percent,
            improving_percent=c.improving_percent,
        )


@strawberry.type(description="A period due from a KPI's source, and whether it came in")
class Submission:
    kpi_code: str = strawberry.field(description="the KPI")
    period: str = strawberry.field(description="the period due")
    due: date = strawberry.field(description="the day its value was due")
    status: SubmissionStatus = strawberry.field(description="on time, late or missing")
    received_at: datetime | None = strawberry.field(description="when the first value came")


# DataLoaders -------------------------------------------------------------------------------


async def _load_kpis(session: AsyncSession, ids: Sequence[int]) -> dict[int, models.Kpi]:
    return await service.get_many(session=session, ids=ids)


async def _load_measurements(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[models.Measurement]]:
    rows = await insight.list_measurements(session=session, kpi_ids=ids)
    return group_by(rows, lambda row: row.kpi_id, keys=ids)


async def _load_targets(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[models.KpiTarget]]:
    return await service.targets_for(session=session, kpi_ids=ids)


async def _load_benchmarks(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[models.Benchmark]]:
    return await insight.benchmarks_for(session=session, kpi_ids=ids)


def _latest_loader(
    up_to: periods.Period | None,
) -> Callable[
    [AsyncSession, Sequence[int]],
    Awaitable[dict[int, tuple[models.Measurement, models.Measurement | None]]],
]:
    async def load(
        session: AsyncSession, ids: Sequence[int]
    ) -> dict[int, tuple[models.Measurement, models.Measurement | None]]:
        return await insight.latest_values(session=session, kpi_ids=ids, up_to=up_to)

    return load


async def _load_owned(session: AsyncSession, codes: Sequence[str]) -> dict[str, list[models.Kpi]]:
    return await service.kpis_for_programmes(session=session, codes=codes)


@strawberry.federation.type(keys=["id"], description="A key performance indicator of a plan")
class Kpi:
    id: strawberry.ID = strawberry.field(description="the KPI's id")
    code: str = strawberry.field(description="e.g. KPI-08; stable, machine clients use it")
    name: str = strawberry.field(description="the measure as the plan words it")
    portfolio_code: str = strawberry.field(description="the plan it belongs to, e.g. IRP-2024")
    aim_code: str = strawberry.field(description="the portfolio aim, e.g. AIM-1")
    outcome: str = strawberry.field(description="the outcome under the aim it measures")
    unit: Unit = strawberry.field(description="what its values count")
    unit_label: str = strawberry.field(description="the unit as printed: %, £, days, ...")
    higher_is_better: bool = strawberry.field(description="polarity")
    frequency: Frequency = strawberry.field(description="monthly, quarterly, annual or survey")
    target: float | None = strawberry.field(
        description="the standing target, for years without their own"
    )
    tolerance: float | None = strawberry.field(
        description="in the KPI's unit: the Amber band beside the target"
    )
    baseline_text: str | None = strawberry.field(description="where the baseline comes from")
    baseline_value: float | None = strawberry.field(description="the baseline value")
    baseline_date: date | None = strawberry.field(description="when it was baselined")
    owner: str | None = strawberry.field(description="the accountable officer")
    source_system: str | None = strawberry.field(description="the system its values come from")
    directorate: str | None = strawberry.field(description="the directorate that reports it")
    programme_code: str | None = strawberry.field(description="the programme that owns it")
    corporate: bool = strawberry.field(description="in the corporate set")
    vital_sign: bool = strawberry.field(description="one of its directorate's vital signs")
    due_days: int = strawberry.field(description="days after a period ends its value is due")
    demo: bool = strawberry.field(description="its figures are invented for the demo")
    version: int = strawberry.field(description="the ETag for updates")

    @classmethod
    def from_row(cls, row: models.Kpi) -> Kpi:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            portfolio_code=row.portfolio_code,
            aim_code=row.aim_code,
            outcome=row.outcome,
            unit=row.unit,
            unit_label=row.unit.value,
            higher_is_better=row.higher_is_better,
            frequency=row.frequency,
            target=row.target,
            tolerance=row.tolerance,
            baseline_text=row.baseline_text,
            baseline_value=row.baseline_value,
            baseline_date=row.baseline_date,
            owner=row.owner,
            source_system=row.source_system,
            directorate=row.directorate,
            programme_code=row.programme_code,
            corporate=row.corporate,
            vital_sign=row.vital_sign,
            due_days=row.due_days,
            demo=row.demo,
            version=row.version,
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Kpi | None:
        row = await info.context.loader("kpi", _load_kpis).load(parse_id(id, "id"))
        return None if row is None else cls.from_row(row)

    async def _standards(self, info: Ctx) -> service.Standards:
        targets = await info.context.loader("targets", _load_targets).load(int(self.id))
        return service.Standards(
            target=self.target,
            tolerance=self.tolerance,
            higher_is_better=self.higher_is_better,
            by_year={t.financial_year: (t.target, t.tolerance) for t in targets or []},
        )

    @strawberry.field(description="targets set by financial year, oldest first")
    async def targets(self, info: Ctx) -> list[Target]:
        rows = await info.context.loader("targets", _load_targets).load(int(self.id))
        return [
            Target(
                financial_year=t.financial_year,
                target=t.target,
                tolerance=t.tolerance,
                version=t.version,
            )
            for t in rows or []
        ]

    @strawberry.field(
        description="the current value of the latest period ended by the end of upToPeriod "
        "(any period format), or of the latest period of all"
    )
    async def latest(
        self,
        info: Ctx,
        up_to_period: Annotated[
            str | None, strawberry.argument(description="e.g. 2024-07 or 2024/25 Q1")
        ] = None,
    ) -> Measurement | None:
        up_to = insight.parse_up_to(up_to_period, field="upToPeriod")
        loader = info.context.loader(f"latest:{up_to_period}", _latest_loader(up_to))
        found = await loader.load(int(self.id))
        if found is None:
            return None
        measurement, previous = found
        standards = await self._standards(info)
        return Measurement.from_assessed(service.assess(standards, measurement, previous))

    @strawberry.field(description="every revision, newest period first; restatements included")
    async def measurements(
        self,
        info: Ctx,
        period: Annotated[str | None, strawberry.argument(description="one period only")] = None,
    ) -> list[Measurement]:
        rows = await info.context.loader("measurements", _load_measurements).load(int(self.id))
        standards = await self._standards(info)
        return [
            Measurement.from_assessed(assessed)
            for assessed in service.assess_series(standards, rows or [])
            if period is None or assessed.measurement.period == period
        ]

    @strawberry.field(description="current values over time with streak and XmR signals")
    async def series(
        self,
        info: Ctx,
        up_to_period: Annotated[
            str | None,
            strawberry.argument(
                description="only periods ended by the end of this one (e.g. 2024-07): the "
                "limits and signals the values up to it give"
            ),
        ] = None,
    ) -> Series:
        up_to = insight.parse_up_to(up_to_period, field="upToPeriod")
        rows = await info.context.loader("measurements", _load_measurements).load(int(self.id))
        row = await info.context.loader("kpi", _load_kpis).load(int(self.id))
        standards = await self._standards(info)
        found = insight.series_of(row, standards, insight.ended_by(rows or [], up_to))  # type: ignore[arg-type]
        return Series.from_schema(found)

    @strawberry.field(description="comparator groups' values beside the council's, ranked")
    async def benchmarks(
        self,
        info: Ctx,
        period: Annotated[
            str | None,
            strawberry.argument(description="the period; default the latest benchmarked"),
        ] = None,
        up_to_period: Annotated[
            str | None,
            strawberry.argument(
                description="the latest benchmarked period ended by the end of this one"
            ),
        ] = None,
    ) -> list[Benchmark]:
        up_to = insight.parse_up_to(up_to_period, field="upToPeriod")
        rows = await info.context.loader("benchmarks", _load_benchmarks).load(int(self.id))
        if not rows:
            return []
        own = await info.context.loader("measurements", _load_measurements).load(int(self.id))
        row = await info.context.loader("kpi", _load_kpis).load(int(self.id))
        views = insight.benchmark_views(row, rows, own or [], period, up_to)  # type: ignore[arg-type]
        return [
            Benchmark(
                comparator_group=v.comparator_group,
                period=v.period,
                council_value=v.council_value,
                council_rank=v.council_rank,
                of=v.of,
                comparators=[
                    Comparator(authority=c.authority, value=c.value) for c in v.comparators
                ],
            )
            for v in views
        ]


@strawberry.federation.type(keys=["id"], description="A programme (owned by programmes)")
class Programme:
    id: strawberry.ID = strawberry.field(description="the programme's id")
    code: str = strawberry.federation.field(external=True, description="the programme's code")

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID, code: str | None = None, **_: object
    ) -> Programme:
        # Other fields in the representation (an older gateway's) are not ours to read.
        return cls(id=id, code=code or "")

    @strawberry.federation.field(
        requires=["code"],
        description="the KPIs the programme owns (not its aim's whole list); null when the "
        "programme's code is not known",
    )
    async def kpis(self, info: Ctx) -> list[Kpi] | None:
        if not self.code:
            return None
        rows = await info.context.loader("owned", _load_owned).load(self.code)
        return [Kpi.from_row(row) for row in rows or []]


@strawberry.type
class Query:
    @strawberry.field(description="KPIs in code order, filtered, a page at a time")
    async def kpis(
        self,
        info: Ctx,
        portfolio_code: Annotated[str | None, strawberry.argument(description="the plan")] = None,
        aim_code: Annotated[str | None, strawberry.argument(description="the aim")] = None,
        programme_code: Annotated[
            str | None, strawberry.argument(description="KPIs this programme owns")
        ] = None,
        directorate: Annotated[
            str | None, strawberry.argument(description="the reporting directorate")
        ] = None,
        limit: Annotated[int, strawberry.argument(description="1 to 500 KPIs a page")] = 100,
        offset: Annotated[int, strawberry.argument(description="KPIs to skip")] = 0,
        # nullable: the pack reads it, and kpis down must blank only its scorecard
    ) -> Page[Kpi] | None:
        async with info.context.reading() as session:
            found = await service.list_kpis(
                session=session,
                page=page(limit, offset),
                portfolio_code=portfolio_code,
                aim_code=aim_code,
                programme_code=programme_code,
                directorate=directorate,
            )
        return Page.of(found, Kpi.from_row)

    @strawberry.field(description="a KPI by its code")
    async def kpi(
        self, info: Ctx, code: Annotated[str, strawberry.argument(description="e.g. KPI-08")]
    ) -> Kpi | None:
        async with info.context.reading() as session:
            row = await service.find_by_code(session=session, code=code)
        return None if row is None else Kpi.from_row(row)

    @strawberry.field(description="% on target and % improving per group, as of a date")
    async def kpi_composites(
        self,
        info: Ctx,
        grouping: Annotated[
            Grouping, strawberry.argument(description="aim, outcome, directorate, ...")
        ],
        as_of: Annotated[
            date | None, strawberry.argument(description="default today (at a cut: its day)")
        ] = None,
        portfolio_code: Annotated[str | None, strawberry.argument(description="the plan")] = None,
        limit: Annotated[int, strawberry.argument(description="1 to 500 groups a page")] = 100,
        offset: Annotated[int, strawberry.argument(description="groups to skip")] = 0,
        up_to_period: Annotated[
            str | None,
            strawberry.argument(
                description="instead of asOf: each KPI's latest period ended by the end of this "
                "one (e.g. 2024-07 or 2024/25 Q1), the value latest(upToPeriod:) answers"
            ),
        ] = None,
    ) -> Page[Composite]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            found = await insight.composites(
                session=session,
                grouping=grouping,
                as_of=as_of if up_to_period is not None else as_of or asof.today(session),
                portfolio_code=portfolio_code,
                up_to_period=up_to_period,
                up_to_field="upToPeriod",
            )
        return Page.of(window_of(found, params), Composite.from_schema)

    @strawberry.field(description="periods due by a date: on time, late or missing")
    async def kpi_submissions(
        self,
        info: Ctx,
        as_of: Annotated[
            date | None, strawberry.argument(description="default today (at a cut: its day)")
        ] = None,
        status: Annotated[
            SubmissionStatus | None, strawberry.argument(description="only this status")
        ] = None,
        limit: Annotated[int, strawberry.argument(description="1 to 500 periods a page")] = 100,
        offset: Annotated[int, strawberry.argument(description="periods to skip")] = 0,
        # nullable: the pack reads it, and kpis down must blank only its scorecard
    ) -> Page[Submission] | None:
        params = page(limit, offset)
        async with info.context.reading() as session:
            found = await insight.submissions(
                session=session,
                as_of=as_of or asof.today(session),
                status=status,
            )
        return Page.of(window_of(found, params), lambda s: Submission(**s.model_dump()))


# Every root field takes ``cut:`` (one per operation); kpisCut gives the position to pass.
schema = federated_schema(
    query=merge_types("Query", (history.queryable(Query), history.cut_query("kpisCut"))),
    types=[Kpi, Programme],
)
