"""As-of reads of writes that go around the session (services/common/asof.py), on PostgreSQL and
SQLite: rows inserted by Core with their audit rows in bulk (``audit.record_many``), an
append-only table read through its audit rows, and ORM rows versioned in a bulk-audited
transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel, col, select

from services.common import asof, audit
from services.common.db import Transaction, new_registry
from tests.support.asof import toy_database


class Base(SQLModel, registry=new_registry()):
    pass


class Reading(Base, table=True):
    """Append-only, inserted in bulk by Core (like a KPI's values)."""

    id: int | None = Field(default=None, primary_key=True)
    gauge: str
    value: float


class Gauge(Base, table=True):
    """Versioned as usual, here written through the session beside bulk audit rows."""

    id: int | None = Field(default=None, primary_key=True)
    name: str


Audit = audit.audit_model(Base)
history = asof.register(Base, Audit, append_only=("reading",))


@pytest.fixture(params=["postgresql", "sqlite"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with toy_database(request.param, "asof_bulk_toy", Base, history, tmp_path) as made:
        yield made


async def push(engine: AsyncEngine, *values: float, gauge: str | None = None) -> None:
    """Readings inserted by Core and audited in one bulk INSERT; optionally a gauge added
    through the session in the same transaction (with no audit row of its own)."""
    async with Transaction(engine) as session:
        if gauge is not None:
            session.add(Gauge(name=gauge))
            await session.flush()
        connection = await session.connection()
        table = Reading.__table__  # type: ignore[attr-defined]
        rows = (
            await connection.execute(
                insert(table).returning(table.c.id, table.c.value, sort_by_parameter_order=True),
                [{"gauge": "flow", "value": v} for v in values],
            )
        ).all()
        await audit.record_many(
            session,
            Audit,
            actor="ledger",
            entries=[
                {
                    "action": "create",
                    "entity": "reading",
                    "entity_id": row_id,
                    "before": None,
                    "after": {"value": value},
                }
                for row_id, value in rows
            ],
        )


async def state(engine: AsyncEngine, cut: asof.Cut | None = None) -> dict[str, Any]:
    async with history.session(engine, cut) as session:
        readings = (await session.exec(select(Reading).order_by(col(Reading.id)))).all()
        gauges = (await session.exec(select(Gauge).order_by(col(Gauge.id)))).all()
        return {
            "readings": [r.value for r in readings],
            "gauges": [g.name for g in gauges],
        }


async def current(engine: AsyncEngine, at: str | None = None) -> asof.Cut:
    async with history.session(engine, None) as session:
        if at is None:
            return await history.current(session)
        return await history.resolve(session, at, field="cut")


async def test_bulk_writes_read_at_a_cut(engine: AsyncEngine) -> None:
    assert history.append_only.keys() == {"reading"} and "reading" not in history.tables
    await push(engine, 1.0, 2.0, gauge="Flow")
    first = await current(engine)
    assert first.at is not None, "a bulk-audited commit records when it committed"
    then = await state(engine)
    assert then == {"readings": [1.0, 2.0], "gauges": ["Flow"]}

    await asyncio.sleep(0.01)
    await push(engine, 3.0, gauge="Pressure")
    second = await current(engine)
    assert second.position > first.position and second.at is not None
    assert second.at > first.at

    assert await state(engine, first) == then
    assert await state(engine, second) == await state(engine)
    # A cut by time lands on the bulk commit committed by then.
    by_time = await current(engine, first.at.isoformat())
    assert by_time.position == first.position
    assert await state(engine, by_time) == then
    # Half way through a bulk write's positions, only the rows audited by then.
    assert await state(engine, asof.Cut(position=first.position - 1, at=None, origin=0)) == {
        "readings": [1.0],
        "gauges": [],
    }


async def test_a_bulk_transaction_that_wrote_nothing_records_nothing(
    engine: AsyncEngine,
) -> None:
    await push(engine, 1.0)
    before = await current(engine)
    async with Transaction(engine) as session:
        # Audit rows queued (audit.py inserts them at commit), then undone with their
        # savepoint (a lost race's): the queue must forget them.
        async with session.begin_nested() as savepoint:
            await audit.record_many(
                session,
                Audit,
                actor="ledger",
                entries=[
                    {
                        "action": "create",
                        "entity": "reading",
                        "entity_id": 99,
                        "before": None,
                        "after": None,
                    }
                ],
            )
            await savepoint.rollback()
    after = await current(engine)
    assert (after.position, after.at) == (before.position, before.at)
    async with Transaction(engine) as session:
        page = await audit.changes_after(session, Audit, after=0, limit=10)
    assert [c.entity_id for c in page.changes] == ["1"], "the undone audit row was written"
