"""Engine, a per-service declarative base, and the one transaction per request.

Service functions only ``flush``; the session dependency commits when the request succeeds and
rolls back when anything raises, so a rejected request writes nothing, audit rows included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from sqlalchemy import DateTime, MetaData, event, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.errors import Conflict, PreconditionFailed

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_registry() -> registry:
    """A registry with its own MetaData: one per service, so services' tables never mix.

    Use as ``class Base(SQLModel, registry=new_registry()): pass``.
    """
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every database: SQLite stores no offset, so restore it on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: store times as aware UTC")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utc_column(**kwargs: Any) -> Any:
    """``sa_column`` for a timestamp that defaults to now."""
    from sqlalchemy import Column

    return Column(UTCDateTime(), nullable=False, default=utcnow, **kwargs)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        kwargs.pop("pool_size", None)
        kwargs.pop("pool_pre_ping", None)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite BEGINs only before DML, so a SAVEPOINT would open (and its RELEASE
            # commit) a transaction of its own; let SQLAlchemy emit BEGIN instead.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def get_engine(request: Request) -> AsyncEngine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on any error."""
    async with Transaction(request.app.state.engine) as session:
        yield session


async def get_dry_run_session(
    request: Request,
    dry_run: Annotated[
        bool, Query(description="check and report what would happen; write nothing")
    ] = False,
) -> AsyncIterator[AsyncSession]:
    """The request's transaction, rolled back at the end when the caller asks ``dry_run``:
    the service runs exactly as for real (and reports the same), nothing is kept."""
    async with Transaction(request.app.state.engine, dry_run=dry_run) as session:
        yield session


def is_dry_run(session: AsyncSession) -> bool:
    """Whether ``session``'s transaction will be rolled back (a service may say so)."""
    return bool(session.info.get(DRY_RUN))


# scope="function": commit before the response is sent, so a failed commit is reported
# to the caller instead of being lost behind a 2xx already on the wire.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# For a route whose service runs its own statements and transactions (KPI pushes).
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
# The same, with a ``dry_run`` query parameter: take it instead of SessionDep on imports.
DryRunSessionDep = Annotated[AsyncSession, Depends(get_dry_run_session, scope="function")]

T = TypeVar("T", bound=SQLModel)
DRY_RUN = "cpmo.dry_run"


async def update_versioned(
    session: AsyncSession, row: T, changes: dict[str, Any], *, expected_version: int
) -> T:
    """Apply ``changes`` only if the row is still at ``expected_version`` (optimistic locking).

    The version check is in the UPDATE's WHERE clause, so two writers racing from the same
    version cannot both win: the loser gets 412.
    """
    model = type(row)
    current = row.version  # type: ignore[attr-defined]
    if current != expected_version:
        raise PreconditionFailed(
            f"{model.__tablename__} {row.id} is at version {current}, "  # type: ignore[attr-defined]
            f"not {expected_version}; reload and try again",
            field="If-Match",
        )
    values = dict(changes)
    values["version"] = expected_version + 1
    if "updated_at" in model.model_fields:
        values["updated_at"] = utcnow()
    result = await session.exec(
        update(model)
        .where(model.id == row.id, model.version == expected_version)  # type: ignore[attr-defined]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailed(
            f"{model.__tablename__} {row.id} was changed by someone else; reload and try again",  # type: ignore[attr-defined]
            field="If-Match",
        )
    await session.refresh(row)
    return row


class Transaction:
    """The same commit-or-rollback rule outside FastAPI's dependencies (GraphQL mutations,
    loaders, CLI): ``async with Transaction(engine) as session: ...``.

    ``dry_run=True`` rolls back even on success: a check that runs every write and keeps none.
    """

    def __init__(self, engine: AsyncEngine, *, dry_run: bool = False) -> None:
        self.session = AsyncSession(engine, expire_on_commit=False)
        self.session.info[DRY_RUN] = dry_run

    async def __aenter__(self) -> AsyncSession:
        return self.session

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None and not self.session.info.get(DRY_RUN):
                try:
                    await self.session.commit()
                except IntegrityError as error:
                    await self.session.rollback()
                    raise Conflict(
                        f"the change conflicts with existing data: {error.orig}"
                    ) from error
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
