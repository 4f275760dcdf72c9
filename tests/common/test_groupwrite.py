"""Group commit's failure paths, driven on purpose against real PostgreSQL: one caller's bad part
in a combined round fails only that caller (the others' rows are written once), and a round
whose connection the database terminated fails its callers with a retryable error and never
puts that connection back in the pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import create_engine
from services.common.groupwrite import CONNECTION_LOST, GroupWriter
from services.common.settings import async_url
from tests.conftest import db_url, recreate
from tests.support.race import terminate

URL = db_url("kpis", "_groupwrite")
# Each row says which transaction and which server process wrote it.
SQL = (
    "INSERT INTO probe (k) SELECT * FROM unnest($1::integer[])"
    " RETURNING k, txid_current() AS tx, pg_backend_pid() AS pid"
)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    await asyncio.to_thread(recreate, URL)
    setup = await asyncpg.connect(URL)
    try:
        await setup.execute("CREATE TABLE probe (k integer PRIMARY KEY)")
    finally:
        await setup.close()
    # One pooled connection, no pre-ping (as the kpis service): a dead connection put back in
    # the pool would be the next round's.
    engine = create_engine(async_url(URL), pool_size=1, max_overflow=0, pool_pre_ping=False)
    try:
        yield engine
    finally:
        await engine.dispose()


async def stored(engine: AsyncEngine) -> list[int]:
    conn = await asyncpg.connect(URL)
    try:
        return [r["k"] for r in await conn.fetch("SELECT k FROM probe ORDER BY k")]
    finally:
        await conn.close()


async def test_callers_waiting_together_share_one_transaction(engine: AsyncEngine) -> None:
    writer = GroupWriter(engine, SQL, max_rows=100)
    answers = await asyncio.gather(*(writer.write([[k]]) for k in (1, 2, 3)))
    assert len({row["tx"] for answer in answers for row in answer}) == 1
    assert await stored(engine) == [1, 2, 3]


async def test_a_bad_part_fails_only_its_caller(engine: AsyncEngine) -> None:
    writer = GroupWriter(engine, SQL, max_rows=100)
    await writer.write([[5]])
    # Three callers in one round; the second's key is taken, so the combined statement fails.
    answers = await asyncio.gather(
        writer.write([[1, 2]]), writer.write([[5]]), writer.write([[3]]), return_exceptions=True
    )
    first, bad, third = answers
    assert isinstance(bad, asyncpg.UniqueViolationError)
    assert not isinstance(first, BaseException) and not isinstance(third, BaseException)
    assert sorted(row["k"] for row in first) == [1, 2]
    assert [row["k"] for row in third] == [3]
    # Each good part ran again alone: two transactions, neither the bad part's.
    assert {row["tx"] for row in first}.isdisjoint({row["tx"] for row in third})
    assert await stored(engine) == [1, 2, 3, 5]


async def test_a_terminated_connection_is_never_pooled_again(engine: AsyncEngine) -> None:
    writer = GroupWriter(engine, SQL, max_rows=100)
    [first] = await writer.write([[1]])
    await terminate(URL, first["pid"])
    # Both callers of the round get the loss (retryable), neither's part is run again alone.
    lost = await asyncio.gather(writer.write([[2]]), writer.write([[3]]), return_exceptions=True)
    assert all(isinstance(error, CONNECTION_LOST) for error in lost), lost
    # The pool holds one connection: the next round has a new one, not the dead one.
    [again] = await writer.write([[2]])
    assert again["pid"] != first["pid"]
    assert await stored(engine) == [1, 2]
