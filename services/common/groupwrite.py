"""Group commit: many concurrent callers' rows written by one statement, in one transaction.

Audit writers hold the feed's ordering lock (``audit.ORDER_LOCK``) until they commit, and a
commit waits for the disk to flush its WAL, so writers that take the lock one transaction each
can never commit faster than one flush at a time (a few hundred a second on ordinary disks,
far fewer on a busy one). A :class:`GroupWriter` takes every caller waiting at that moment,
concatenates their array parameters and runs its statement once: one lock, one flush, any
number of callers. While it runs, the next callers gather for the next round, which goes to the
database at once on a connection of its own and waits there at the lock: so the database
starts the next round as soon as the last one has flushed, not a round trip to Python later
(two rounds in flight at most: a third would only wait behind the second).

The statement runs alone, outside any explicit transaction (PostgreSQL's implicit transaction
around one statement), so what it writes commits whole or not at all and the lock is held only
while the database executes it, never across a round trip back to Python. When a round fails
(a unique key taken by a racing writer, say), each caller's part runs again alone, so one
caller's conflict never fails or writes another's. When the connection is lost instead (the
database restarted, or the backend was terminated), nothing is run again: that connection is
never pooled again and every caller of the round gets the error (:data:`CONNECTION_LOST`);
whether the round committed is unknown, so callers retry and must be idempotent.

PostgreSQL (asyncpg) only: the statement takes ``$1..$n`` arrays, one per column.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

# The connection is gone, not the statement refused: retry on a new connection. asyncpg reports
# a lost socket as ConnectionDoesNotExistError (a PostgresError, class 08), and a terminated
# backend as AdminShutdownError (57P01) when its goodbye is read before the socket closes, or
# as InternalClientError when the goodbye arrives as the next statement is being sent.
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InternalClientError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    OSError,
)
IN_FLIGHT = 2


@dataclass
class _Part:
    params: Sequence[list[Any]]
    done: asyncio.Future[list[asyncpg.Record]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's asyncpg connection itself, outside any transaction (each statement
    its own), for statements that need nothing of SQLAlchemy; a connection found lost
    (:data:`CONNECTION_LOST`) is never pooled again."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        try:
            yield raw.driver_connection  # type: ignore[misc]
        except CONNECTION_LOST:
            # Whether a write on it committed is unknown, so its callers must be able to retry
            # (idempotent).
            await connection.invalidate()
            raise


class GroupWriter:
    """Runs ``sql`` for the parts of every caller waiting together; each gets every row the
    round's statement returned (and picks its own) or the error its own part raised."""

    # One writer per (engine, statement): a test's app has an engine of its own.
    _writers: weakref.WeakKeyDictionary[Any, dict[str, GroupWriter]] = weakref.WeakKeyDictionary()

    def __init__(self, engine: AsyncEngine, sql: str, max_rows: int) -> None:
        self.engine = engine
        self.sql = sql
        self.max_rows = max_rows
        self.waiting: list[_Part] = []
        self.rounds = 0  # rounds being gathered or run
        self.tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def of(cls, engine: AsyncEngine, sql: str, max_rows: int = 20_000) -> GroupWriter:
        writers = cls._writers.setdefault(engine.sync_engine, {})
        writer = writers.get(sql)
        if writer is None:
            writer = writers[sql] = cls(engine, sql, max_rows)
        return writer

    async def write(self, params: Sequence[list[Any]]) -> list[asyncpg.Record]:
        part = _Part(params)
        self.waiting.append(part)
        if self.rounds < IN_FLIGHT:
            # A task of its own: a caller cancelled while waiting (a client gone) must not
            # cancel the round that carries the other callers' rows. It takes its round when it
            # first runs, so callers arriving meanwhile join it.
            self.rounds += 1
            task = asyncio.get_running_loop().create_task(self._drain())
            self.tasks.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self.tasks.discard)
        return await asyncio.shield(part.done)

    async def _drain(self) -> None:
        try:
            await self._rounds()
        finally:
            self.rounds -= 1

    async def _rounds(self) -> None:
        while self.waiting:
            round_: list[_Part] = []
            rows = 0
            while self.waiting and (
                not round_ or rows + len(self.waiting[0].params[0]) <= self.max_rows
            ):
                part = self.waiting.pop(0)
                round_.append(part)
                rows += len(part.params[0])
            try:
                await self._run(round_)
            except BaseException as error:  # the database is gone, or the loop is closing
                for part in round_:
                    if not part.done.done():
                        part.done.set_exception(error)
                if not isinstance(error, Exception):
                    raise

    async def _run(self, round_: list[_Part]) -> None:
        async with driver_connection(self.engine) as driver:
            await self._fetch(driver, round_)

    async def _fetch(self, driver: asyncpg.Connection, round_: list[_Part]) -> None:
        if len(round_) > 1:
            params = [
                [value for part in round_ for value in part.params[i]]
                for i in range(len(round_[0].params))
            ]
            try:
                returned = await driver.fetch(self.sql, *params)
            except CONNECTION_LOST:
                raise
            except asyncpg.PostgresError:
                pass  # nothing was written: each part again alone, to find whose it was
            else:
                for part in round_:
                    part.done.set_result(returned)
                return
        for part in round_:
            try:
                part.done.set_result(await driver.fetch(self.sql, *part.params))
            except CONNECTION_LOST:
                raise
            except asyncpg.PostgresError as error:
                part.done.set_exception(error)
