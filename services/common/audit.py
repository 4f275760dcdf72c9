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
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, BigInteger, Column, Integer, insert, text
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.db import utc_column, utcnow
from services.common.logging import request_id_var

# session.info key: this transaction wrote audit rows in bulk (as-of reads record its position
# at commit: services/common/asof.py); the value is the audit table.
BULK = "audit.bulk"

# Audit writers hold this PostgreSQL advisory lock from their first audit row until commit, so
# audit ids become visible in id order: a change-feed follower reading "after N" can then never
# skip an id committed late. Whoever inserts audit rows takes it first, in the same transaction.
ORDER_LOCK = 72201


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
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        connection = await session.connection()
        await connection.execute(text(f"SELECT pg_advisory_xact_lock({ORDER_LOCK})"))
    session.add(
        audit(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
            request_id=request_id_var.get(),
        )
    )
    await session.flush()


async def record_many(
    session: AsyncSession, audit: type[SQLModel], *, actor: str, entries: list[dict[str, Any]]
) -> None:
    """Many audit rows in one INSERT (bulk writes): each entry has action, entity, entity_id,
    before and after. The same ordering lock as :func:`record`, taken once."""
    if not entries:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        connection = await session.connection()
        await connection.execute(text(f"SELECT pg_advisory_xact_lock({ORDER_LOCK})"))
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
    connection = await session.connection()
    await connection.execute(insert(audit.__table__), rows)  # type: ignore[attr-defined]
    session.sync_session.info[BULK] = audit.__table__  # type: ignore[attr-defined]


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
