"""Every write records who, when, what, before and after, in the writer's own transaction.

Each service declares its own ``AuditEntry`` table with :func:`audit_model` (its own metadata)
and its one way to record with :class:`Recorder`::

    AuditEntry = audit.audit_model(Base)
    record = audit.Recorder(AuditEntry)
    ...
    before = audit.snapshot(row)
    row.title = "..."
    await record(session, actor, "update", row, before)

The change feed (``GET /changes``) reads the table in id order.

Positions follow commit order, and only the commit is serialised
------------------------------------------------------------------
An audit id is a position: of the change feed (``GET /changes?after=N``) and of as-of reads
("as of position N", services/common/asof.py). Both need ids to become visible in id order: a
follower that has read N must never later meet an id below N committed late, and a cut at N
must hold everything at or below N for good. So an id must be drawn only when nothing can
commit before it.

:func:`record` and :func:`record_many` therefore do not insert the audit row: they queue it on
the session (with the time, actor and request id of the call); the change itself, and its
as-of versions at a placeholder position, are written at once, without any lock. At commit (a
``before_commit`` hook, :func:`_insert_queued`) the writer takes the ordering lock and inserts
the queued rows, ids drawn in queue order, and the as-of history moves its versions to those
ids and records the commit's position; on PostgreSQL all of that is one statement
(:func:`_insert_folded`), so the lock is held for one round trip and the COMMIT. Before, it was
held from the first audit row to the commit: the rest of the request's statements, the round
trips back to a busy event loop between them, and the COMMIT.

What holds, and why. Writers in every process and replica still commit one at a time: the lock
is held through COMMIT (its WAL flush is the floor of the hold), so an id is drawn by the only
transaction that can commit next, and ids become visible in id order. A follower that has read
N never meets a smaller id later, and a cut at N is exact: a write in flight while the cut is
taken has no id yet, so it is wholly after the cut, before and after it commits. A
transaction's ids are consecutive. Every change is audited in its own transaction: the rows
are inserted before its COMMIT, or not at all; a rolled-back savepoint drops the rows queued
inside it. Whoever inserts audit rows by other means takes the lock first in the same
statement or transaction and commits right after (the kpis push's one statement does).
Writes per second with 1 and 2 processes, before and after: bench/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, BigInteger, Column, Integer, Table, event, insert, text
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.db import utc_column, utcnow
from services.common.logging import request_id_var

# Audit writers take this PostgreSQL advisory lock at commit (see the module's docstring) and
# hold it through COMMIT, so audit ids become visible in id order. Anyone inserting audit rows
# by other means (the kpis push's one statement) takes it first, in the same transaction.
ORDER_LOCK = 72201

# session.info key: the audit rows this transaction queued, inserted at commit (a list of Queued)
QUEUE = "audit.queue"
_MARKS = "audit.marks"  # session.info key: queue length at each open savepoint
# Until commit a queued group's position is this plus the number of rows its table has queued
# up to and including its own: larger than any real position, in queue order, and never seen by
# anyone else (the as-of history moves its versions to the real position before COMMIT).
PLACEHOLDER = 1 << 62


@dataclass
class Queued:
    """Audit rows queued by one ``record`` (one row) or ``record_many`` call (``bulk``)."""

    table: Table
    rows: list[dict[str, Any]]
    bulk: bool
    placeholder: int  # the group's position until commit
    position: int | None = None  # the id of its last row, once inserted


# The as-of history's hooks (services/common/asof.py registers them): ``queued(session, group)``
# when a group is queued (its versions are written at the placeholder, without the lock);
# ``closing(session, queue)`` at commit before the lock; ``inserted(session, queue)`` under the
# lock once every group has its position (versions move to real positions).
queued_hooks: list[Callable[[Session, Queued], None]] = []
closing_hooks: list[Callable[[Session, list[Queued]], None]] = []
inserted_hooks: list[Callable[[Session, list[Queued]], None]] = []


def audit_model(base: type[SQLModel]) -> type[SQLModel]:
    """The audit table for the service whose declarative base is ``base``."""

    class AuditEntry(base, table=True):  # type: ignore[valid-type,misc,call-arg]
        __tablename__ = "audit_entry"

        # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
        id: int | None = Field(
            default=None,
            sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        )
        at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
        actor: str = Field(max_length=200)
        action: str = Field(max_length=20)  # create | update | delete
        entity: str = Field(max_length=60, index=True)
        entity_id: str = Field(max_length=100, index=True)
        before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
        after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
        request_id: str | None = Field(default=None, max_length=200)

    return AuditEntry


def snapshot(row: SQLModel | None) -> dict[str, Any] | None:
    return None if row is None else row.model_dump(mode="json")


async def record(
    session: AsyncSession,
    audit: type[SQLModel],
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Audit one change in the caller's transaction: its row is inserted at commit."""
    await session.flush()  # the change itself, now, so its versions can be written
    row = {
        "at": utcnow(),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
        "request_id": request_id_var.get(),
    }
    await _enqueue(session, audit.__table__, [row], bulk=False)  # type: ignore[attr-defined]


async def record_many(
    session: AsyncSession, audit: type[SQLModel], *, actor: str, entries: list[dict[str, Any]]
) -> None:
    """Many audit rows, inserted at commit in one INSERT with the transaction's others (bulk
    writes): each entry has action, entity, entity_id, before and after."""
    if not entries:
        return
    now = utcnow()
    request_id = request_id_var.get()
    rows = [
        {
            "at": now,
            "actor": actor,
            "request_id": request_id,
            **entry,
            "entity_id": str(entry["entity_id"]),
        }
        for entry in entries
    ]
    await _enqueue(session, audit.__table__, rows, bulk=True)  # type: ignore[attr-defined]


async def _enqueue(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, bulk: bool
) -> None:
    queue: list[Queued] = session.sync_session.info.setdefault(QUEUE, [])
    # Its last row's place among the table's queued rows: at commit, when one INSERT draws
    # consecutive ids for them, every placeholder is its position plus one and the same shift.
    place = sum(len(g.rows) for g in queue if g.table is table) + len(rows)
    group = Queued(table=table, rows=rows, bulk=bulk, placeholder=PLACEHOLDER + place)
    queue.append(group)
    if queued_hooks:
        await session.run_sync(lambda sync: [hook(sync, group) for hook in queued_hooks])


def queued(session: Session) -> list[Queued]:
    """The audit groups ``session`` has queued and not yet inserted."""
    return session.info.get(QUEUE, [])  # type: ignore[no-any-return]


@event.listens_for(Session, "before_commit")
def _insert_queued(session: Session) -> None:
    """Insert the queued audit rows, under the ordering lock held through COMMIT."""
    if not session.info.get(QUEUE):
        return
    session.flush()
    queue: list[Queued] = session.info[QUEUE]
    for closing in closing_hooks:
        closing(session, queue)
    connection = session.connection()
    tables = list(dict.fromkeys(group.table for group in queue))
    folds = (
        [fold(session, queue, tables[0]) for fold in fold_hooks]
        if connection.dialect.name == "postgresql" and len(tables) == 1
        else [None]
    )
    if all(f is not None for f in folds):
        _insert_folded(session, queue, tables[0], [f for f in folds if f is not None])
    else:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({ORDER_LOCK})"))
        for table in tables:
            groups = [group for group in queue if group.table is table]
            rows = [row for group in groups for row in group.rows]
            ids = iter(
                connection.execute(
                    insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
                ).scalars()
            )
            for group in groups:
                for _ in group.rows:
                    group.position = next(ids)
    for inserted in inserted_hooks:
        inserted(session, queue)
    session.info.pop(QUEUE, None)


@dataclass
class Fold:
    """Common table expressions the as-of history adds to the one statement that inserts a
    transaction's audit rows on PostgreSQL, with their parameters. They may read ``m``: one row
    with ``shift`` (a queued group's position is its placeholder plus ``shift``) and ``last``
    (the newest id inserted)."""

    ctes: list[str]
    params: dict[str, Any]


# (session, queue, audit table) -> a Fold, or None when the history cannot fold its work into
# the statement (then the rows are inserted alone and ``inserted_hooks`` do that work).
fold_hooks: list[Callable[[Session, list[Queued], Table], Fold | None]] = []

_COLUMNS = ("at", "actor", "action", "entity", "entity_id", "before", "after", "request_id")
_TYPES = ("timestamptz", "text", "text", "text", "text", "json", "json", "text")


def _insert_folded(session: Session, queue: list[Queued], table: Table, folds: list[Fold]) -> None:
    """PostgreSQL: the lock, the audit rows, and what the history does with their ids, in one
    statement: the lock is then held for one round trip and the COMMIT, whatever else the
    process is busy with between statements."""
    connection = session.connection()
    serialise = connection.dialect._json_serializer or json.dumps  # type: ignore[attr-defined]
    rows = [row for group in queue for row in group.rows]
    params: dict[str, Any] = {}
    for name in _COLUMNS:
        values = [row.get(name) for row in rows]
        if name in ("before", "after"):
            values = [None if v is None else serialise(v) for v in values]
        params[f"audit_{name}"] = values
    arrays = ", ".join(
        f"CAST(:audit_{name} AS {kind}[])" for name, kind in zip(_COLUMNS, _TYPES, strict=True)
    )
    columns = ", ".join(_COLUMNS)
    ctes = [
        f"lock AS MATERIALIZED (SELECT pg_advisory_xact_lock({ORDER_LOCK}))",
        f"r AS (SELECT * FROM unnest({arrays}) WITH ORDINALITY AS r({columns}, ord))",
        # Ids are drawn in the order the rows are inserted, queue order.
        f'a AS (INSERT INTO "{table.name}" ({columns}) SELECT '
        + ", ".join(f"r.{c}" for c in _COLUMNS)
        + " FROM lock, r ORDER BY r.ord RETURNING id)",
        "m AS (SELECT min(id) - 1 - :audit_placeholder AS shift, max(id) AS last FROM a)",
    ]
    params["audit_placeholder"] = PLACEHOLDER
    for fold in folds:
        ctes += fold.ctes
        params.update(fold.params)
    ids = (
        connection.execute(
            text("WITH " + ", ".join(ctes) + " SELECT id FROM a ORDER BY id"), params
        )
        .scalars()
        .all()
    )
    if len(ids) != len(rows) or ids[-1] - ids[0] != len(rows) - 1:
        # Only a writer drawing audit ids without the lock could interleave with these.
        raise RuntimeError(f"audit ids {ids[0]}..{ids[-1]} for {len(rows)} rows: not consecutive")
    for group in queue:
        group.position = group.placeholder - PLACEHOLDER + ids[0] - 1


@event.listens_for(Session, "after_transaction_create")
def _mark(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[id(transaction)] = len(queued(session))


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back savepoint drops the audit rows queued inside it; a rollback, all."""
    if previous.nested:
        mark = session.info.get(_MARKS, {}).pop(id(previous), None)
        if mark is not None:
            del queued(session)[mark:]
        return
    for key in (QUEUE, _MARKS):
        session.info.pop(key, None)


@event.listens_for(Session, "after_commit")
def _done(session: Session) -> None:
    for key in (QUEUE, _MARKS):
        session.info.pop(key, None)


class Recorder:
    """A service's audit call: ``await record(session, actor, action, row, before)`` records
    ``row``'s change in the caller's transaction; ``after`` defaults to the row's state now
    (nothing for a delete)."""

    def __init__(self, table: type[SQLModel]) -> None:
        self.table = table

    async def __call__(
        self,
        session: AsyncSession,
        actor: Principal,
        action: str,
        row: Any,
        before: dict[str, Any] | None,
        *,
        after: dict[str, Any] | None = None,
    ) -> None:
        await record(
            session,
            self.table,
            actor=actor.subject,
            action=action,
            entity=row.__tablename__,
            entity_id=row.id,
            before=before,
            after=snapshot(row) if after is None and action != "delete" else after,
        )


class Change(BaseModel):
    cursor: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class ChangePage(BaseModel):
    changes: list[Change]
    next_cursor: int
    has_more: bool


async def changes_after(
    session: AsyncSession, audit: type[SQLModel], *, after: int, limit: int
) -> ChangePage:
    rows = (
        await session.exec(
            select(audit).where(audit.id > after).order_by(audit.id).limit(limit + 1)  # type: ignore[attr-defined]
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    changes = [
        Change(cursor=r.id, **r.model_dump(exclude={"id"}))  # type: ignore[attr-defined]
        for r in rows
    ]
    return ChangePage(
        changes=changes, next_cursor=changes[-1].cursor if changes else after, has_more=more
    )
