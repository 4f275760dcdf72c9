"""What every domain of the programmes service shares: its declarative base (metadata of its
own), its audit table, the one way a domain records a change, and the check that a change
leaves every required field filled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import new_registry
from services.common.errors import FieldError


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


def refuse_empty(changes: dict[str, Any], required: Iterable[str]) -> None:
    """Refuse a change that would set one of the ``required`` fields to null."""
    for name in required:
        if name in changes and changes[name] is None:
            raise FieldError(f"{name} cannot be empty", field=name)
