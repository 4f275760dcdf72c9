"""Limit/offset pages and whitelisted sorting for list endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.errors import FieldError

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int
    sort: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: Annotated[
        str | None, Query(description="field name, '-' prefix for descending; comma-separated")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, offset=offset, sort=sort)


PageDep = Annotated[PageParams, Depends(page_params)]


def order_by(model: Any, sort: str | None, allowed: set[str], default: list[Any]) -> list[Any]:
    if not sort:
        return default
    clauses = []
    for part in sort.split(","):
        name = part.strip().lstrip("-")
        if name not in allowed:
            raise FieldError(
                f"cannot sort by '{name}'; choose from {', '.join(sorted(allowed))}", field="sort"
            )
        column = getattr(model, name)
        clauses.append(column.desc() if part.strip().startswith("-") else column.asc())
    return [*clauses, model.id]


async def paginate(
    session: AsyncSession, statement: Any, params: PageParams
) -> tuple[list[Any], int]:
    total = (
        await session.exec(select(func.count()).select_from(statement.order_by(None).subquery()))
    ).one()
    rows = (await session.exec(statement.limit(params.limit).offset(params.offset))).all()
    return list(rows), int(total)
