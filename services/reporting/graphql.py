"""The reporting subgraph: packs as entities other subgraphs (and clients) can reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from services.common.graphql import Context, Page, federated_schema, page, parse_id
from services.common.pagination import window_of
from services.reporting import models, service

Ctx = Info[Context, None]


@strawberry.federation.type(keys=["id"], description="A CPMO assurance pack as issued")
class Pack:
    id: strawberry.ID
    period: str
    portfolio_code: str | None
    generated_at: datetime
    generated_by: str
    content_sha256: str
    complete: bool
    content: JSON

    @classmethod
    def from_row(cls, row: models.Pack) -> Pack:
        return cls(
            id=strawberry.ID(str(row.id)),
            period=row.period,
            portfolio_code=row.portfolio_code,
            generated_at=row.generated_at,
            generated_by=row.generated_by,
            content_sha256=row.content_sha256,
            complete=row.complete,
            content=JSON(row.content),
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Pack | None:
        return await info.context.loader("pack", _load_packs).load(parse_id(id, "id"))


async def _load_packs(session: AsyncSession, ids: Sequence[int]) -> dict[int, Pack]:
    return {
        k: Pack.from_row(row)
        for k, row in (await service.get_many(session=session, ids=ids)).items()
    }


@strawberry.type
class Query:
    @strawberry.field
    async def packs(
        self, info: Ctx, period: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[Pack]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            rows = await service.list_packs(session=session, period=period)
        return Page.of(window_of(rows, params), Pack.from_row)

    @strawberry.field
    async def pack(self, info: Ctx, id: strawberry.ID) -> Pack | None:
        return await Pack.resolve_reference(info, id)


schema = federated_schema(query=Query, types=[Pack])
