"""Every service's Alembic history can be undone and redone: up -> down -> up, then the
database matches the models (alembic check), on PostgreSQL and on the embedded SQLite."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from services.common import migrate
from services.common.settings import async_url
from tests.conftest import SERVICES, db_url, recreate


def _round_trip(service: str, url: str) -> None:
    config = migrate.alembic_config(service, url)
    command.upgrade(config, "heads")
    command.downgrade(config, "base")
    command.upgrade(config, "heads")
    # Raises if the models differ from what the history built.
    command.check(config)


@pytest.mark.parametrize("service", SERVICES)
def test_history_reverses_on_postgresql(service: str) -> None:
    url = db_url(service, "_reversible")
    recreate(url)
    _round_trip(service, async_url(url))


@pytest.mark.parametrize("service", SERVICES)
def test_history_reverses_on_sqlite(service: str, tmp_path: Path) -> None:
    _round_trip(service, f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}")


def _sql(url: str, *statements: str) -> list[Any]:
    """Run ``statements`` on ``url`` (asyncpg); the last one's rows."""
    import asyncpg

    async def run() -> list[Any]:
        conn = await asyncpg.connect(url)
        try:
            for statement in statements[:-1]:
                await conn.execute(statement)
            return list(await conn.fetch(statements[-1]))
        finally:
            await conn.close()

    return asyncio.run(run())


def test_escalations_get_the_uk_date_they_were_raised_on() -> None:
    """The backfill takes the council's date of the row's timestamp: 23:30 UTC on 31 March
    2025 was 00:30 on 1 April in the UK (BST)."""
    url = db_url("programmes", "_raised_on")
    recreate(url)
    config = migrate.alembic_config("programmes", async_url(url))
    command.upgrade(config, "81e7d7148fbd")
    _sql(
        url,
        "INSERT INTO board (id, code, name, kind, version, created_at, updated_at) "
        "VALUES (1, 'TIB', 'TIB', 'TIB', 1, now(), now())",
        "INSERT INTO escalation (id, kind, title, reason, board_id, raised_by, status, version,"
        " created_at, updated_at) VALUES"
        " (1, 'issue', 'late', 'why', 1, 'x', 'open', 1, '2025-03-31 23:30+00', now()),"
        " (2, 'issue', 'winter', 'why', 1, 'x', 'open', 1, '2025-01-31 23:30+00', now())",
        "SELECT 1",
    )
    command.upgrade(config, "heads")
    found = _sql(url, "SELECT id, raised_on FROM escalation ORDER BY id")
    assert [(r["id"], r["raised_on"]) for r in found] == [
        (1, date(2025, 4, 1)),
        (2, date(2025, 1, 31)),  # GMT in winter: the UTC date
    ]
    command.downgrade(config, "81e7d7148fbd")
    assert _sql(url, "SELECT count(*) AS n FROM escalation")[0]["n"] == 2
