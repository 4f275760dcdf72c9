"""Make concurrent requests really race: hold each at a chosen point until all have reached it.

Two requests sent with ``asyncio.gather`` may still run one after the other (the first finishing
before the second starts), and then a test of the concurrent path passes without exercising it.
``rendezvous`` wraps ``AsyncSession.exec``, ``AsyncConnection.execute``, asyncpg's
``Connection.fetchrow`` and ``AsyncSession.get`` (seen as ``SELECT ... FROM <table> WHERE
id = ...``) so that the first read each request runs that matches ``reads`` (for example its
read of the rows it is about to change) returns only once every party has run it too: all have
read, none has written, so each write meets the others'.
If the parties never meet, the waiting request fails and the test says they did not race."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass
class Rendezvous:
    parties: int
    arrived: int = 0
    barrier: asyncio.Barrier = field(init=False)

    def __post_init__(self) -> None:
        self.barrier = asyncio.Barrier(self.parties)

    @property
    def met(self) -> bool:
        return self.arrived == self.parties and self.barrier.n_waiting == 0


@contextmanager
def rendezvous(
    monkeypatch: pytest.MonkeyPatch,
    reads: Callable[[str], bool],
    parties: int = 2,
    timeout: float = 10.0,
) -> Iterator[Rendezvous]:
    """Hold the first ``parties`` statements for which ``reads(sql)`` is true until all ran."""
    meeting = Rendezvous(parties)
    original = AsyncSession.exec

    original_get = AsyncSession.get

    async def wait(sql: str) -> None:
        if meeting.arrived < parties and reads(sql):
            meeting.arrived += 1
            try:
                await asyncio.wait_for(meeting.barrier.wait(), timeout)
            except TimeoutError:
                raise AssertionError(
                    f"only {meeting.arrived} of {parties} requests reached the read: they did "
                    "not run concurrently"
                ) from None

    async def exec_then_wait(self: AsyncSession, statement: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, statement, *args, **kwargs)
        await wait(str(statement))
        return result

    async def get_then_wait(self: AsyncSession, entity: Any, ident: Any, **kwargs: Any) -> Any:
        result = await original_get(self, entity, ident, **kwargs)
        await wait(f"SELECT ... FROM {entity.__tablename__} WHERE id = {ident!r}")
        return result

    original_fetchrow = asyncpg.Connection.fetchrow

    async def fetchrow_then_wait(
        self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any
    ) -> Any:
        # a statement run on asyncpg itself (e.g. the KPI push's one read on PostgreSQL)
        result = await original_fetchrow(self, query, *args, **kwargs)
        await wait(query)
        return result

    original_execute = AsyncConnection.execute

    async def execute_then_wait(
        self: AsyncConnection, statement: Any, *args: Any, **kwargs: Any
    ) -> Any:
        # a hand-written statement run on the session's connection (e.g. the KPI push's probe)
        result = await original_execute(self, statement, *args, **kwargs)
        await wait(str(statement))
        return result

    monkeypatch.setattr(AsyncSession, "exec", exec_then_wait)
    monkeypatch.setattr(AsyncSession, "get", get_then_wait)
    monkeypatch.setattr(AsyncConnection, "execute", execute_then_wait)
    monkeypatch.setattr(asyncpg.Connection, "fetchrow", fetchrow_then_wait)
    yield meeting
    assert meeting.met, f"{meeting.arrived} of {parties} requests met: they did not race"


async def terminate(url: str, pid: int, *, wait: bool = True) -> None:
    """End the server process ``pid`` of the database at ``url`` (as an administrator or a
    restart would); with ``wait``, until it is gone, so its client finds its connection closed
    (without, its goodbye may arrive while the client is sending its next statement)."""
    admin = await asyncpg.connect(url)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $1"
        for _ in range(200 if wait else 0):  # up to 10 s
            if await admin.fetchval(gone, pid):
                break
            await asyncio.sleep(0.05)
        else:
            assert not wait, f"server process {pid} did not end"
    finally:
        await admin.close()
