"""Key activities / milestones in the programmes subgraph."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from services.common.graphql import Context
from services.programmes.milestones import models, service

Ctx = Info[Context, None]


@strawberry.type
class KeyActivity:
    id: strawberry.ID
    title: str
    start_text: str | None
    end_text: str | None
    start_date: date | None
    end_date: date | None
    start_precision: str
    end_precision: str

    @classmethod
    def from_row(cls, row: models.KeyActivity) -> KeyActivity:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            start_text=row.start_text,
            end_text=row.end_text,
            start_date=row.start_date,
            end_date=row.end_date,
            start_precision=row.start_precision,
            end_precision=row.end_precision,
        )


async def key_activities_for(
    info: Ctx, programme_id: int, *, due_from: date | None = None, due_to: date | None = None
) -> list[KeyActivity]:
    async with info.context.reading() as session:
        rows = await service.list_key_activities(
            session=session, programme_ids=[programme_id], due_from=due_from, due_to=due_to
        )
    return [KeyActivity.from_row(r) for r in rows]
