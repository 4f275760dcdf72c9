"""Test plumbing: a PostgreSQL database per service, built by that service's real migrations.

Isolation is by TRUNCATE after each test rather than an outer rolled-back transaction: GraphQL
resolvers and DataLoaders open several sessions at once, which one shared test connection
cannot serve, and truncation lets tests see real commits (and real rollbacks).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("programmes", "risks", "kpis", "reporting")
PG = os.environ.get("CPMO_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
TEST_SECRET = "test-secret-for-cpmo-tests-0123456789abcdef"
# One PostgreSQL may serve several runs at once: keep each run's databases apart.
RUN_ID = os.environ.get("CPMO_TEST_RUN_ID", str(os.getpid()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A live programmes service the other services validate programme ids against, over HTTP.
LIVE_PROGRAMMES_PORT = free_port()


def db_url(service: str, suffix: str = "") -> str:
    return f"{PG}/cpmo_test_{RUN_ID}_{service}{suffix}"


# Settings are read when each service's app module is imported, so set them first.
os.environ["CPMO_MODE"] = "test"
os.environ["CPMO_JWT_SECRET"] = TEST_SECRET
os.environ["CPMO_PROGRAMMES_URL"] = f"http://127.0.0.1:{LIVE_PROGRAMMES_PORT}"
for _service in SERVICES:
    os.environ[f"{_service.upper()}_DATABASE_URL"] = db_url(_service)
    os.environ[f"{_service.upper()}_MIGRATE_ON_START"] = "false"

from services.common import migrate  # noqa: E402
from services.common.auth import issue_token  # noqa: E402
from services.common.settings import CommonSettings, async_url  # noqa: E402
from services.kpis import permissions  # noqa: E402
from services.stack import Component, Stack  # noqa: E402

_created: set[str] = set()


def recreate(url: str) -> None:
    """Drop and create the database at ``url`` (asyncpg via a throwaway event loop)."""
    import asyncpg

    name = url.rsplit("/", 1)[1]

    async def run() -> None:
        conn = await asyncpg.connect(f"{PG}/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    _created.add(name)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this run's databases so they do not pile up on a shared server."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(f"{PG}/postgres")
        try:
            for name in sorted(_created):
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    if _created:
        asyncio.run(run())


def _table_names(service: str) -> list[str]:
    module = __import__(f"services.{service}.models", fromlist=["Base"])
    return [t.name for t in module.Base.metadata.sorted_tables]


_migrated: set[str] = set()


def database(service: str) -> str:
    """A fresh database for ``service``, migrated to head by its own history, once a session."""
    url = db_url(service)
    if service not in _migrated:
        recreate(url)
        migrate.upgrade(service, async_url(url))
        _migrated.add(service)
    return url


# Reference data a service's migrations seed (table -> which rows): kept when a test's rows go,
# as a real database keeps them. Nothing references these rows' tables but seeded rows.
SEEDED = {
    "risks": {
        "matrix_version": "created_by = 'reference data'",
        "asof_matrix_version": "created_by = 'reference data'",
    },
}


async def truncate(service: str) -> None:
    import asyncpg

    seeded = SEEDED.get(service, {})
    tables = ", ".join(f'"{t}"' for t in _table_names(service) if t not in seeded)
    conn = await asyncpg.connect(db_url(service))
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        for table, kept in seeded.items():
            await conn.execute(f'DELETE FROM "{table}" WHERE NOT ({kept})')
            if not table.startswith("asof_"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f'COALESCE(MAX(id), 0) + 1, false) FROM "{table}"'
                )
    finally:
        await conn.close()


def token(roles: list[str], subject: str = "tester", kpis: list[str] | None = None) -> str:
    extra = None if kpis is None else permissions.grants(kpis)
    return issue_token(CommonSettings(), subject=subject, roles=roles, grants=extra)


def auth(
    roles: list[str] | str, subject: str = "tester", kpis: list[str] | None = None
) -> dict[str, str]:
    roles = [roles] if isinstance(roles, str) else roles
    return {"Authorization": f"Bearer {token(roles, subject, kpis)}"}


ADMIN = auth("admin", "test-admin")
EDITOR = auth("editor", "test-editor")
VIEWER = auth("viewer", "test-viewer")


@asynccontextmanager
async def service_client(service: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the service's real app, its lifespan run, its tables emptied after."""
    # Creating and migrating run event loops of their own: give them a thread.
    await asyncio.to_thread(database, service)
    module = __import__(f"services.{service}.main", fromlist=["app"])
    app = module.app
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            try:
                yield client
            finally:
                await truncate(service)


@asynccontextmanager
async def service_client_on(
    service: str, kind: str, folder: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """``service_client`` on ``kind``: "postgresql" (the run's database, as every test) or
    "sqlite" (the embedded default: the service's own app on a fresh file in ``folder``,
    migrated at start by its own history, as a council without PostgreSQL runs it)."""
    if kind == "postgresql":
        async with service_client(service) as client:
            yield client
        return
    from services.common.app import create_app

    live = __import__(f"services.{service}.main", fromlist=["app"]).app
    settings = live.state.settings.model_copy(
        update={"database_url": f"sqlite:///{folder / f'{service}.db'}", "migrate_on_start": True}
    )
    app = create_app(
        title=live.title,
        description=live.description,
        settings=settings,
        router=__import__(f"services.{service}.api", fromlist=["router"]).router,
        schema=__import__(f"services.{service}.graphql", fromlist=["schema"]).schema,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            yield client


@pytest.fixture(params=["postgresql", "sqlite"])
async def either_api(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The test's service (its package: tests/<service>/...) on PostgreSQL, then on SQLite."""
    service = request.module.__name__.split(".")[1]
    async with service_client_on(service, request.param, tmp_path) as client:
        yield client


@pytest.fixture(scope="session")
def live_programmes() -> Iterator[str]:
    """A real programmes service over HTTP, on a database of its own."""
    url = db_url("programmes", "_live")
    recreate(url)
    base = f"http://127.0.0.1:{LIVE_PROGRAMMES_PORT}"
    live = Stack(
        [
            Component(
                name="programmes",
                args=[
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "services.programmes.main:app",
                    "--port",
                    str(LIVE_PROGRAMMES_PORT),
                ],
                env={"PROGRAMMES_DATABASE_URL": url, "PROGRAMMES_MIGRATE_ON_START": "true"},
                ready_url=f"{base}/readyz",
                log_path=Path(os.environ.get("CPMO_TEST_LOGS", "/tmp"))
                / "cpmo-test-programmes.log",
            )
        ]
    )
    live.start(timeout=60)
    try:
        yield base
    finally:
        live.stop()


def live_person(base_url: str, name: str) -> dict[str, Any]:
    found = httpx.get(f"{base_url}/people", headers=ADMIN, params={"q": name}).json()["items"]
    match = next((p for p in found if p["name"] == name), None)
    if match is not None:
        return match
    response = httpx.post(f"{base_url}/people", headers=ADMIN, json={"name": name})
    response.raise_for_status()
    return response.json()


# A portfolio carries its own RAG scale; tests that need any portfolio use the common one.
RAG_SCALE = [
    {"code": "Green", "colour": "#00703c", "meaning": "on track", "common": "Green"},
    {"code": "Amber", "colour": "#ffbf47", "meaning": "issues to manage", "common": "Amber"},
    {"code": "Red", "colour": "#d4351c", "meaning": "off track", "common": "Red"},
]


def live_programme(base_url: str, code: str, **fields: Any) -> dict[str, Any]:
    """Create (or fetch) a programme in the live programmes service; returns its JSON."""
    existing = httpx.get(f"{base_url}/programmes/by-code/{code}", headers=ADMIN)
    if existing.status_code == 200:
        return existing.json()
    portfolios = httpx.get(f"{base_url}/portfolios", headers=ADMIN).json()
    if portfolios:
        portfolio_id = portfolios[0]["id"]
    else:
        portfolio_id = httpx.post(
            f"{base_url}/portfolios",
            headers=ADMIN,
            json={"code": "TEST", "name": "Test portfolio", "rag_scale": RAG_SCALE},
        ).json()["id"]
    body = {
        "portfolio_id": portfolio_id,
        "code": code,
        "name": f"Programme {code}",
        "sao_id": live_person(base_url, "Strategic Director")["id"],
        "lead_member_id": live_person(base_url, "Cabinet Member")["id"],
        **fields,
    }
    response = httpx.post(f"{base_url}/programmes", headers=ADMIN, json=body)
    response.raise_for_status()
    return response.json()


@pytest.fixture
async def programmes_api() -> AsyncIterator[httpx.AsyncClient]:
    async with service_client("programmes") as client:
        yield client


@pytest.fixture
async def risks_api() -> AsyncIterator[httpx.AsyncClient]:
    async with service_client("risks") as client:
        yield client


@pytest.fixture
async def kpis_api() -> AsyncIterator[httpx.AsyncClient]:
    async with service_client("kpis") as client:
        yield client


@pytest.fixture
async def reporting_api() -> AsyncIterator[httpx.AsyncClient]:
    async with service_client("reporting") as client:
        yield client


@contextmanager
def settings_override(client: httpx.AsyncClient, **changes: Any) -> Iterator[None]:
    """Swap fields of the app's own settings (e.g. where a peer is) for a block."""
    app = client._transport.app  # type: ignore[attr-defined]
    original = app.state.settings
    app.state.settings = original.model_copy(update=changes)
    try:
        yield
    finally:
        app.state.settings = original
