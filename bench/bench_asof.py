"""Cost of as-of reads against live reads (services/common/asof.py), as ratios in one run.

For each size (programmes rows, each with two versions in its history: half the history is
closed) it times the same queries through a live session and through a session at a cut
(the latest cut, and an old one half way through the history):

- indexed: a programme by id, and by code (the history keeps the live table's indexes);
- pack: the pack's shape, a portfolio's programmes joined to their SAO, 500 rows;
- scan: a count over every row with a predicate no index serves;
- session: opening a session and one indexed read (an as-of session creates its views).

Run: `.venv/bin/python bench/bench_asof.py [--sizes 10000 100000] [--database postgresql]`
(PostgreSQL from CPMO_BENCH_PG, default the test server; or `--database sqlite`).
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

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common import migrate
from services.common.asof import Cut
from services.common.db import create_engine, utcnow
from services.programmes.models import (  # type: ignore[attr-defined]
    Person,
    Portfolio,
    Programme,
    history,
)

PG = os.environ.get("CPMO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
CHUNK = 5000


async def database(kind: str, size: int, folder: Path) -> tuple[AsyncEngine, str | None]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / f'asof_{size}.db'}"
        await asyncio.to_thread(migrate.upgrade, "programmes", url)
        return create_engine(url), None
    import asyncpg

    name = f"cpmo_bench_asof_{os.getpid()}_{size}"
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    await asyncio.to_thread(migrate.upgrade, "programmes", url)
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
    engine: AsyncEngine, cut: Cut | None, run: Callable[[Any], Awaitable[Any]], n: int
) -> float:
    async with history.session(engine, cut) as session:
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
        if name is not None:
            import asyncpg

            conn = await asyncpg.connect(f"{PG}/postgres")
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    print("as-of read cost: median time at a cut / median live time, same query, same run")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            asyncio.run(bench(args.database, size, Path(folder), args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
