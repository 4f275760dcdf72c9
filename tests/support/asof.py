"""What the as-of property tests share: the live reads taken at a cut, and the check that every
one of them reads the same, byte for byte, as of its cut after everything that came later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from services.common import asof
from services.common.db import create_engine, utcnow
from services.common.settings import async_url
from tests.conftest import VIEWER, db_url, recreate

# A cut's position, and each path's live body read there.
Seen = tuple[str, dict[str, bytes]]

# The as-of property tests' budget: ten random histories each (they run over real HTTP).
AS_OF_PROPERTY = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class History:
    """A random history's world: ``apply`` one op (a ``("cut",)`` op reads every path at a cut),
    ``paths`` to read; ``replay`` runs the ops, cuts the end state and checks that every path
    reads the same, byte for byte, as of each cut after everything that came later."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.seen: list[Seen] = []

    def paths(self) -> list[str]:
        raise NotImplementedError

    async def apply(self, op: tuple[Any, ...]) -> None:
        raise NotImplementedError

    async def read(self, path: str, cut: str | None) -> bytes:
        """``path`` read live (no cut) or as of ``cut``; the read must succeed."""
        if cut is not None:
            path = f"{path}{'&' if '?' in path else '?'}cut={cut}"
        response = await self.api.get(path, headers=VIEWER)
        assert response.status_code == 200, (path, response.text)
        return response.content

    async def take_cut(self) -> None:
        position = str((await self.api.get("/cut", headers=VIEWER)).json()["position"])
        self.seen.append((position, {path: await self.read(path, None) for path in self.paths()}))

    async def replay(self, ops: Iterable[tuple[Any, ...]]) -> None:
        for op in ops:
            if op[0] == "cut":
                await self.take_cut()
            else:
                await self.apply(op)
        await self.take_cut()  # the end state, read live and as of its own cut
        for position, reads in self.seen:
            for path, body in reads.items():
                assert await self.read(path, position) == body, (path, position)


@asynccontextmanager
async def toy_database(
    kind: str, name: str, base: type[SQLModel], history: asof.History, folder: Path
) -> AsyncIterator[AsyncEngine]:
    """A fresh database (``kind`` "postgresql" or "sqlite") holding ``base``'s tables, whose
    history begins now at position 0, as a service's migration leaves it."""
    if kind == "postgresql":
        url = db_url(name)
        await asyncio.to_thread(recreate, url)
        url = async_url(url)
    else:
        url = f"sqlite+aiosqlite:///{folder / f'{name}.db'}"
    made = create_engine(url)
    async with made.begin() as conn:
        await conn.run_sync(base.metadata.create_all)
        await conn.execute(history.commits.insert().values(position=0, at=utcnow()))
    try:
        yield made
    finally:
        await made.dispose()
