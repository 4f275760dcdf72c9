"""Limit/offset pages and whitelisted sorting for list endpoints.

One policy for REST and GraphQL: ``limit`` is 1..``MAX_LIMIT``, ``offset`` 0..``MAX_OFFSET``;
anything else is refused naming the argument (REST by FastAPI's Query bounds, GraphQL by
``services.common.graphql.page``), so no out-of-range value ever reaches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.errors import FieldError

T = TypeVar("T")
U = TypeVar("U")

MAX_LIMIT = 500
# PostgreSQL takes a BIGINT offset; a page this deep is a mistake, not a request.
MAX_OFFSET = 1_000_000


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
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
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


def count_of(statement: Any) -> Any:
    """``SELECT count(*)`` over what ``statement`` selects (its ORDER BY dropped)."""
    return select(func.count()).select_from(statement.order_by(None).subquery())


@dataclass
class Window(Generic[T]):
    """One page of rows without counting them all: ``has_more`` comes from reading one row
    past the page, and ``count`` is the statement that counts the whole list, run only by
    whoever asks for the total (GraphQL's ``totalCount``)."""

    rows: list[T]
    params: PageParams
    has_more: bool
    count: Any = None
    total: int | None = None

    def with_rows(self, rows: list[U]) -> Window[U]:
        """The same window holding ``rows`` (the page's rows converted, e.g. to read models)."""
        return Window(
            rows=rows,
            params=self.params,
            has_more=self.has_more,
            count=self.count,
            total=self.total,
        )

    def map(self, convert: Callable[[T], U]) -> Window[U]:
        """The same window with each row converted (e.g. ORM row to read model)."""
        return Window(
            rows=[convert(r) for r in self.rows],
            params=self.params,
            has_more=self.has_more,
            count=self.count,
            total=self.total,
        )


async def window(session: AsyncSession, statement: Any, params: PageParams) -> Window[Any]:
    """A page of ``statement`` (already ordered), the one way a service reads a list: no COUNT
    is run here. REST passes it to ``counted`` (its ``Page`` always has a total); GraphQL's
    ``Page.of`` counts only when a client asks for ``totalCount``."""
    rows = list((await session.exec(statement.limit(params.limit + 1).offset(params.offset))).all())
    return Window(
        rows=rows[: params.limit],
        params=params,
        has_more=len(rows) > params.limit,
        count=count_of(statement),
    )


def window_of(items: Sequence[T], params: PageParams) -> Window[T]:
    """A page of a list already in memory (its total is known, so nothing is counted)."""
    return Window(
        rows=list(items[params.offset : params.offset + params.limit]),
        params=params,
        has_more=params.offset + params.limit < len(items),
        total=len(items),
    )


async def counted(session: AsyncSession, found: Window[T]) -> tuple[list[T], int]:
    """A window's rows and the whole list's total, for REST's ``Page`` (which always has one)."""
    if found.total is not None:
        return found.rows, found.total
    return found.rows, int((await session.exec(found.count)).one())
