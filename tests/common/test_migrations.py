"""Every service's Alembic history can be undone and redone: up -> down -> up, then the
database matches the models (alembic check), on PostgreSQL and on the embedded SQLite."""

from __future__ import annotations

from pathlib import Path

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
