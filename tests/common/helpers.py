"""A PostgreSQL database of its own for the plumbing tests, with tables of the test's making."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import create_engine
from services.common.settings import async_url
from tests.conftest import db_url, recreate

_made: set[str] = set()


@asynccontextmanager
async def fresh_tables(name: str, metadata: MetaData) -> AsyncIterator[AsyncEngine]:
    """An engine on the database ``cpmo_test_<run>_common<name>`` (made once a run), with
    ``metadata``'s tables dropped and created empty."""
    url = db_url("common", name)
    if url not in _made:
        await asyncio.to_thread(recreate, url)
        _made.add(url)
    engine = create_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
        yield engine
    finally:
        await engine.dispose()
