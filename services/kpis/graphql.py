"""The KPIs subgraph: resolvers as thin as the routers, ORM rows kept out of the types.

Besides its own ``Kpi`` entity it contributes ``Programme.kpis``: the gateway fetches the
programme's ``portfolioCode`` and ``aimCode`` from the programmes subgraph (@requires) and
sends them here in the entity representation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common.graphql import Context, federated_schema, page
from services.kpis import models, periods, service

Ctx = Info[Context, None]


@strawberry.type(description="A KPI value for one period; restatements are further revisions")
class Measurement:
    id: strawberry.ID
    period: str
    period_start: date
    period_end: date
    value: float
    revision: int = strawberry.field(description="1 is the original; 2 and on restate it")
    current: bool = strawberry.field(description="the newest revision of its period")
    note: str | None
    pushed_by: str
    received_at: datetime
    colour: str | None = strawberry.field(
        description="Blue, Green, Amber or Red against target and tolerance; null without target"
    )
    direction: str | None = strawberry.field(
        description="Improving, Worsening or Unchanged against the previous period's value"
    )
    previous_period: str | None = strawberry.field(
        description="the earlier period the direction is measured against"
    )

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
            pushed_by=row.pushed_by,
            received_at=row.received_at,
            colour=None if assessed.colour is None else assessed.colour.value,
            direction=None if assessed.direction is None else assessed.direction.value,
            previous_period=None if assessed.previous is None else assessed.previous.period,
        )


async def _load_kpis(session: AsyncSession, ids: Sequence[int]) -> dict[int, models.Kpi]:
    return await service.get_many(session=session, ids=ids)


async def _load_measurements(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[models.Measurement]]:
    found: dict[int, list[models.Measurement]] = {kpi_id: [] for kpi_id in ids}
    for row in await service.list_measurements(session=session, kpi_ids=ids):
        found[row.kpi_id].append(row)
    return found


def _latest_loader(
    up_to: periods.Period | None,
) -> Callable[
    [AsyncSession, Sequence[int]],
    Awaitable[dict[int, tuple[models.Measurement, models.Measurement | None]]],
]:
    async def load(
        session: AsyncSession, ids: Sequence[int]
    ) -> dict[int, tuple[models.Measurement, models.Measurement | None]]:
        return await service.latest_values(session=session, kpi_ids=ids, up_to=up_to)

    return load


async def _load_kpis_for_aims(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[models.Kpi]]:
    return await service.kpis_for_aims(session=session, keys=keys)


@strawberry.federation.type(keys=["id"], description="A key performance indicator of a plan")
class Kpi:
    id: strawberry.ID
    code: str
    name: str
    portfolio_code: str
    aim_code: str
    outcome: str
    unit: str = strawberry.field(description="%, £, count, rate per 1,000, days or score")
    higher_is_better: bool
    frequency: str = strawberry.field(description="monthly, quarterly, annual or survey")
    target: float | None
    tolerance: float | None = strawberry.field(
        description="in the KPI's unit: the Amber band beside the target"
    )
    baseline_text: str | None
    owner: str | None
    source_system: str | None
    version: int

    @classmethod
    def from_row(cls, row: models.Kpi) -> Kpi:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            portfolio_code=row.portfolio_code,
            aim_code=row.aim_code,
            outcome=row.outcome,
            unit=row.unit.value,
            higher_is_better=row.higher_is_better,
            frequency=row.frequency.value,
            target=row.target,
            tolerance=row.tolerance,
            baseline_text=row.baseline_text,
            owner=row.owner,
            source_system=row.source_system,
            version=row.version,
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Kpi | None:
        row = await info.context.loader("kpi", _load_kpis).load(int(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(
        description="the current value of the latest period ended by the end of upToPeriod "
        "(any period format), or of the latest period of all"
    )
    async def latest(self, info: Ctx, up_to_period: str | None = None) -> Measurement | None:
        up_to = service.parse_up_to(up_to_period, field="upToPeriod")
        loader = info.context.loader(f"latest:{up_to_period}", _latest_loader(up_to))
        found = await loader.load(int(self.id))
        if found is None:
            return None
        measurement, previous = found
        return Measurement.from_assessed(service.assess(self, measurement, previous))

    @strawberry.field(description="every revision, newest period first; restatements included")
    async def measurements(self, info: Ctx, period: str | None = None) -> list[Measurement]:
        loader = info.context.loader("measurements", _load_measurements)
        rows: list[models.Measurement] | None = await loader.load(int(self.id))
        return [
            Measurement.from_assessed(assessed)
            for assessed in service.assess_series(self, rows or [])
            if period is None or assessed.measurement.period == period
        ]


@strawberry.federation.type(keys=["id"])  # owned by the programmes subgraph
class Programme:
    id: strawberry.ID
    portfolio_code: str = strawberry.federation.field(external=True)
    aim_code: str | None = strawberry.federation.field(external=True)

    @classmethod
    def resolve_reference(
        cls,
        id: strawberry.ID,
        portfolioCode: str | None = None,  # the representation carries GraphQL names
        aimCode: str | None = None,
    ) -> Programme:
        return cls(id=id, portfolio_code=portfolioCode, aim_code=aimCode)  # type: ignore[arg-type]

    @strawberry.federation.field(
        requires=["portfolioCode aimCode"],
        description="the KPIs of the programme's aim in its portfolio; null when the "
        "programme's portfolio is not known",
    )
    async def kpis(self, info: Ctx) -> list[Kpi] | None:
        if self.portfolio_code is None:
            return None
        if self.aim_code is None:
            return []
        loader = info.context.loader("kpis_for_aim", _load_kpis_for_aims)
        rows: list[models.Kpi] | None = await loader.load((self.portfolio_code, self.aim_code))
        return [Kpi.from_row(row) for row in rows or []]


@strawberry.type
class Query:
    @strawberry.field
    async def kpis(
        self,
        info: Ctx,
        portfolio_code: str | None = None,
        aim_code: str | None = None,
        limit: int = 500,
        offset: int = 0,
    ) -> list[Kpi]:
        async with info.context.reading() as session:
            rows, _ = await service.list_kpis(
                session=session,
                page=page(limit, offset),
                portfolio_code=portfolio_code,
                aim_code=aim_code,
            )
        return [Kpi.from_row(r) for r in rows]

    @strawberry.field
    async def kpi(self, info: Ctx, code: str) -> Kpi | None:
        async with info.context.reading() as session:
            row = await service.find_by_code(session=session, code=code)
        return None if row is None else Kpi.from_row(row)


schema = federated_schema(query=Query, types=[Kpi, Programme])
