"""Apply a service's Alembic history (migrations/<service>/) to its database."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "migrations" / "alembic.ini"


def alembic_config(service: str, database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI), ini_section=service)
    config.set_main_option("script_location", str(ROOT / "migrations" / service))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(service: str, database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


def run_env(metadata: object, service: str) -> None:
    """The body of every service's migrations/<service>/env.py.

    Each service keeps its own version table (``alembic_version_<service>``) in its own
    database. On PostgreSQL an advisory lock makes replicas starting together migrate once.
    """
    import asyncio

    from alembic import context
    from sqlalchemy import pool, text
    from sqlalchemy.ext.asyncio import create_async_engine

    url = context.config.get_main_option("sqlalchemy.url")
    version_table = f"alembic_version_{service}"

    def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
        # Migrations must not import application code: render our UTC type as what it stores.
        if type_ == "type" and type(obj).__name__ == "UTCDateTime":
            return "sa.DateTime(timezone=True)"
        return False

    def configure(connection: object | None = None) -> None:
        context.configure(
            url=url if connection is None else None,
            connection=connection,  # type: ignore[arg-type]
            target_metadata=metadata,  # type: ignore[arg-type]
            version_table=version_table,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
            render_item=render_item,
            literal_binds=connection is None,
        )

    if context.is_offline_mode():
        configure()
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: object) -> None:
        configure(connection)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # type: ignore[attr-defined]
                connection.execute(text("SELECT pg_advisory_xact_lock(72200)"))  # type: ignore[attr-defined]
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)  # type: ignore[arg-type]
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
