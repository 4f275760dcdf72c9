"""The risks subgraph: resolvers as thin as the routers, ORM rows kept out of the types.

Besides its own ``Risk`` entity it contributes ``Programme.risks`` to the programmes service's
``Programme`` entity; a ``Programme`` here is only its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common.errors import FieldError
from services.common.graphql import Context, choice, federated_schema, input_dict, validate
from services.common.pagination import PageParams
from services.risks import models, service
from services.risks.schemas import RiskCreate, RiskStatus, RiskUpdate, score

Ctx = Info[Context, None]


def _status(value: str | None) -> RiskStatus | None:
    return choice(RiskStatus, value, "status")


def _id(value: strawberry.ID, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldError(f"{value!r} is not an id", field=field) from None


def _upstream(info: Ctx) -> dict[str, Any]:
    """The same outbound client and programmes URL the REST routes use."""
    request = info.context.request
    if request is None:  # the FastAPI GraphQL router always sets it
        raise RuntimeError("GraphQL context without its HTTP request")
    state = request.app.state
    return {"http": state.http, "programmes_url": state.settings.programmes_url}


async def _load_risks(session: AsyncSession, ids: Sequence[int]) -> dict[int, models.Risk]:
    return await service.get_many(session=session, ids=ids)


def _risks_of_programmes(status: RiskStatus | None) -> Any:
    async def load(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[models.Risk]]:
        return await service.risks_by_programme(session=session, programme_ids=ids, status=status)

    return load


@strawberry.federation.type(keys=["id"], description="A risk in the RAID log")
class Risk:
    id: strawberry.ID
    code: str
    title: str
    cause: str | None
    description: str
    owner: str
    inherent_likelihood: int
    inherent_impact: int
    inherent_score: int = strawberry.field(description="inherent likelihood x impact, 1..25")
    residual_likelihood: int
    residual_impact: int
    residual_score: int = strawberry.field(description="residual likelihood x impact, 1..25")
    mitigation: str | None
    status: str
    version: int
    programme_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Risk) -> Risk:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            title=row.title,
            cause=row.cause,
            description=row.description,
            owner=row.owner,
            inherent_likelihood=row.inherent_likelihood,
            inherent_impact=row.inherent_impact,
            inherent_score=score(row.inherent_likelihood, row.inherent_impact),
            residual_likelihood=row.residual_likelihood,
            residual_impact=row.residual_impact,
            residual_score=score(row.residual_likelihood, row.residual_impact),
            mitigation=row.mitigation,
            status=RiskStatus(row.status).value,
            version=row.version,
            programme_id=row.programme_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Risk | None:
        row = await info.context.loader("risk", _load_risks).load(_id(id, "id"))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="the programme it belongs to; null for a plan-wide risk")
    def programme(self) -> Programme | None:
        if self.programme_id is None:
            return None
        return Programme(id=strawberry.ID(str(self.programme_id)))


# Owned by the programmes service; this subgraph adds only its risks.
@strawberry.federation.type(keys=["id"])
class Programme:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Programme:
        return cls(id=id)

    @strawberry.field(description="its risks, highest residual score first, then by code")
    async def risks(
        self, info: Ctx, top: int | None = None, status: str | None = None
    ) -> list[Risk] | None:
        if top is not None and top < 0:
            raise FieldError("top cannot be negative", field="top")
        wanted = _status(status)
        loader = info.context.loader(f"programme_risks:{wanted}", _risks_of_programmes(wanted))
        rows = await loader.load(_id(self.id, "id")) or []
        return [Risk.from_row(r) for r in (rows if top is None else rows[:top])]


@strawberry.type
class Query:
    @strawberry.field
    async def risks(
        self,
        info: Ctx,
        programme_id: strawberry.ID | None = None,
        plan_wide: bool | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Risk]:
        if not 1 <= limit <= 500:
            raise FieldError("limit is 1..500", field="limit")
        if offset < 0:
            raise FieldError("offset cannot be negative", field="offset")
        async with info.context.reading() as session:
            rows, _ = await service.list_risks(
                session=session,
                page=PageParams(limit=limit, offset=offset, sort=None),
                programme_id=None if programme_id is None else _id(programme_id, "programmeId"),
                plan_wide=plan_wide,
                status=_status(status),
            )
        return [Risk.from_row(r) for r in rows]

    @strawberry.field
    async def risk(self, info: Ctx, id: strawberry.ID) -> Risk | None:
        return await Risk.resolve_reference(info, id)

    @strawberry.field
    async def risk_by_code(self, info: Ctx, code: str) -> Risk | None:
        async with info.context.reading() as session:
            row = await service.find_by_code(session=session, code=code)
        return None if row is None else Risk.from_row(row)


@strawberry.input
class RiskCreateInput:
    code: str
    title: str
    description: str
    owner: str
    inherent_likelihood: int
    inherent_impact: int
    residual_likelihood: int
    residual_impact: int
    programme_id: strawberry.ID | None = None
    cause: str | None = None
    mitigation: str | None = None
    status: str | None = strawberry.UNSET


@strawberry.input
class RiskUpdateInput:
    programme_id: strawberry.ID | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    cause: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    owner: str | None = strawberry.UNSET
    inherent_likelihood: int | None = strawberry.UNSET
    inherent_impact: int | None = strawberry.UNSET
    residual_likelihood: int | None = strawberry.UNSET
    residual_impact: int | None = strawberry.UNSET
    mitigation: str | None = strawberry.UNSET
    status: str | None = strawberry.UNSET


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_risk(self, info: Ctx, input: RiskCreateInput) -> Risk:
        actor = info.context.writer()
        data = validate(RiskCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create(session=session, actor=actor, data=data, **_upstream(info))
        return Risk.from_row(row)

    @strawberry.mutation(description="change a risk; version is the one you last read")
    async def update_risk(
        self, info: Ctx, id: strawberry.ID, version: int, input: RiskUpdateInput
    ) -> Risk:
        actor = info.context.writer()
        data = validate(RiskUpdate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.update(
                session=session,
                actor=actor,
                risk_id=_id(id, "id"),
                data=data,
                expected_version=version,
                **_upstream(info),
            )
        return Risk.from_row(row)


schema = federated_schema(query=Query, mutation=Mutation, types=[Risk, Programme])
