"""The as-of mechanism itself (services/common/asof.py) on a service of its own, on PostgreSQL
and SQLite: deletes, rows written without an audit row of their own, a write in flight while a
cut is taken, and a cut refusing writes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof, audit
from services.common.db import Transaction, new_registry
from tests.support.asof import toy_database


class Base(SQLModel, registry=new_registry()):
    pass


class Plan(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    version: int = 1


class Step(Base, table=True):
    """Written with its plan, never audited on its own (like a programme's outcomes)."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    text: str


Audit = audit.audit_model(Base)
history = asof.register(Base, Audit)


@pytest.fixture(params=["postgresql", "sqlite"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with toy_database(request.param, "asof_toy", Base, history, tmp_path) as made:
        yield made


async def write(engine: AsyncEngine, action: str, plan: Plan | None, **change: Any) -> Plan:
    async with Transaction(engine) as session:
        if plan is None:
            plan = Plan(**change)
            session.add(plan)
            await session.flush()
            assert plan.id is not None
            session.add(Step(plan_id=plan.id, text=f"first step of {plan.name}"))
        else:
            plan = await session.get(Plan, plan.id)
            assert plan is not None
            if action == "delete":
                for step in (await session.exec(select(Step).where(Step.plan_id == plan.id))).all():
                    await session.delete(step)
                await session.flush()  # no ORM relationship orders the steps first
                await session.delete(plan)
                await session.flush()
            else:
                for key, value in change.items():
                    setattr(plan, key, value)
                plan.version += 1
                assert plan.id is not None
                session.add(Step(plan_id=plan.id, text=f"step for {change}"))
        await audit.record(
            session,
            Audit,
            actor="test",
            action=action,
            entity="plan",
            entity_id=plan.id,
            before=None,
            after=None if action == "delete" else audit.snapshot(plan),
        )
    return plan


async def state(engine: AsyncEngine, cut: asof.Cut | None = None) -> dict[str, Any]:
    async with history.session(engine, cut) as session:
        plans = (await session.exec(select(Plan).order_by(col(Plan.id)))).all()
        steps = (await session.exec(select(Step).order_by(col(Step.id)))).all()
        return {
            "plans": [p.model_dump() for p in plans],
            "steps": [s.model_dump() for s in steps],
        }


async def current(engine: AsyncEngine) -> asof.Cut:
    async with history.session(engine, None) as session:
        return await history.current(session)


async def test_change_and_delete_then_read_the_old_state(engine: AsyncEngine) -> None:
    empty = await current(engine)
    kept = await write(engine, "create", None, name="Balance the budget")
    gone = await write(engine, "create", None, name="Job evaluation")
    cut = await current(engine)
    then = await state(engine)
    assert len(then["plans"]) == 2 and len(then["steps"]) == 2

    await write(engine, "update", kept, name="Balance the budget, revised")
    await write(engine, "delete", gone)
    await write(engine, "create", None, name="Added later")
    now = await state(engine)
    assert now != then and len(now["plans"]) == 2

    assert await state(engine, cut) == then
    assert await state(engine, await current(engine)) == now
    assert await state(engine, empty) == {"plans": [], "steps": []}
    # The live pool never had the views (they live on the as-of pool): it reads live.
    assert await state(engine) == now


async def test_a_cut_by_time_and_one_out_of_range(engine: AsyncEngine) -> None:
    first = await write(engine, "create", None, name="First")
    async with history.session(engine, None) as session:
        at_first = await history.current(session)
        assert at_first.at is not None
        by_time = await history.resolve(session, at_first.at.isoformat(), field="cut")
    assert by_time.position == at_first.position
    await write(engine, "update", first, name="Second")
    async with history.session(engine, None) as session:
        with pytest.raises(asof.FieldError, match="after the current cut"):
            await history.resolve(session, str(at_first.position + 5), field="cut")
        with pytest.raises(asof.FieldError, match="UTC offset"):
            await history.resolve(session, "2026-01-01T00:00:00", field="cut")
        with pytest.raises(asof.FieldError, match="history begins"):
            await history.resolve(session, "2000-01-01T00:00:00Z", field="cut")


async def test_a_cut_is_read_only(engine: AsyncEngine) -> None:
    await write(engine, "create", None, name="Only")
    cut = await current(engine)
    session = history.session(engine, cut)
    async with session:
        await session.exec(select(Plan))
        with pytest.raises(asof.ReadOnly):
            await session.commit()


async def test_a_write_in_flight_is_wholly_in_or_wholly_out(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: no write can be in flight beside a reader's cut")
    plan = await write(engine, "create", None, name="Before")
    flushed = asyncio.Event()
    release = asyncio.Event()

    async def slow_writer() -> None:
        async with Transaction(engine) as session:
            row = await session.get(Plan, plan.id)
            assert row is not None
            row.name, row.version = "During", row.version + 1
            assert plan.id is not None
            session.add(Step(plan_id=plan.id, text="in flight"))
            await audit.record(
                session,
                Audit,
                actor="t",
                action="update",
                entity="plan",
                entity_id=plan.id,
                before=None,
                after=audit.snapshot(row),
            )
            flushed.set()  # audit row and versions written, not committed
            await release.wait()

    writer = asyncio.create_task(slow_writer())
    await flushed.wait()
    cut = await current(engine)  # taken while the write is in flight
    during = await state(engine, cut)
    release.set()
    await writer
    after = await state(engine, cut)
    assert during == after, "the in-flight write leaked into the cut after it committed"
    assert [p["name"] for p in after["plans"]] == ["Before"]
    assert [p["name"] for p in (await state(engine))["plans"]] == ["During"]


def _temporary_views(dialect: str) -> str:
    if dialect == "postgresql":
        return "SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()"
    return "SELECT count(*) FROM sqlite_temp_master WHERE type = 'view'"


async def test_an_as_of_read_sets_its_cut_in_one_statement_on_a_pool_of_its_own(
    engine: AsyncEngine,
) -> None:
    await write(engine, "create", None, name="Only")
    cut = await current(engine)
    then = await state(engine, cut)  # the as-of pool's first connection makes its views
    past = history.engine_at(engine)
    assert past is not engine and past is history.engine_at(engine)
    seen: dict[str, list[str]] = {"live": [], "past": []}

    def recorder(into: list[str]) -> Any:
        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.strip().upper() != "BEGIN":  # SQLite's own, as every read's
                into.append(statement)

        return record

    live_hook, past_hook = recorder(seen["live"]), recorder(seen["past"])
    event.listen(engine.sync_engine, "before_cursor_execute", live_hook)
    event.listen(past.sync_engine, "before_cursor_execute", past_hook)
    try:
        assert await state(engine, cut) == then
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", live_hook)
        event.remove(past.sync_engine, "before_cursor_execute", past_hook)
    # Its cut, then the two queries of state(): no view made again, nothing on the live pool.
    assert seen["live"] == []
    assert len(seen["past"]) == 3, seen["past"]
    assert "cpmo.cut" in seen["past"][0] or "asof_cut" in seen["past"][0]
    # The views stay on the as-of connections between reads, and never reach a live one.
    async with past.connect() as connection:
        views = (await connection.exec_driver_sql(_temporary_views(engine.dialect.name))).scalar()
        assert views == len(history.tables) + len(history.append_only)
    async with engine.connect() as connection:
        assert (
            await connection.exec_driver_sql(_temporary_views(engine.dialect.name))
        ).scalar() == 0


async def test_an_as_of_connection_never_reads_live_or_writes(engine: AsyncEngine) -> None:
    await write(engine, "create", None, name="Only")
    cut = await current(engine)
    await state(engine, cut)
    # A live session on the as-of pool would read the past as if it were now.
    async with AsyncSession(history.engine_at(engine)) as session:
        with pytest.raises(asof.ShadowedConnection, match="as-of connection"):
            await session.exec(select(Plan))
    # A read at a cut on a live connection would read now as if it were the past.
    async with AsyncSession(engine) as session:
        session.sync_session.info[asof._CUT] = (history, cut)
        with pytest.raises(asof.ShadowedConnection, match="without its views"):
            await session.exec(select(Plan))
    if engine.dialect.name == "postgresql":
        # Below the session's own refusal (ReadOnly at commit), PostgreSQL refuses any write.
        async with history.session(engine, cut) as session:
            with pytest.raises(DBAPIError, match="read-only transaction"):
                await session.exec(
                    text("INSERT INTO asof_commit (position, at) VALUES (99, now())")
                )  # type: ignore[call-overload]
    assert [p["name"] for p in (await state(engine))["plans"]] == ["Only"]
