"""Cost of as-of reads against live reads (services/common/asof.py), as ratios in one run.

For each size (programmes rows, each with two versions in its history: half the history is
closed) it times the same queries through a live session and through a session at a cut
(the latest cut, and an old one half way through the history):

- indexed: a programme by id, and by code (the history keeps the live table's indexes);
- pack: the pack's shape, a portfolio's programmes joined to their SAO, 500 rows;
- scan: a count over every row with a predicate no index serves;
- session: opening a session and one indexed read (an as-of session sets its cut; the views
  were made once, when its pool's connection was).

The session case (``--case session``) times opening a session alone (open, ``SELECT 1``,
close) on each service's empty migrated database, live and at a cut: what every as-of read
pays before its first query, for programmes (the most tables), risks and kpis.

The kpis case (``--case kpis``, scales of the demo: 61 KPIs, two years of monthly values, one
in five restated) times the service's own reads: every KPI's latest value (the pack's
scorecard), one KPI's series, composites by aim and late/missing submissions. Values are
append-only and have no history table: at a cut they are the live rows whose create audit row
is at or before it (services/common/asof.py), so this case measures that filter.

Run: `.venv/bin/python bench/bench_asof.py [--sizes 10000 100000] [--database postgresql]
[--case programmes|kpis|session|all] [--scales 1 10]` (PostgreSQL from CPMO_BENCH_PG, default
the test server; or `--database sqlite`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common import migrate
from services.common.asof import Cut, History
from services.common.db import create_engine, utcnow
from services.kpis import insight
from services.kpis.models import history as kpis_history
from services.kpis.schemas import Grouping
from services.programmes.models import (  # type: ignore[attr-defined]
    Person,
    Portfolio,
    Programme,
    history,
)

PG = os.environ.get("CPMO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
CHUNK = 5000


async def database(
    kind: str, size: int, folder: Path, service: str = "programmes"
) -> tuple[AsyncEngine, str | None]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / f'asof_{service}_{size}.db'}"
        await asyncio.to_thread(migrate.upgrade, service, url)
        return create_engine(url), None
    import asyncpg

    name = f"cpmo_bench_asof_{os.getpid()}_{service}_{size}"
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    await asyncio.to_thread(migrate.upgrade, service, url)
    return create_engine(url), name


async def fill(engine: AsyncEngine, size: int) -> tuple[int, int]:
    """``size`` programmes (and as many people), each created at one position and changed at
    a later one: the history holds two versions per row. Returns (old cut, latest cut)."""
    live = {name: tables[0] for name, tables in history.tables.items()}
    past = {name: tables[1] for name, tables in history.tables.items()}
    now = utcnow()
    async with engine.begin() as conn:
        await conn.execute(
            insert(live["portfolio"]).values(id=1, code="IRP", name="Plan", version=1)
        )
        await conn.execute(
            insert(past["portfolio"]).values(id=1, code="IRP", name="Plan", version=1, asof_from=0)
        )
        for start in range(1, size + 1, CHUNK):
            ids = range(start, min(start + CHUNK, size + 1))
            people = [{"id": i, "name": f"Person {i}", "version": 1} for i in ids]
            await conn.execute(insert(live["person"]), people)
            await conn.execute(insert(past["person"]), [{**p, "asof_from": 0} for p in people])
            first = [_programme(i, "first", 1, now) for i in ids]
            second = [_programme(i, "second", 2, now) for i in ids]
            await conn.execute(insert(live["programme"]), second)
            await conn.execute(
                insert(past["programme"]),
                [{**p, "asof_from": p["id"], "asof_to": size + p["id"]} for p in first]
                + [{**p, "asof_from": size + p["id"], "asof_to": None} for p in second],
            )
        # Both databases plan from statistics: without them SQLite walks the history's
        # portfolio index (every row matches) where the live table walks its rowid.
        await conn.execute(text("ANALYZE"))
    return size // 2, 2 * size


def _programme(i: int, name: str, version: int, now: Any) -> dict[str, Any]:
    return {
        "id": i,
        "portfolio_id": 1,
        "code": f"P-{i:06d}",
        "name": f"Programme {i} {name}",
        "directorate": f"Directorate {i % 12}",
        "sao_id": i,
        "lead_member_id": i,
        "version": version,
        "created_at": now,
        "updated_at": now,
    }


def queries(size: int) -> dict[str, Callable[[Any], Awaitable[Any]]]:
    rng = random.Random(7)

    async def by_id(session: Any) -> Any:
        return await session.get(Programme, rng.randint(1, size), populate_existing=True)

    async def by_code(session: Any) -> Any:
        code = f"P-{rng.randint(1, size):06d}"
        return (await session.exec(select(Programme).where(Programme.code == code))).first()

    async def pack(session: Any) -> Any:
        start = rng.randint(1, max(1, size - 500))
        statement = (
            select(Programme, Person)
            .join(Person, Programme.sao_id == Person.id)  # type: ignore[arg-type]
            .where(Programme.portfolio_id == 1, Programme.id >= start)  # type: ignore[operator]
            .order_by(Programme.id)
            .limit(500)
        )
        return (await session.exec(statement)).all()

    async def scan(session: Any) -> Any:
        statement = (
            select(func.count())
            .select_from(Portfolio)
            .join(Programme, Programme.portfolio_id == Portfolio.id)  # type: ignore[arg-type]
            .where(Programme.name.like("%9 s%"))  # type: ignore[attr-defined]
        )
        return (await session.exec(statement)).one()

    return {"indexed by id": by_id, "indexed by code": by_code, "pack": pack, "scan": scan}


async def timed(
    engine: AsyncEngine,
    cut: Cut | None,
    run: Callable[[Any], Awaitable[Any]],
    n: int,
    of: History = history,
) -> float:
    async with of.session(engine, cut) as session:
        await run(session)  # warm
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            await run(session)
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def session_cost(engine: AsyncEngine, cut: Cut | None, size: int, n: int) -> float:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        async with history.session(engine, cut) as session:
            await session.get(Programme, 1 + (i * 7919) % size)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def drop(name: str | None) -> None:
    if name is not None:
        import asyncpg

        conn = await asyncpg.connect(f"{PG}/postgres")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def report(label: str, live: float, ratios: list[float]) -> None:
    print(f"  {label:<18}{live * 1000:>9.2f}" + "".join(f"{r:>14.2f}" for r in ratios), flush=True)


# The kpis case ---------------------------------------------------------------------------------

DEMO_KPIS = 61
MONTHS = [(2023 + (m + 3) // 12, (m + 3) % 12 + 1) for m in range(24)]  # April 2023 on


async def fill_kpis(engine: AsyncEngine, scale: int) -> tuple[int, int]:
    """``61 x scale`` KPIs with two years of monthly values, pushed a month at a time for
    every KPI; one value in five restated the month after. Every value has its create audit
    row (its position). Returns (old cut, latest cut)."""
    import calendar
    import json
    from datetime import date

    live = {name: tables[0] for name, tables in kpis_history.tables.items()}
    past = {name: tables[1] for name, tables in kpis_history.tables.items()}
    measurement = kpis_history.append_only["measurement"]
    audit = kpis_history.audit
    now = utcnow()
    count = DEMO_KPIS * scale
    kpis = [
        {
            "id": i,
            "code": f"KPI-{i:05d}",
            "name": f"Measure {i}",
            "portfolio_code": "IRP-2024",
            "aim_code": f"AIM-{i % 3 + 1}",
            "outcome": f"Outcome {i % 19}",
            "unit": "%",
            "higher_is_better": i % 2 == 0,
            "frequency": "monthly",
            "target": 90.0,
            "tolerance": 5.0,
            "directorate": f"Directorate {i % 6}",
            "corporate": True,
            "vital_sign": i % 4 == 0,
            "due_days": 20,
            "reporting_from": date(2023, 4, 1),
            "demo": True,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, count + 1)
    ]
    rows: list[dict[str, Any]] = []
    for month, (year, number) in enumerate(MONTHS):
        end = date(year, number, calendar.monthrange(year, number)[1])
        for kpi in range(1, count + 1):
            for revision in (1, 2) if (kpi + month) % 5 == 0 else (1,):
                rows.append(
                    {
                        "id": len(rows) + 1,
                        "kpi_id": kpi,
                        "period": f"{year}-{number:02d}",
                        "period_start": date(year, number, 1),
                        "period_end": end,
                        "value": 80.0 + (kpi * 7 + month * 3 + revision) % 20,
                        "note": None,
                        "reason": None if revision == 1 else "restated",
                        "revision": revision,
                        "pushed_by": "ledger",
                        "idempotency_key": f"{kpi}-{month}-{revision}",
                        "received_at": now,
                    }
                )
    async with engine.begin() as conn:
        await conn.execute(insert(live["kpi"]), kpis)
        await conn.execute(insert(past["kpi"]), [{**k, "asof_from": 0} for k in kpis])
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            await conn.execute(insert(measurement), chunk)
            after = [json.loads(json.dumps(r, default=str)) for r in chunk]
            await conn.execute(
                insert(audit),
                [
                    {
                        "id": r["id"],
                        "at": now,
                        "actor": "ledger",
                        "action": "create",
                        "entity": "measurement",
                        "entity_id": str(r["id"]),
                        "before": None,
                        "after": a,
                    }
                    for r, a in zip(chunk, after, strict=True)
                ],
            )
        # The migration recorded history's start (position 0); this is the fill's commit.
        await conn.execute(insert(kpis_history.commits).values(position=len(rows), at=now))
        await conn.execute(text("ANALYZE"))
    return len(rows) // 2, len(rows)


def kpi_queries(scale: int) -> dict[str, Callable[[Any], Awaitable[Any]]]:
    from datetime import date

    rng = random.Random(7)
    ids = list(range(1, DEMO_KPIS * scale + 1))
    day = date(2025, 6, 30)

    async def scorecard(session: Any) -> Any:
        return await insight.latest_values(session=session, kpi_ids=ids)

    async def series(session: Any) -> Any:
        return await insight.series(session=session, code=f"KPI-{rng.choice(ids):05d}")

    async def composites(session: Any) -> Any:
        return await insight.composites(session=session, grouping=Grouping.aim, as_of=day)

    async def submissions(session: Any) -> Any:
        return await insight.submissions(session=session, as_of=day)

    return {
        "latest, all KPIs": scorecard,
        "series, one KPI": series,
        "composites": composites,
        "submissions": submissions,
    }


async def bench_kpis(kind: str, scale: int, folder: Path, repeats: int) -> None:
    engine, name = await database(kind, scale, folder, "kpis")
    try:
        started = time.perf_counter()
        old, latest = await fill_kpis(engine, scale)
        print(
            f"\n{kind}, kpis at {scale}x the demo: {DEMO_KPIS * scale:,} KPIs, {latest:,} "
            f"values, filled in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        cuts = {
            "latest cut": Cut(position=latest, at=None, origin=0),
            "old cut": Cut(position=old, at=None, origin=0),
        }
        print(f"  {'query':<18}{'live ms':>9}" + "".join(f"{c + ' x':>14}" for c in cuts))
        for label, run in kpi_queries(scale).items():
            n = repeats if label.startswith("series") else max(5, repeats // 10)
            live = await timed(engine, None, run, n, kpis_history)
            ratios = [
                await timed(engine, cut, run, n, kpis_history) / live for cut in cuts.values()
            ]
            report(label, live, ratios)
    finally:
        await engine.dispose()
        await drop(name)


# The session case ------------------------------------------------------------------------------


async def bench_sessions(kind: str, folder: Path, repeats: int) -> None:
    from services.risks.models import history as risks_history

    print(f"\n{kind}, opening a session alone (open, SELECT 1, close), median ms")
    print(f"  {'service':<12}{'tables':>7}{'live ms':>10}{'at a cut ms':>13}{'x':>8}")
    for service, of in (
        ("programmes", history),
        ("risks", risks_history),
        ("kpis", kpis_history),
    ):
        engine, name = await database(kind, 0, folder, service)
        try:
            cut = Cut(position=0, at=None, origin=0)
            costs = []
            for at in (None, cut, None, cut):  # interleaved: drift hits both alike
                samples = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    async with of.session(engine, at) as session:
                        await session.exec(select(literal(1)))  # type: ignore[call-overload]
                    samples.append(time.perf_counter() - started)
                costs.append(statistics.median(samples))
            live, past = min(costs[0], costs[2]), min(costs[1], costs[3])
            tables = len(of.tables) + len(of.append_only)
            print(
                f"  {service:<12}{tables:>7}{live * 1000:>10.2f}{past * 1000:>13.2f}"
                f"{past / live:>8.2f}",
                flush=True,
            )
        finally:
            await engine.dispose()
            await drop(name)


# The programmes case ---------------------------------------------------------------------------


async def bench(kind: str, size: int, folder: Path, repeats: int) -> None:
    engine, name = await database(kind, size, folder)
    try:
        started = time.perf_counter()
        old, latest = await fill(engine, size)
        print(
            f"\n{kind}, {size:,} programmes ({2 * size:,} versions), filled in "
            f"{time.perf_counter() - started:.1f}s",
            flush=True,
        )
        cuts = {
            "latest cut": Cut(position=latest, at=None, origin=0),
            "old cut": Cut(position=old, at=None, origin=0),
        }
        print(f"  {'query':<18}{'live ms':>9}" + "".join(f"{c + ' x':>14}" for c in cuts))
        for label, run in queries(size).items():
            n = repeats if label != "scan" else max(3, repeats // 10)
            live = await timed(engine, None, run, n)
            ratios = [await timed(engine, cut, run, n) / live for cut in cuts.values()]
            print(
                f"  {label:<18}{live * 1000:>9.2f}" + "".join(f"{r:>14.2f}" for r in ratios),
                flush=True,
            )
        live = await session_cost(engine, None, size, repeats)
        ratios = [await session_cost(engine, cut, size, repeats) / live for cut in cuts.values()]
        print(
            f"  {'session + read':<18}{live * 1000:>9.2f}" + "".join(f"{r:>14.2f}" for r in ratios),
            flush=True,
        )
    finally:
        await engine.dispose()
        await drop(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--case", choices=["programmes", "kpis", "session", "all"], default="all")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10], help="kpis: x demo")
    args = parser.parse_args()
    print("as-of read cost: median time at a cut / median live time, same query, same run")
    with tempfile.TemporaryDirectory() as folder:
        if args.case in ("programmes", "all"):
            for size in args.sizes:
                asyncio.run(bench(args.database, size, Path(folder), args.repeats))
        if args.case in ("kpis", "all"):
            for scale in args.scales:
                asyncio.run(bench_kpis(args.database, scale, Path(folder), args.repeats))
        if args.case in ("session", "all"):
            asyncio.run(bench_sessions(args.database, Path(folder), args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
