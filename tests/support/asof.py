"""What the as-of property tests share: the live reads taken at a cut, and the check that every
one of them reads the same, byte for byte, as of its cut after everything that came later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
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

    def __init__(self, api: httpx.AsyncClient, paths: Iterable[str] = ()) -> None:
        self.api = api
        self.seen: list[Seen] = []
        self._paths = list(paths)

    def paths(self) -> list[str]:
        """What each cut reads: the paths given, unless a history world names its own."""
        return self._paths

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
        await self.check_cuts()

    async def check_cuts(self) -> None:
        """Every path reads, as of each cut taken, what it read live then, byte for byte."""
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


async def assert_rest_reads_take_the_cuts_header(
    api: httpx.AsyncClient, service: str, path: str, change: Callable[[], Awaitable[None]]
) -> None:
    """``path`` read with ``CPMO-Cuts`` naming ``service``'s cut says what it said then, as
    ``?cut=`` does; ``change`` makes it say something else now. The header's rules and errors
    are GraphQL's: a ``?cut=`` must agree with it, a bad header is refused naming it."""
    position = (await api.get("/cut", headers=VIEWER)).json()["position"]
    then = (await api.get(path, headers=VIEWER)).content
    await change()
    now = (await api.get(path, headers=VIEWER)).content
    assert now != then, f"{path} did not change, so the test proves nothing"
    cuts = {asof.CUTS_HEADER: f"gateway=1, {service}={position}"}

    past = await api.get(path, headers={**VIEWER, **cuts})
    assert past.status_code == 200, past.text
    assert past.content == then
    assert past.headers[asof.HEADER] == str(position)
    agreeing = await api.get(path, headers={**VIEWER, **cuts}, params={"cut": str(position)})
    assert agreeing.status_code == 200 and agreeing.content == then, agreeing.text
    # Another service's entry leaves this one reading live.
    other = await api.get(path, headers={**VIEWER, asof.CUTS_HEADER: f"other-{service}=1"})
    assert other.status_code == 200 and other.content == now, other.text
    assert asof.HEADER not in other.headers

    refused = {
        "cut": ({**VIEWER, **cuts}, {"cut": str(position - 1)}),
        asof.CUTS_HEADER: ({**VIEWER, asof.CUTS_HEADER: f"{service}={position + 1000}"}, {}),
    }
    for bad in (f"{service}", f"{service}=1, {service}=2", f"{service}=yesterday", ",", " "):
        refused[f"{asof.CUTS_HEADER} {bad!r}"] = ({**VIEWER, asof.CUTS_HEADER: bad}, {})
    for label, (headers, params) in refused.items():
        response = await api.get(path, headers=headers, params=params)
        assert response.status_code == 422, (label, response.text)
        field = "cut" if label == "cut" else asof.CUTS_HEADER
        assert response.json()["errors"][0]["field"] == field, (label, response.text)
    conflict = await api.get(path, headers={**VIEWER, **cuts}, params={"cut": str(position - 1)})
    assert "conflicts with the CPMO-Cuts header" in conflict.json()["detail"], conflict.text
