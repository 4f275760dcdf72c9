"""The reporting subgraph: packs as entities other subgraphs (and clients) can reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from services.common.graphql import (
    Context,
    Limit,
    Offset,
    Page,
    federated_schema,
    page,
    parse_id,
)
from services.common.pagination import window_of
from services.reporting import models, schemas, service

Ctx = Info[Context, None]
# Registers the lifecycle's own enum with GraphQL (the same class, not a copy).
strawberry.enum(schemas.PackStatus, description="draft, reviewed or signed off")


@strawberry.federation.type(keys=["id"], description="A CPMO assurance pack as issued")
class Pack:
    id: strawberry.ID = strawberry.field(description="the pack's id")
    period: str = strawberry.field(description="the reporting month it covers, YYYY-MM")
    portfolio_code: str | None = strawberry.field(
        description="the portfolio it covers (e.g. IRP-2024); null for every portfolio"
    )
    generated_at: datetime = strawberry.field(description="when it was composed (UTC)")
    generated_by: str = strawberry.field(description="who composed it (the token's subject)")
    content_sha256: str = strawberry.field(
        description="SHA-256 of its canonical JSON content: the same inputs give the same hash"
    )
    complete: bool = strawberry.field(
        description="every section was available when it was composed (only a complete pack "
        "can be signed off)"
    )
    status: schemas.PackStatus = strawberry.field(
        description="where it is in its lifecycle: draft, reviewed or signed off"
    )
    supersedes_id: strawberry.ID | None = strawberry.field(
        description="the signed-off pack this one corrects"
    )
    content: JSON = strawberry.field(
        description="the pack as composed: each programme's figures with the id of the record "
        "each came from"
    )
    cuts: JSON | None = strawberry.field(
        description="the change-feed position of each service it was read at (null: read "
        "live); null for packs composed before cuts were stored"
    )

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
            cuts=None if row.cuts is None else JSON(row.cuts),
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Pack | None:
        return await info.context.loader("pack", _load_packs).load(parse_id(id, "id"))


async def _load_packs(session: AsyncSession, ids: Sequence[int]) -> dict[int, Pack]:
    return {
        k: Pack.from_row(row)
        for k, row in (await service.get_many(session=session, ids=ids)).items()
    }


@strawberry.type(description="a pack composed again from its stored cuts, against itself")
class Verification:
    pack_id: strawberry.ID = strawberry.field(description="the pack verified")
    stored_sha256: str = strawberry.field(description="the hash stored when it was composed")
    regenerated_sha256: str = strawberry.field(description="the hash of it composed again now")
    stored_content_intact: bool = strawberry.field(
        description="the stored content still hashes to the stored hash"
    )
    match: bool = strawberry.field(description="both hashes agree and the stored content is intact")
    differences: list[str] = strawberry.field(
        description="on a mismatch, the first paths of its JSON that differ"
    )
    cuts: JSON = strawberry.field(description="the cut each service was read at (null: live)")
    read_live: list[str] = strawberry.field(description="services read live, without a cut")


@strawberry.type
class Query:
    @strawberry.field(description="packs as issued, newest period first")
    async def packs(
        self,
        info: Ctx,
        period: Annotated[
            str | None, strawberry.argument(description="only packs of this month, YYYY-MM")
        ] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Pack]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            rows = await service.list_packs(session=session, period=period)
        return Page.of(window_of(rows, params), Pack.from_row)

    @strawberry.field(
        description="compose the pack again from the cuts stored with it and compare hashes "
        "(nothing is written); a service down or a cut it no longer has is an error naming it"
    )
    async def verify_pack(
        self, info: Ctx, id: Annotated[strawberry.ID, strawberry.argument(description="its id")]
    ) -> Verification:
        request = info.context.request
        assert request is not None  # queries arrive over HTTP
        async with info.context.reading() as session:
            found = await service.verify(
                session=session,
                actor=info.context.principal,
                pack_id=parse_id(id, "id"),
                http=request.app.state.http,
                settings=request.app.state.settings,
            )
        return Verification(
            pack_id=strawberry.ID(str(found.pack_id)),
            stored_sha256=found.stored_sha256,
            regenerated_sha256=found.regenerated_sha256,
            stored_content_intact=found.stored_content_intact,
            match=found.match,
            differences=found.differences,
            cuts=JSON(found.cuts),
            read_live=found.read_live,
        )

    @strawberry.field(description="one pack by its id")
    async def pack(
        self, info: Ctx, id: Annotated[strawberry.ID, strawberry.argument(description="its id")]
    ) -> Pack | None:
        return await Pack.resolve_reference(info, id)


schema = federated_schema(query=Query, types=[Pack])
