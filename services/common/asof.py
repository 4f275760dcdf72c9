"""As-of reads: any service answers for a past position of its change feed.

A position is an audit id (the cursor of ``GET /changes``). "As of position N" means every change
with position <= N and none after: an exact, clock-independent cut. A cut can also be asked for
by time: the last position committed at or before an instant.

Design, and why
---------------
Each registered table ``t`` gets a history table ``asof_t`` with the same columns plus
``asof_from`` (the position that wrote the version) and ``asof_to`` (the position that replaced or
deleted it; null while current). The versions are written by SQLAlchemy session hooks in the
writer's own transaction when its audit row is queued (audit.py draws positions at commit), at a
placeholder position above every real one; at commit, under the feed's ordering lock, once the
audit rows have their ids, one UPDATE per touched history table moves them to their positions.
So a version and its audit row commit together or not at all, and versions, like the feed,
become visible in position order: a write in flight while a cut is taken has no position yet
and is wholly out, and after its commit wholly after the cut.

An as-of read runs on connections of its own: each registered table is shadowed by a TEMPORARY
view with the live table's name over its history, filtered to "the transaction's cut".
PostgreSQL and SQLite both resolve unqualified names in the temporary schema first, so every
existing query, service function and loader reads the past unchanged. This was chosen over
rebuilding state from the audit log (a scan of every change ever made to the entity, and JSON
back to typed rows) because a read at a position is an ordinary indexed query on typed rows:
the history keeps the live table's indexes, so an indexed read or a scan costs about what the
live one does (measured in bench/bench_asof.py).

The views are made once per connection, not per read. Each live engine gets an as-of engine
beside it (``engine_at``: same database, a pool of its own, opened lazily, disposed with the
live one) whose connections create their views when they connect; a read at a cut then costs
one statement, setting its cut for its transaction only: ``set_config('cpmo.cut', N, true)``
(``SET LOCAL``) on PostgreSQL, read in the views as ``current_setting('cpmo.cut')::bigint``
(stable within a statement, so the planner still probes the history's primary key and indexes
with it; unset, the cast fails rather than read anything), and on SQLite a row inserted into a
one-row temporary table the views read through a scalar subquery (evaluated once a statement),
rolled back with the transaction. Creating the views on every read instead cost 6-16 ms on
either database for programmes' 18 tables (a view each), 13-18x a live session's opening;
now it is about 1.2-1.4x (bench/README.md). A connection with views must never serve a live
read or a write, and one without them never a read at a cut: the session hook checks both on
every transaction (``ShadowedConnection``), and on PostgreSQL every as-of transaction begins
READ ONLY besides (asyncpg's transaction option: no statement more). The views bind the live
tables' columns when the connection is made: a migration that drops or retypes a versioned
column must not run while another process holds as-of connections (on PostgreSQL it is refused
for the view's dependency; restart or dispose the as-of pools first). The views are session
state: behind a pooler, the as-of pool needs session pooling (PgBouncer's transaction pooling
would hand its views to other clients' transactions).

Rows touched through the ORM without an audit row of their own (e.g. outcomes written with their
aim) are versioned at the position of the next audit row in the same transaction, or the last one
before commit. A table written only by raw SQL without an audit row is not versioned: audit it.

Bulk writers (Core INSERTs with ``audit.record_many``) bypass the session hooks. Their audit
rows are queued and inserted at commit like any other; ORM rows such a transaction touched are
versioned at its bulk rows' position, and the commit records its position like any other.

Append-only tables (``register(..., append_only=("measurement",))``: rows only ever inserted,
each with its own ``create`` audit row, e.g. KPI values, where a restatement is a new row) get no
history table at all: the row's audit row already says at which position it appeared, so the
as-of view is the live table filtered to rows whose ``create`` entry is at or before the cut (an
indexed probe of the audit table per row). Writers pay nothing for history (a bulk push inserts
nothing more), which is why it was chosen over copying each pushed row into a history table.

Adopting it in a service: see docs/asof.md.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import partial
from typing import Annotated, Any
from weakref import WeakKeyDictionary

import strawberry
from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    event,
    func,
    inspect,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.extensions import FieldExtension
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

from services.common import audit, clock, tracing
from services.common.auth import Reader
from services.common.db import Transaction, UTCDateTime, create_engine, utcnow
from services.common.errors import DomainError, FieldError

log = logging.getLogger(__name__)

FROM = "asof_from"
TO = "asof_to"
PREFIX = "asof_"
COMMITS = "asof_commit"
HEADER = "CPMO-Cut"
HEADER_AT = "CPMO-Cut-At"
# One cut per service for a whole GraphQL operation, root fields and ``_entities`` alike:
# ``CPMO-Cuts: programmes=120, risks=45``. The gateway passes it to every subgraph; each reads
# its own entry and ignores the others'; a service not named reads live.
CUTS_HEADER = "CPMO-Cuts"
_CUTS_ENTRY = re.compile(r"([a-z][a-z0-9-]{0,39})=([^\s,=]{1,40})")

_CUT = "asof.cut"  # session.info key: this session reads at a cut
_PENDING = "asof.pending"  # session.info key: (table, pk) touched since the last audit row
_LAST = "asof.last"  # session.info key: the last position written in this transaction
_POSITION = re.compile(r"[0-9]{1,18}")
_POSITION_TYPE = BigInteger().with_variant(Integer, "sqlite")


class ReadOnly(DomainError):
    status = 409
    code = "read-only-cut"
    title = "A cut is read-only"


class Cut(BaseModel):
    """A position of a service's change feed, and the time it was committed."""

    position: int
    at: datetime | None
    origin: int


@dataclass
class History:
    """One service's history: its live tables, their history tables, its audit table."""

    metadata: MetaData
    audit: Table
    commits: Table
    tables: dict[str, tuple[Table, Table]] = field(default_factory=dict)
    # Append-only live tables: the as-of view filters them by their create audit rows.
    append_only: dict[str, Table] = field(default_factory=dict)
    # Live engine -> its as-of engine (``engine_at``).
    _engines: WeakKeyDictionary[Engine, AsyncEngine] = field(
        default_factory=WeakKeyDictionary, repr=False, compare=False
    )

    # -- reading -----------------------------------------------------------------------------

    def session(self, engine: AsyncEngine, cut: Cut | None) -> AsyncSession:
        """A session reading live state, or the state at ``cut`` (read-only)."""
        if cut is None:
            return AsyncSession(engine, expire_on_commit=False)
        session = AsyncSession(self.engine_at(engine), expire_on_commit=False)
        session.sync_session.info[_CUT] = (self, cut)
        return session

    async def current(self, session: AsyncSession) -> Cut:
        origin = await self._origin(session)
        row = (
            await session.exec(  # type: ignore[call-overload]
                select(func.max(self.audit.c.id))
            )
        ).first()
        position = max(origin, int(row[0]) if row and row[0] is not None else 0)
        return Cut(position=position, at=await self._committed(session, position), origin=origin)

    async def _committed(self, session: AsyncSession, position: int) -> datetime | None:
        """When the transaction that wrote ``position`` committed."""
        row = (
            await session.exec(  # type: ignore[call-overload]
                select(self.commits.c.at)
                .where(self.commits.c.position >= position)
                .order_by(self.commits.c.position)
                .limit(1)
            )
        ).first()
        return None if row is None else row[0]

    async def resolve(self, session: AsyncSession, raw: str, *, field: str) -> Cut:
        """``raw`` (a position, or an ISO-8601 instant with offset) as a cut, or a FieldError."""
        raw = raw.strip()
        now = await self.current(session)
        if _POSITION.fullmatch(raw):
            position = int(raw)
            if position > now.position:
                raise FieldError(
                    f"position {position} is after the current cut {now.position}", field=field
                )
            if position < now.origin:
                raise FieldError(
                    f"history begins at position {now.origin}; {position} is before it",
                    field=field,
                )
            at = await self._committed(session, position)
            return Cut(position=position, at=at, origin=now.origin)
        instant = parse_instant(raw, field=field)
        if instant > utcnow():
            raise FieldError(f"{raw} is in the future", field=field)
        return await self.at_time(session, instant, field=field, origin=now.origin)

    async def at_time(
        self, session: AsyncSession, instant: datetime, *, field: str, origin: int
    ) -> Cut:
        """The last position committed at or before ``instant``."""
        begun = (
            await session.exec(  # type: ignore[call-overload]
                select(func.min(self.commits.c.at))
            )
        ).first()
        if begun and begun[0] is not None and instant < begun[0]:
            raise FieldError(
                f"history begins at {begun[0].isoformat()}; {instant.isoformat()} is before it",
                field=field,
            )
        row = (
            await session.exec(  # type: ignore[call-overload]
                select(self.commits.c.position, self.commits.c.at)
                .where(self.commits.c.at <= instant)
                .order_by(self.commits.c.position.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return Cut(position=origin, at=None, origin=origin)
        return Cut(position=row[0], at=row[1], origin=origin)

    async def _origin(self, session: AsyncSession) -> int:
        row = (
            await session.exec(  # type: ignore[call-overload]
                select(func.min(self.commits.c.position))
            )
        ).first()
        return int(row[0]) if row and row[0] is not None else 0

    # -- the as-of pool ----------------------------------------------------------------------

    def engine_at(self, engine: AsyncEngine) -> AsyncEngine:
        """The as-of engine beside ``engine``: the same database through a pool of its own, whose
        connections each shadow every registered table with a view once, when they connect
        (see the module's docstring). Made on first use and disposed with ``engine``."""
        made = self._engines.get(engine.sync_engine)
        if made is None:
            made = self._engines[engine.sync_engine] = _as_of_engine(self, engine)
        return made

    def _views(self, dialect: str, schema: str) -> list[str]:
        """The statements shadowing each registered table with a view of its state at the
        transaction's cut (``_set_cut``); ``schema`` is where the live tables are."""
        if dialect == "postgresql":
            # A transaction-local setting: unset (or '' after a transaction set it), the cast
            # fails, so a view can never be read without a cut. It is stable within a
            # statement, so the planner still probes the history's indexes with it.
            cut = "current_setting('cpmo.cut')::bigint"
        else:
            cut = f"(SELECT position FROM temp.{_CUT_TABLE})"
        statements = []
        # Append-only views first: they name the live table by its schema, which on PostgreSQL
        # binds it at creation; on SQLite a view is its text, and the schema keeps it apart
        # from the view of the same name.
        for name, live in self.append_only.items():
            columns = ", ".join(f'live."{c.name}"' for c in live.columns)
            [key] = live.primary_key.columns
            statements.append(
                f'CREATE TEMPORARY VIEW "{name}" AS SELECT {columns} '
                f'FROM "{schema}"."{name}" AS live WHERE EXISTS (SELECT 1 FROM '
                f'"{schema}"."{self.audit.name}" AS a WHERE a.entity = \'{name}\' '
                f"AND a.action = 'create' AND a.entity_id = CAST(live.\"{key.name}\" AS "
                f"VARCHAR(100)) AND a.id <= {cut})"
            )
        for name, (live, history) in self.tables.items():
            columns = ", ".join(f'"{c.name}"' for c in live.columns)
            statements.append(
                f'CREATE TEMPORARY VIEW "{name}" AS SELECT {columns} FROM "{history.name}" '
                f'WHERE "{FROM}" <= {cut} AND ("{TO}" IS NULL OR "{TO}" > {cut})'
            )
        return statements

    def _shadow(self, dbapi_connection: Any, record: Any, dialect: str) -> None:
        """A new connection of the as-of pool: create its views (once for its life) and mark it,
        so it is never taken for a live read or a write (``_begin_at_cut``)."""
        if dialect == "postgresql":
            # One round trip as a script (asyncpg's simple protocol), outside any transaction,
            # so the views live as long as the connection.
            driver = dbapi_connection.driver_connection
            schema = await_only(driver.fetchval("SELECT current_schema()"))
            await_only(driver.execute(";\n".join(self._views(dialect, schema))))
            # Every transaction BEGINs READ ONLY (asyncpg's transaction option): no round trip
            # more, and PostgreSQL itself refuses a write through a view.
            dbapi_connection.readonly = True
        else:
            cursor = dbapi_connection.cursor()
            cursor.execute(
                f"CREATE TEMPORARY TABLE {_CUT_TABLE} (one INTEGER PRIMARY KEY CHECK (one = 1), "
                "position INTEGER NOT NULL)"
            )
            for statement in self._views(dialect, "main"):
                cursor.execute(statement)
            cursor.close()
        record.info[_VIEWS] = self

    def _set_cut(self, connection: Connection, position: int) -> None:
        """The one statement an as-of read pays: its transaction's cut, gone with it."""
        if connection.dialect.name == "postgresql":
            connection.execute(_SET_CUT_PG, {"cut": str(int(position))})
        else:
            connection.execute(_SET_CUT_SQLITE, {"cut": int(position)})

    # -- FastAPI -----------------------------------------------------------------------------

    async def read_session(
        self,
        request: Request,
        response: Response,
        cut: Annotated[
            str | None,
            Query(
                max_length=40,
                description="read as of this change-feed position, or the last position "
                "committed at or before this ISO-8601 instant (with offset); see GET /cut",
            ),
        ] = None,
        cuts: Annotated[
            str | None,
            Header(
                alias=CUTS_HEADER,
                description="one cut per service (service=cut, separated by commas): this "
                "service reads as of its own entry, as GraphQL does; a ?cut= must agree with it",
            ),
        ] = None,
    ) -> AsyncIterator[AsyncSession]:
        """The REST read dependency: live, or as of ``?cut=`` or this service's entry of the
        ``CPMO-Cuts`` header (naming the cut in a header). Declare it once per service:
        ``Annotated[AsyncSession, Depends(history.read_session, scope="function")]``."""
        engine = request.app.state.engine
        raw, field = requested_cut(cut, cuts, request.app.state.settings.service_name)
        if raw is None:
            async with Transaction(engine) as session:
                yield session
            return
        async with self.session(engine, None) as probe:
            at = await self.resolve(probe, raw, field=field)
        set_cut_headers(response.headers, at)
        async with self.session(engine, at) as session:
            yield session

    def router(self) -> APIRouter:
        router = APIRouter(tags=["changes"])

        @router.get("/cut", response_model=Cut)
        async def get_cut(
            request: Request,
            response: Response,
            _: Reader,
            at: Annotated[
                str | None,
                Query(
                    max_length=40,
                    description="the last position committed at or before this ISO-8601 "
                    "instant; omit for the current position",
                ),
            ] = None,
        ) -> Cut:
            async with self.session(request.app.state.engine, None) as session:
                if at is None:
                    cut = await self.current(session)
                else:
                    instant = parse_instant(at.strip(), field="at")
                    if instant > utcnow():
                        raise FieldError(f"{at} is in the future", field="at")
                    cut = await self.at_time(
                        session, instant, field="at", origin=await self._origin(session)
                    )
            set_cut_headers(response.headers, cut)
            return cut

        return router

    # -- GraphQL -----------------------------------------------------------------------------

    def queryable(self, query: type) -> type:
        """Give every root field of ``query`` a ``cut`` argument (see :class:`AsOfArgument`)."""
        for strawberry_field in query.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            taken = {a.python_name for a in strawberry_field.arguments}
            if "cut" in taken and not any(
                isinstance(e, AsOfArgument) for e in strawberry_field.extensions
            ):
                raise TypeError(f"{strawberry_field.python_name} has an argument 'cut' already")
            if not any(isinstance(e, AsOfArgument) for e in strawberry_field.extensions):
                strawberry_field.extensions.append(AsOfArgument(self))
        return query

    def cut_query(self, name: str) -> type:
        """A query type with one root field ``name(at: String): Cut!``: the service's current
        cut, or the last one committed at or before ``at``. Named per service (programmesCut,
        risksCut) so that through the gateway a query can pass one cut per service."""
        history = self

        async def resolve(
            info: strawberry.Info,
            at: Annotated[
                str | None,
                strawberry.argument(
                    description="the last position committed at or before this ISO-8601 "
                    "instant; omit for the current position"
                ),
            ] = None,
        ) -> CutType:
            async with history.session(info.context.engine, None) as session:
                if at is None:
                    cut = await history.current(session)
                else:
                    instant = parse_instant(at.strip(), field="at")
                    if instant > utcnow():
                        raise FieldError(f"{at} is in the future", field="at")
                    cut = await history.at_time(
                        session, instant, field="at", origin=await history._origin(session)
                    )
            return CutType(position=str(cut.position), at=cut.at, origin=str(cut.origin))

        field = strawberry.field(
            resolver=resolve,
            name=name,
            description="this service's change-feed position now (or at an instant): pass it "
            "as cut to read every root field as of it",
        )
        return strawberry.type(type(f"{name[0].upper()}{name[1:]}Query", (), {name: field}))


def cut_of(session: AsyncSession) -> Cut | None:
    """The cut ``session`` reads at, or None when it reads live."""
    found = session.sync_session.info.get(_CUT)
    return None if found is None else found[1]


def day_of(session: AsyncSession, timezone: tzinfo) -> date | None:
    """The day "today" is at the session's cut (overdue flags, SMART checks), or None live."""
    cut = cut_of(session)
    if cut is None:
        return None
    return (cut.at or utcnow()).astimezone(timezone).date()


def today(session: AsyncSession) -> date:
    """The council's "today" for ``session``: the cut's day when it reads at a cut, else the
    wall clock's (UK)."""
    return day_of(session, clock.COUNCIL_TIMEZONE) or clock.today()


def set_cut_headers(headers: Any, cut: Cut) -> None:
    headers[HEADER] = str(cut.position)
    if cut.at is not None:
        headers[HEADER_AT] = cut.at.isoformat()


def parse_instant(raw: str, *, field: str) -> datetime:
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise FieldError(
            f"{raw!r} is neither a change-feed position nor an ISO-8601 instant", field=field
        ) from exc
    if instant.tzinfo is None:
        raise FieldError(f"{raw!r} has no UTC offset; say Z or +00:00", field=field)
    return instant.astimezone(UTC)


@strawberry.federation.type(
    name="Cut",
    shareable=True,
    description="A position of a service's change feed: pass it as cut to read as of it",
)
class CutType:
    """A position of a service's change feed (decimal, as the ``cut`` argument takes it)."""

    position: str = strawberry.field(description="the position, in decimal")
    at: datetime | None = strawberry.field(
        description="when the transaction that wrote it committed; null before any"
    )
    origin: str = strawberry.field(description="the position this service's history begins at")


class AsOfArgument(FieldExtension):
    """Adds ``cut: String`` to a root query field. One operation reads one cut: every root
    field naming ``cut`` must name the same one, and none may read live beside it, because
    the operation's DataLoaders are shared by all its fields."""

    def __init__(self, history: History) -> None:
        self.history = history

    def apply(self, field: StrawberryField) -> None:
        from strawberry.annotation import StrawberryAnnotation

        field.arguments.append(
            StrawberryArgument(
                python_name="cut",
                graphql_name="cut",
                type_annotation=StrawberryAnnotation(StrawberryOptional(str)),
                default=None,
                description="read as of this change-feed position or ISO-8601 instant",
            )
        )

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("as-of reads are async")

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        raw, field = requested_cut(
            kwargs.pop("cut", None),
            getattr(info.context, "cuts_header", None),
            info.context.service,
        )
        await cut_for(info.context, self.history, raw, field=field)
        result = next_(source, info, **kwargs)
        if hasattr(result, "__await__"):
            result = await result
        return result


def history_of(query: type | None) -> History | None:
    """The history whose ``cut`` argument ``query``'s root fields take (see ``queryable``)."""
    definition = getattr(query, "__strawberry_definition__", None)
    for strawberry_field in definition.fields if definition else ():
        for extension in strawberry_field.extensions:
            if isinstance(extension, AsOfArgument):
                return extension.history
    return None


async def entities_cut(context: Any, history: History) -> None:
    """Before ``_entities`` reads (the gateway's fetch of a federated field), settle the cut the
    ``CPMO-Cuts`` header names for this service, so the field reads the same state as the
    root fields of the operation did."""
    header = header_cut(context)
    if header is not None:
        await cut_for(context, history, header, field=CUTS_HEADER)


def parse_cuts(raw: str) -> dict[str, str]:
    """The ``CPMO-Cuts`` header as {service: cut}, or a FieldError naming the header: entries
    ``service=cut`` separated by commas, each service at most once."""
    found: dict[str, str] = {}
    entries = raw.split(",")
    if len(raw) > 1000 or not raw.strip():
        raise FieldError(f"{CUTS_HEADER} must name 1 to 20 cuts, service=cut", field=CUTS_HEADER)
    for entry in entries:
        match = _CUTS_ENTRY.fullmatch(entry.strip())
        if match is None:
            raise FieldError(
                f"{CUTS_HEADER} entry {entry.strip()[:60]!r} is not service=cut "
                "with the service's name, e.g. name=120 or name=2026-12-01T00:00:00Z",
                field=CUTS_HEADER,
            )
        service, cut = match.groups()
        if service in found:
            raise FieldError(f"{CUTS_HEADER} names {service} twice", field=CUTS_HEADER)
        found[service] = cut
    if len(found) > 20:
        raise FieldError(f"{CUTS_HEADER} must name 1 to 20 cuts, service=cut", field=CUTS_HEADER)
    return found


def requested_cut(raw: str | None, cuts_header: str | None, service: str) -> tuple[str | None, str]:
    """The cut one read asks for (None: live) and the field to name if it is refused: the
    ``cut`` argument (GraphQL) or ``?cut=`` (REST), or ``service``'s entry of the ``CPMO-Cuts``
    header; both may be given only if they agree. A malformed header is refused even when it
    names no cut for ``service``."""
    header = None if cuts_header is None else parse_cuts(cuts_header).get(service)
    if header is not None and raw is not None and raw.strip() != header:
        raise FieldError(
            f"cut {raw.strip()!r} conflicts with the {CUTS_HEADER} header's "
            f"{service}={header}: one operation reads one cut",
            field="cut",
        )
    if header is not None:
        return header, CUTS_HEADER
    return raw, "cut"


def header_cut(context: Any) -> str | None:
    """This service's entry of the operation's ``CPMO-Cuts`` header, or None (read live)."""
    raw = getattr(context, "cuts_header", None)
    if raw is None:
        return None
    return parse_cuts(raw).get(context.service)


async def cut_for(context: Any, history: History, raw: str | None, *, field: str = "cut") -> None:
    """Settle the operation's cut once; every later root field must ask for the same, and
    waits for it, so no field reads before the cut is known."""
    settled: tuple[str | None, asyncio.Future[Cut | None]] | None = getattr(
        context, "as_of_settled", None
    )
    if settled is None:
        future: asyncio.Future[Cut | None] = asyncio.get_running_loop().create_future()
        context.as_of_settled = (raw, future)
        try:
            cut = None
            if raw is not None:
                async with history.session(context.engine, None) as session:
                    cut = await history.resolve(session, raw, field=field)
                context.cut_session = partial(history.session, context.engine, cut)
                response = getattr(context, "response", None)
                if response is not None:
                    set_cut_headers(response.headers, cut)
            future.set_result(cut)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: each waiting field re-raises it
            raise
        return
    if settled[0] != raw:
        raise FieldError("every root field of one operation must read the same cut", field="cut")
    await asyncio.shield(settled[1])


# -- the as-of pool ---------------------------------------------------------------------------

_VIEWS = "asof.views"  # connection record info key: the history whose views this connection has
_CUT_TABLE = "asof_cut"  # SQLite: the one-row temporary table holding the transaction's cut
_SET_CUT_PG = text("SELECT set_config('cpmo.cut', :cut, true)")
_SET_CUT_SQLITE = text(f"INSERT INTO temp.{_CUT_TABLE} (one, position) VALUES (1, :cut)")


class ShadowedConnection(RuntimeError):
    """A connection whose views shadow the live tables was asked to read live or write, or a
    read at a cut reached a connection without its views: a bug, never a caller's error."""


def _as_of_engine(history: History, live: AsyncEngine) -> AsyncEngine:
    pool = live.sync_engine.pool
    if isinstance(pool, QueuePool):
        # Sized like the live pool; opened lazily, so a service never read at a cut opens none.
        options: dict[str, Any] = {
            "pool_size": pool.size(),
            "max_overflow": getattr(pool, "_max_overflow", 10),
            "pool_pre_ping": getattr(pool, "_pre_ping", True),
        }
    else:
        options = {"poolclass": type(pool)}
    made = create_engine(live.url.render_as_string(hide_password=False), **options)
    dialect = made.dialect.name
    event.listen(made.sync_engine, "connect", partial(_on_connect, history, dialect))

    def dispose(_engine: Engine) -> None:
        # Awaited inside AsyncEngine.dispose (a greenlet): close the connections; called
        # synchronously, only forget them, as Engine.dispose(close=False) does.
        made.sync_engine.dispose(close=in_greenlet())

    event.listen(live.sync_engine, "engine_disposed", dispose)
    if tracing.instrumenting():
        tracing.instrument_engine(made)
    return made


def _on_connect(history: History, dialect: str, dbapi_connection: Any, record: Any) -> None:
    history._shadow(dbapi_connection, record, dialect)


def _begin_at_cut(session: Session, connection: Connection) -> None:
    """A read at a cut sets its cut on its connection, which must be an as-of connection of its
    history; any other session must never get one (its reads would be the past, its writes
    would go nowhere)."""
    cut = session.info.get(_CUT)
    views = connection.info.get(_VIEWS)
    if cut is None:
        if views is not None:
            raise ShadowedConnection("a live read or a write reached an as-of connection")
        return
    history: History = cut[0]
    if views is not history:
        raise ShadowedConnection("a read at a cut reached a connection without its views")
    history._set_cut(connection, cut[1].position)


# -- registering and writing -------------------------------------------------------------------

_histories: dict[str, History] = {}  # live table key -> its service's history (per metadata)


def register(
    base: type[SQLModel],
    audit: type[SQLModel],
    *,
    exclude: Iterable[str] = (),
    append_only: Iterable[str] = (),
) -> History:
    """Give every table of ``base``'s metadata (but the audit table and ``exclude``) a history
    table in the same metadata. Call after all the service's models are imported.

    ``append_only`` tables are never updated or deleted and audit each insert as ``create``
    with the row's id: they get no history table (see the module's docstring)."""
    metadata = base.metadata
    audit_table: Table = audit.__table__  # type: ignore[attr-defined]
    skipped = {audit_table.name, COMMITS, *exclude}
    commits = metadata.tables.get(COMMITS)
    if commits is None:
        commits = Table(
            COMMITS,
            metadata,
            Column("position", _POSITION_TYPE, primary_key=True, autoincrement=False),
            Column("at", UTCDateTime(), nullable=False, index=True),
        )
    history = History(metadata=metadata, audit=audit_table, commits=commits)
    append_only = tuple(append_only)
    for name in append_only:
        history.append_only[name] = metadata.tables[name]
    for live in list(metadata.sorted_tables):
        if live.name in skipped or live.name.startswith(PREFIX) or live.name in append_only:
            continue
        history.tables[live.name] = (live, _history_table(live, metadata))
        _histories[_key(live)] = history
    _histories[_key(audit_table)] = history
    return history


def backfill(bind: Connection, tables: Iterable[str]) -> None:
    """For a migration adding history tables: today's rows of ``tables`` become the first version
    of each, as of the current position, which becomes where the history begins (its origin)."""
    position = bind.execute(text("SELECT COALESCE(MAX(id), 0) FROM audit_entry")).scalar_one()
    for table in tables:
        columns = [c["name"] for c in inspect(bind).get_columns(table)]
        names = ", ".join(f'"{c}"' for c in columns)
        bind.execute(
            text(
                f'INSERT INTO "{PREFIX}{table}" ({names}, {FROM}) '
                f'SELECT {names}, :position FROM "{table}"'
            ),
            {"position": position},
        )
    bind.execute(
        text(f"INSERT INTO {COMMITS} (position, at) VALUES (:position, :at)"),
        {"position": position, "at": datetime.now(UTC)},
    )


def _key(table: Table) -> str:
    return f"{id(table.metadata)}:{table.name}"


def _history_table(live: Table, metadata: MetaData) -> Table:
    name = PREFIX + live.name
    if name in metadata.tables:
        return metadata.tables[name]
    columns = [
        Column(c.name, c.type, nullable=c.nullable, primary_key=c.primary_key, autoincrement=False)
        for c in live.columns
    ]
    history = Table(
        name,
        metadata,
        *columns,
        Column(FROM, _POSITION_TYPE, primary_key=True, autoincrement=False),
        # No index of its own: planners took it for "open rows" and scanned them all.
        Column(TO, _POSITION_TYPE, nullable=True),
    )
    # The live table's lookups (foreign keys, unique keys, indexes) stay fast in the past.
    seen: set[tuple[str, ...]] = set()
    keyed = [tuple(c.name for c in ix.columns) for ix in live.indexes]
    keyed += [tuple(c.name for c in uq.columns) for uq in live.constraints if _unique(uq)]  # type: ignore[attr-defined]
    for names in keyed:
        if names and names not in seen and all(n in history.c for n in names):
            seen.add(names)
            Index(f"ix_{name}_{'_'.join(names)}"[:63], *(history.c[n] for n in names))
    return history


def _unique(constraint: Any) -> bool:
    return type(constraint).__name__ == "UniqueConstraint"


def _pk(live: Table, table: Table, values: Iterable[Any]) -> Any:
    """``table``'s rows with the live primary key ``values`` (the history's key adds a position)."""
    names = [c.name for c in live.primary_key.columns]
    return and_(*(table.c[n] == v for n, v in zip(names, values, strict=True)))


def _write_versions(session: Session, position: int) -> None:
    pending: set[tuple[str, tuple[Any, ...]]] = session.info.pop(_PENDING, set())
    connection = session.connection()
    for key, pk in sorted(pending, key=repr):
        history = _histories.get(key)
        if history is None:
            continue
        live, past = history.tables[key.split(":", 1)[1]]
        connection.execute(
            past.update()
            .where(_pk(live, past, pk), past.c[TO].is_(None), past.c[FROM] < position)
            .values({TO: position})
        )
        # A second change to the row at the same position replaces that position's version.
        connection.execute(past.delete().where(_pk(live, past, pk), past.c[FROM] == position))
        names = [c.name for c in live.columns]
        connection.execute(
            past.insert().from_select(
                [*names, FROM],
                select(*live.columns, literal(position, _POSITION_TYPE)).where(_pk(live, live, pk)),
            )
        )
        if position >= audit.PLACEHOLDER:
            session.info.setdefault(_PLACED, set()).add((key, pk))
    session.info[_LAST] = position


def _touch(session: Session, obj: Any) -> None:
    table = getattr(type(obj), "__table__", None)
    if table is None or _key(table) not in _histories:
        return
    history = _histories[_key(table)]
    if table is history.audit or table.name not in history.tables:
        return
    pk = tuple(getattr(obj, c.key) for c in table.primary_key.columns)
    if any(v is None for v in pk):
        return
    session.info.setdefault(_PENDING, set()).add((_key(table), pk))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if _CUT in session.info:
        return
    for obj in [*session.new, *session.dirty, *session.deleted]:
        table = getattr(type(obj), "__table__", None)
        if (
            table is not None
            and _key(table) in _histories
            and _histories[_key(table)].audit is table
        ):
            # It would take its id now, before commit, out of the feed's order (audit.py).
            raise TypeError("audit rows are written with audit.record or audit.record_many")
        _touch(session, obj)


# -- positions at commit (audit.py queues audit rows; these hooks version them) -----------------
#
# A change's versions are written when its audit row is queued, at a placeholder position (see
# ``audit.PLACEHOLDER``) and without the ordering lock; at commit, under the lock, once the audit
# rows have their ids, one UPDATE per touched history table moves them to their real positions.

_PLACED = "asof.placed"  # session.info key: (table, pk) with versions at a placeholder position
_FOLDED = "asof.folded"  # session.info key: the audit INSERT's statement moved them already


def _versions_queued(session: Session, group: audit.Queued) -> None:
    """``audit.record`` queued one row: version what changed since the last, at its placeholder.
    A bulk group (``record_many``) versions the ORM rows it touched at commit, at its position."""
    if _CUT in session.info or _key(group.table) not in _histories:
        return
    history = _histories[_key(group.table)]
    session.info["asof.history"] = history
    if group.bulk:
        session.info[_LAST] = group.placeholder
        return
    [row] = group.rows
    live = history.tables.get(row["entity"])
    if live is not None and len(live[0].primary_key.columns) == 1:
        column = next(iter(live[0].primary_key.columns))
        try:
            value = column.type.python_type(row["entity_id"])
        except (TypeError, ValueError, NotImplementedError):
            value = row["entity_id"]
        session.info.setdefault(_PENDING, set()).add((_key(live[0]), (value,)))
    _write_versions(session, group.placeholder)


def _versions_closing(session: Session, queue: list[audit.Queued]) -> None:
    """Before the lock: rows changed after the last audit row are versioned with it."""
    if _CUT in session.info:
        raise ReadOnly("a read at a cut cannot write; read live to change anything")
    if not session.info.get(_PENDING) or "asof.history" not in session.info:
        return
    history: History = session.info["asof.history"]
    ours = [g.placeholder for g in queue if g.table is history.audit]
    if not ours:
        return  # every audit row was undone with its savepoint: nothing to version
    last = session.info.get(_LAST)
    _write_versions(session, last if last in ours else ours[-1])


def _versions_folded(session: Session, queue: list[audit.Queued], table: Table) -> audit.Fold:
    """On PostgreSQL, :func:`_versions_placed` as SQL in the statement that inserts the audit
    rows (audit.py), so the ordering lock is held for one round trip: one UPDATE per touched
    history table, and the commit's position."""
    if _key(table) not in _histories:
        return audit.Fold(ctes=[], params={})
    history = _histories[_key(table)]
    placed: set[tuple[str, tuple[Any, ...]]] = session.info.get(_PLACED, set())
    ctes: list[str] = []
    params: dict[str, Any] = {"asof_placeholder": audit.PLACEHOLDER}
    dialect = session.connection().dialect
    keys = sorted({key for key, _ in placed if _histories.get(key) is history})
    for n, key in enumerate(keys):
        live, past = history.tables[key.split(":", 1)[1]]
        columns = list(live.primary_key.columns)
        pks = sorted(pk for k, pk in placed if k == key)
        arrays = []
        for i, column in enumerate(columns):
            params[f"asof_pk{n}_{i}"] = [pk[i] for pk in pks]
            arrays.append(f"CAST(:asof_pk{n}_{i} AS {column.type.compile(dialect=dialect)}[])")
        moved = {
            name: f'"{name}" = CASE WHEN h."{name}" >= :asof_placeholder '
            f'THEN h."{name}" + m.shift ELSE h."{name}" END'
            for name in (FROM, TO)
        }
        names = ", ".join(f'h."{c.name}"' for c in columns)
        ctes.append(
            f'asof_u{n} AS (UPDATE "{past.name}" AS h SET {moved[FROM]}, {moved[TO]} FROM m '
            f"WHERE ({names}) IN (SELECT * FROM unnest({', '.join(arrays)})) "
            f'AND (h."{FROM}" >= :asof_placeholder OR h."{TO}" >= :asof_placeholder))'
        )
    # The time is taken under the lock (not when the statement was built), so commit times
    # rise with positions and a cut by time is exact.
    ctes.append(
        f'asof_c AS (INSERT INTO "{history.commits.name}" (position, at) '
        "SELECT last, clock_timestamp() FROM m)"
    )
    session.info[_FOLDED] = True
    return audit.Fold(ctes=ctes, params=params)


def _versions_placed(session: Session, queue: list[audit.Queued]) -> None:
    """Under the lock, the audit rows inserted: each version at a placeholder takes the position
    of its audit row, and the commit records its position (for cuts by time)."""
    placed: set[tuple[str, tuple[Any, ...]]] = session.info.pop(_PLACED, set())
    if session.info.pop(_FOLDED, False):
        return  # done in the INSERT's statement
    connection = session.connection()
    for table in dict.fromkeys(g.table for g in queue):
        if _key(table) not in _histories:
            continue
        history = _histories[_key(table)]
        moves: dict[int, int] = {}
        for group in queue:
            if group.table is table and group.position is not None:
                moves[group.placeholder] = group.position
        if not moves:
            continue
        touched = [(key, pk) for key, pk in placed if _histories.get(key) is history]
        for key in sorted({key for key, _ in touched}):
            live, past = history.tables[key.split(":", 1)[1]]
            pks = sorted(pk for k, pk in touched if k == key)
            for start in range(0, len(pks), 500):
                _move(connection, live, past, pks[start : start + 500], moves)
        connection.execute(
            history.commits.insert().values(position=max(moves.values()), at=utcnow())
        )


def _move(
    connection: Connection,
    live: Table,
    past: Table,
    pks: list[tuple[Any, ...]],
    moves: dict[int, int],
) -> None:
    """Move ``pks``' versions from placeholder positions to real ones, in one UPDATE."""
    placeholders = sorted(moves)
    first = placeholders[0]
    # Queue order is id order and the ids one INSERT drew are consecutive (the lock), so one
    # shift does it; otherwise (someone drew ids around the lock) each placeholder is named.
    shift = moves[first] - first
    if all(moves[p] - p == shift for p in placeholders):

        def moved(column: Any) -> Any:
            return case((column >= audit.PLACEHOLDER, column + shift), else_=column)

    else:

        def moved(column: Any) -> Any:
            return case(moves, value=column, else_=column)

    names = [c.name for c in live.primary_key.columns]
    chosen: ColumnElement[bool]
    if len(names) == 1:
        chosen = past.c[names[0]].in_([pk[0] for pk in pks])
    else:
        chosen = or_(*(_pk(live, past, pk) for pk in pks))
    connection.execute(
        past.update()
        .where(chosen, or_(past.c[FROM] >= audit.PLACEHOLDER, past.c[TO] >= audit.PLACEHOLDER))
        .values({FROM: moved(past.c[FROM]), TO: moved(past.c[TO])})
    )


audit.queued_hooks.append(_versions_queued)
audit.closing_hooks.append(_versions_closing)
audit.inserted_hooks.append(_versions_placed)
audit.fold_hooks.append(_versions_folded)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if _CUT in session.info:
        raise ReadOnly("a read at a cut cannot write; read live to change anything")
    session.flush()
    if session.info.get(_PENDING) and not audit.queued(session):
        session.info.pop(_PENDING, None)
        log.warning("unaudited change to a versioned table has no position; not versioned")


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, _transaction: Any, connection: Connection) -> None:
    _begin_at_cut(session, connection)


_WRITING = (_PENDING, _LAST, "asof.history")


def _forget(session: Session, *args: Any) -> None:
    # A rolled-back savepoint keeps the versions written before it at placeholders: they still
    # move to their positions at commit (those written inside it are gone with it).
    nested = bool(args) and getattr(args[0], "nested", False)
    for key in _WRITING if nested else (*_WRITING, _PLACED, _FOLDED):
        session.info.pop(key, None)


event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_soft_rollback", _forget)
