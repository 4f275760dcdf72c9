"""The reporting subgraph: packs as entities other subgraphs (and clients) can reference."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from services.common.graphql import Context, federated_schema
from services.reporting import models, schemas, service

Ctx = Info[Context, None]
# Registers the lifecycle's own enum with GraphQL (the same class, not a copy).
strawberry.enum(schemas.PackStatus, description="draft, reviewed or signed off")


@strawberry.federation.type(keys=["id"], description="A CPMO assurance pack as issued")
class Pack:
    id: strawberry.ID
    period: str
    portfolio_code: str | None
    generated_at: datetime
    generated_by: str
    content_sha256: str
    complete: bool
    status: schemas.PackStatus
    supersedes_id: strawberry.ID | None = strawberry.field(
        description="the signed-off pack this one corrects"
    )
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
            status=schemas.PackStatus(row.status),
            supersedes_id=None
            if row.supersedes_id is None
            else strawberry.ID(str(row.supersedes_id)),
            content=JSON(row.content),
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Pack | None:
        async with info.context.reading() as session:
            row = await session.get(models.Pack, int(id))
        return None if row is None else cls.from_row(row)


@strawberry.type
class Query:
    @strawberry.field
    async def packs(self, info: Ctx, period: str | None = None) -> list[Pack]:
        async with info.context.reading() as session:
            rows = await service.list_packs(session=session, period=period)
        return [Pack.from_row(r) for r in rows]

    @strawberry.field
    async def pack(self, info: Ctx, id: strawberry.ID) -> Pack | None:
        return await Pack.resolve_reference(info, id)


schema = federated_schema(query=Query, types=[Pack])
