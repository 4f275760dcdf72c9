"""Links between RAID items of any kind, so a register row can name the others it bears on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.errors import Conflict, FieldError, NotFound
from services.risks import audit
from services.risks.models import Assumption, Dependency, Issue, RaidLink, Risk
from services.risks.vocabulary import RaidKind

TABLES: dict[RaidKind, Any] = {
    RaidKind.risk: Risk,
    RaidKind.assumption: Assumption,
    RaidKind.issue: Issue,
    RaidKind.dependency: Dependency,
}


class LinkCreate(SQLModel):
    from_kind: RaidKind
    from_id: int
    to_kind: RaidKind
    to_id: int
    note: str | None = Field(default=None, max_length=500)


class LinkRead(LinkCreate):
    id: int
    created_by: str
    created_at: datetime


async def _exists(session: AsyncSession, kind: RaidKind, item_id: int, field: str) -> None:
    if item_id < 1 or await session.get(TABLES[kind], item_id) is None:
        raise FieldError(f"no {kind.value} with id {item_id}", field=field)


async def create(*, session: AsyncSession, actor: Principal, data: LinkCreate) -> RaidLink:
    if (data.from_kind, data.from_id) == (data.to_kind, data.to_id):
        raise FieldError("an item cannot be linked to itself", field="to_id")
    await _exists(session, data.from_kind, data.from_id, "from_id")
    await _exists(session, data.to_kind, data.to_id, "to_id")
    pair = ((data.from_kind, data.from_id), (data.to_kind, data.to_id))
    for (a_kind, a_id), (b_kind, b_id) in (pair, pair[::-1]):
        taken = await session.exec(
            select(RaidLink.id).where(
                RaidLink.from_kind == a_kind,
                RaidLink.from_id == a_id,
                RaidLink.to_kind == b_kind,
                RaidLink.to_id == b_id,
            )
        )
        if taken.first() is not None:
            raise Conflict("these two items are already linked", field="to_id")
    row = RaidLink(**data.model_dump(), created_by=actor.subject)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("these two items are already linked", field="to_id") from exc
    await audit.record(session, actor, "create", row, None)
    return row


async def of_item(*, session: AsyncSession, kind: RaidKind, item_id: int) -> list[RaidLink]:
    if await session.get(TABLES[kind], item_id) is None:
        raise NotFound(f"no {kind.value} with id {item_id}", field="item_id")
    statement = select(RaidLink).where(
        or_(
            (col(RaidLink.from_kind) == kind) & (col(RaidLink.from_id) == item_id),
            (col(RaidLink.to_kind) == kind) & (col(RaidLink.to_id) == item_id),
        )
    )
    return list((await session.exec(statement.order_by(col(RaidLink.id)))).all())


def link_read(row: object) -> LinkRead:
    """A link as REST shows it."""
    return LinkRead.model_validate(row, from_attributes=True)
