"""Positions follow commit order without one lock for every write (services/common/audit.py):
slow and fast transactions interleaved on PostgreSQL, a follower polling ``GET /changes`` the
whole time and a cut taken in the middle. Nothing is skipped, the cut is exact, and the writers
really were in flight together (held by events and the ordering lock, not by timing luck)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlmodel import Field, SQLModel, col, select

from services.common import asof, audit
from services.common.changes import changes_router
from services.common.db import Transaction, new_registry
from services.common.settings import CommonSettings
from tests.conftest import VIEWER
from tests.support.asof import toy_database


class Base(SQLModel, registry=new_registry()):
    pass


class Plan(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str


class Tag(Base, table=True):
    """Keyed by two columns, written with its plan without an audit row of its own."""

    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    label: str = Field(primary_key=True)


Audit = audit.audit_model(Base)
history = asof.register(Base, Audit)

SLOW = "test.slow"  # session.info key: this transaction pauses in its commit, under the lock


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with toy_database("postgresql", "asof_order_toy", Base, history, tmp_path) as made:
        yield made


@pytest.fixture
async def api(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.engine = engine
    app.state.common_settings = CommonSettings()
    app.include_router(changes_router(Audit))
    app.include_router(history.router())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
        yield client


async def create(engine: AsyncEngine, name: str) -> int:
    async with Transaction(engine) as session:
        plan = Plan(name=name)
        session.add(plan)
        await session.flush()
        await audit.record(
            session,
            Audit,
            actor="t",
            action="create",
            entity="plan",
            entity_id=plan.id,
            before=None,
            after=audit.snapshot(plan),
        )
        assert plan.id is not None
        return plan.id


async def rename(
    engine: AsyncEngine,
    plan_id: int,
    name: str,
    *,
    recorded: asyncio.Event | None = None,
    go_on: asyncio.Event | None = None,
) -> None:
    """Rename a plan, audited. ``recorded`` is set once the change is written and audited (not
    committed); the transaction then waits for ``go_on`` before it commits."""
    async with Transaction(engine) as session:
        plan = await session.get(Plan, plan_id)
        assert plan is not None
        plan.name = name
        await audit.record(
            session,
            Audit,
            actor="t",
            action="update",
            entity="plan",
            entity_id=plan_id,
            before=None,
            after=audit.snapshot(plan),
        )
        if recorded is not None:
            recorded.set()
        if go_on is not None:
            await go_on.wait()


class Follower:
    """Follows ``GET /changes`` by its cursor, as a consumer does, polling until stopped."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.cursor = 0
        self.seen: list[dict[str, Any]] = []
        self.polls = 0

    async def poll(self) -> None:
        while True:
            response = await self.api.get(
                "/changes", headers=VIEWER, params={"after": self.cursor, "limit": 2}
            )
            assert response.status_code == 200, response.text
            page = response.json()
            self.seen += page["changes"]
            self.cursor = page["next_cursor"]
            self.polls += 1
            if not page["has_more"]:
                return

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll()
            await asyncio.sleep(0.005)
        await self.poll()


async def names(engine: AsyncEngine, cut: asof.Cut | None = None) -> dict[int, str]:
    async with history.session(engine, cut) as session:
        return {p.id: p.name for p in (await session.exec(select(Plan).order_by(col(Plan.id))))}  # type: ignore[misc]


async def whole_feed(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await api.get("/changes", headers=VIEWER, params={"after": 0, "limit": 1000})
    return list(response.json()["changes"])


async def the_cut(api: httpx.AsyncClient) -> asof.Cut:
    response = await api.get("/cut", headers=VIEWER)
    assert response.status_code == 200, response.text
    return asof.Cut.model_validate(response.json())


async def waiting_on_the_lock(engine: AsyncEngine) -> int:
    async with engine.connect() as probe:
        found = await probe.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objid = :key AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": audit.ORDER_LOCK},
        )
        return int(found or 0)


async def test_a_slow_writer_recorded_first_commits_last_behind_a_fast_one(
    engine: AsyncEngine, api: httpx.AsyncClient
) -> None:
    """The slow transaction writes and audits its change first, then stays open while the fast
    one runs whole and commits; a follower polls throughout and a cut is taken in between."""
    slow_id = await create(engine, "slow, before")
    fast_id = await create(engine, "fast, before")
    follower = Follower(api)
    await follower.poll()
    stop = asyncio.Event()
    following = asyncio.create_task(follower.follow(stop))
    recorded, go_on = asyncio.Event(), asyncio.Event()
    slow = asyncio.create_task(
        rename(engine, slow_id, "slow, after", recorded=recorded, go_on=go_on)
    )
    try:
        await asyncio.wait_for(recorded.wait(), 30)
        # The fast writer runs whole while the slow one is open with its change audited: with
        # one lock for every write from the first audit row, it would wait here until timeout.
        await asyncio.wait_for(rename(engine, fast_id, "fast, after"), 30)
        assert not slow.done(), "the slow writer finished first: they did not interleave"
        cut = await the_cut(api)  # taken in the middle: fast committed, slow in flight
        during = await names(engine, cut)
        polls = follower.polls
        await asyncio.sleep(0.05)
        assert follower.polls > polls, "the follower was not polling while both were open"
    finally:
        go_on.set()
        await slow
        stop.set()
        await following

    feed = await whole_feed(api)
    assert [(c["entity_id"], c["after"]["name"]) for c in feed[-2:]] == [
        (str(fast_id), "fast, after"),
        (str(slow_id), "slow, after"),
    ], "positions follow commit order, not the order the changes were audited in"
    assert follower.seen == feed, "the follower skipped or repeated a change"
    assert during == {slow_id: "slow, before", fast_id: "fast, after"}
    assert await names(engine, cut) == during, "the cut changed once the slow writer committed"
    assert await names(engine) == {slow_id: "slow, after", fast_id: "fast, after"}


@pytest.fixture
def slow_commits() -> Iterator[None]:
    """A hook that holds a ``SLOW`` transaction inside its commit, its audit rows inserted and
    the ordering lock held, until its event is set."""

    def pause(session: Session, _queue: list[audit.Queued]) -> None:
        go_on: asyncio.Event | None = session.info.get(SLOW)
        if go_on is not None:
            session.info["test.paused"].set()
            await_only(go_on.wait())

    audit.inserted_hooks.append(pause)
    yield
    audit.inserted_hooks.remove(pause)


async def test_two_commits_racing_become_visible_in_position_order(
    engine: AsyncEngine, api: httpx.AsyncClient, slow_commits: None
) -> None:
    """The slow transaction draws its position at commit and stalls before COMMIT; the fast
    one, committing meanwhile, must not become visible first with a larger position (the
    follower would move past the slow one's and never see it)."""
    slow_id = await create(engine, "slow, before")
    fast_id = await create(engine, "fast, before")
    follower = Follower(api)
    await follower.poll()
    stop = asyncio.Event()
    following = asyncio.create_task(follower.follow(stop))
    paused, go_on = asyncio.Event(), asyncio.Event()
    waited = 0

    async def slow_writer() -> None:
        async with Transaction(engine) as session:
            session.sync_session.info["test.paused"] = paused
            session.sync_session.info[SLOW] = go_on
            plan = await session.get(Plan, slow_id)
            assert plan is not None
            plan.name = "slow, after"
            await audit.record(
                session,
                Audit,
                actor="t",
                action="update",
                entity="plan",
                entity_id=slow_id,
                before=None,
                after=audit.snapshot(plan),
            )

    slow = asyncio.create_task(slow_writer())
    fast: asyncio.Task[None] | None = None
    try:
        await asyncio.wait_for(paused.wait(), 30)  # position drawn, not committed
        fast = asyncio.create_task(rename(engine, fast_id, "fast, after"))
        for _ in range(300):  # until the fast commit waits for the lock (or, unlocked, is done)
            waited = max(waited, await waiting_on_the_lock(engine))
            if waited or fast.done():
                break
            await asyncio.sleep(0.02)
        cut = await the_cut(api)  # taken with both in flight
        during = await names(engine, cut)
        polls = follower.polls
        await asyncio.sleep(0.05)
        assert follower.polls > polls, "the follower was not polling while both were open"
        assert not slow.done()
    finally:
        go_on.set()
        await slow
        if fast is not None:
            await fast
        stop.set()
        await following

    feed = await whole_feed(api)
    assert follower.seen == feed, "the follower skipped or repeated a change"
    assert [(c["entity_id"], c["after"]["name"]) for c in feed[-2:]] == [
        (str(slow_id), "slow, after"),
        (str(fast_id), "fast, after"),
    ]
    assert during == {slow_id: "slow, before", fast_id: "fast, before"}
    assert await names(engine, cut) == during, "a write in flight leaked into the cut"
    assert waited, "the fast commit never waited for the slow one: they did not race"
    async with engine.connect() as conn:
        commits = (
            await conn.execute(
                select(history.commits.c.position, history.commits.c.at).order_by(
                    history.commits.c.position
                )
            )
        ).all()
    assert [c.at for c in commits] == sorted(c.at for c in commits), "cuts by time need it"
    assert commits[-2:][0].position == int(feed[-2]["cursor"])


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
async def test_a_rolled_back_savepoint_keeps_the_positions_written_before_it(
    kind: str, tmp_path: Path
) -> None:
    """Versions written before a savepoint that is rolled back (an import's refused row) still
    move to their positions at commit; the audit row queued inside it is dropped."""
    async with toy_database(kind, "asof_order_savepoint", Base, history, tmp_path) as engine:
        async with Transaction(engine) as session:
            kept = Plan(name="kept")
            session.add(kept)
            await session.flush()
            await audit.record(
                session, Audit, actor="t", action="create", entity="plan",
                entity_id=kept.id, before=None, after=audit.snapshot(kept),
            )  # fmt: skip
            async with session.begin_nested() as savepoint:
                refused = Plan(name="refused")
                session.add(refused)
                await session.flush()
                await audit.record(
                    session, Audit, actor="t", action="create", entity="plan",
                    entity_id=refused.id, before=None, after=audit.snapshot(refused),
                )  # fmt: skip
                await savepoint.rollback()
            later = Plan(name="later")
            session.add(later)
            await session.flush()
            await audit.record(
                session, Audit, actor="t", action="create", entity="plan",
                entity_id=later.id, before=None, after=audit.snapshot(later),
            )  # fmt: skip
        async with history.session(engine, None) as session:
            cut = await history.current(session)
            page = await audit.changes_after(session, Audit, after=0, limit=10)
        assert [c.after and c.after["name"] for c in page.changes] == ["kept", "later"]
        now = {kept.id: "kept", later.id: "later"}
        assert await names(engine, cut) == await names(engine) == now
        first = asof.Cut(position=page.changes[0].cursor, at=None, origin=0)
        assert await names(engine, first) == {kept.id: "kept"}


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
async def test_rows_keyed_by_two_columns_take_their_positions(kind: str, tmp_path: Path) -> None:
    """Versions of a table with a two-column key, written beside an audited row, move from
    their placeholder to the audit row's position at commit like any other."""
    async with toy_database(kind, "asof_order_tags", Base, history, tmp_path) as engine:
        plan_id = await create(engine, "tagged")
        async with Transaction(engine) as session:
            plan = await session.get(Plan, plan_id)
            assert plan is not None
            plan.name = "tagged, twice"
            session.add_all([Tag(plan_id=plan_id, label="red"), Tag(plan_id=plan_id, label="blue")])
            await audit.record(
                session, Audit, actor="t", action="update", entity="plan",
                entity_id=plan_id, before=None, after=audit.snapshot(plan),
            )  # fmt: skip
        async with history.session(engine, None) as session:
            cut = await history.current(session)
        async with Transaction(engine) as session:
            await session.delete(await session.get(Tag, (plan_id, "red")))
            await audit.record(
                session, Audit, actor="t", action="update", entity="plan",
                entity_id=plan_id, before=None, after=None,
            )  # fmt: skip
        async with history.session(engine, cut) as session:
            then = sorted(t.label for t in await session.exec(select(Tag)))
        async with history.session(engine, None) as session:
            now = sorted(t.label for t in await session.exec(select(Tag)))
            past = history.tables["tag"][1]
            stuck = await session.exec(
                select(past.c.plan_id).where(
                    (past.c[asof.FROM] >= audit.PLACEHOLDER)
                    | (past.c[asof.TO] >= audit.PLACEHOLDER)
                )
            )
            assert not list(stuck), "versions left at a placeholder position"
        assert then == ["blue", "red"] and now == ["blue"]
