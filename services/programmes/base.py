"""What every domain of the programmes service shares: its declarative base (metadata of its
own), its audit table, and the one way a domain records a change."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import new_registry


class Base(SQLModel, registry=new_registry()):
    pass


AuditEntry = audit.audit_model(Base)


async def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    row: Any,
    before: dict[str, Any] | None,
    *,
    after: dict[str, Any] | None = None,
) -> None:
    """Audit a change to ``row`` in the caller's transaction (``after`` defaults to its state)."""
    await audit.record(
        session,
        AuditEntry,
        actor=actor.subject,
        action=action,
        entity=row.__tablename__,
        entity_id=row.id,
        before=before,
        after=audit.snapshot(row) if after is None and action != "delete" else after,
    )
