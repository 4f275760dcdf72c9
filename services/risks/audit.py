"""The risks service's audit: every write recorded in the writer's own transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.risks.models import AuditEntry

snapshot = audit.snapshot


async def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    row: SQLModel,
    before: dict[str, Any] | None,
) -> None:
    await audit.record(
        session,
        AuditEntry,
        actor=actor.subject,
        action=action,
        entity=row.__tablename__,  # type: ignore[arg-type]
        entity_id=row.id,  # type: ignore[attr-defined]
        before=before,
        after=audit.snapshot(row),
    )
