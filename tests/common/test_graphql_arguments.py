"""The shared GraphQL argument layer, run against a real PostgreSQL table: one paging policy,
one page type counting only when asked, ids and enums that answer field errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel, col, select

from services.common import pagination
from services.common.auth import Principal, Role
from services.common.db import new_registry
from services.common.graphql import (
    Context,
    Page,
    federated_schema,
    graphql_enum,
    optional_id,
    page,
    parse_id,
)
from tests.common.helpers import fresh_tables
from tests.support.statements import statements


class Base(SQLModel, registry=new_registry()):
    pass


class Colour(StrEnum):
    """A stand-in status whose stored values are not GraphQL names."""

    amber_green = "Amber/Green"
    red = "Red"


class Item(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    colour: str


ColourEnum = graphql_enum(Colour, name="Colour", description="a test colour")


@strawberry.type(description="a row of the test table")
class ItemType:
    id: strawberry.ID = strawberry.field(description="its id")
    name: str = strawberry.field(description="its name")
    colour: Colour = strawberry.field(description="its colour")

    @classmethod
    def from_row(cls, row: Item) -> ItemType:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, colour=row.colour)  # type: ignore[arg-type]


@strawberry.type
class Query:
    @strawberry.field
    async def items(
        self,
        info: strawberry.Info[Context, None],
        limit: int = 2,
        offset: int = 0,
        colour: Colour | None = None,
    ) -> Page[ItemType]:
        params = page(limit, offset)
        statement = select(Item).order_by(col(Item.id))
        if colour is not None:
            statement = statement.where(Item.colour == colour.value)
        async with info.context.reading() as session:
            found = await pagination.window(session, statement, params)
        return Page.of(found, ItemType.from_row)

    @strawberry.field
    async def item(
        self, info: strawberry.Info[Context, None], id: strawberry.ID
    ) -> ItemType | None:
        async with info.context.reading() as session:
            row = await session.get(Item, parse_id(id))
        return None if row is None else ItemType.from_row(row)

    @strawberry.field
    def named(self, id: strawberry.ID | None = None) -> int | None:
        return optional_id(id, "ownerId")

    @strawberry.field
    def paint(self, input: Paint) -> int:
        return len(input.colours)


@strawberry.input(description="colours to paint with")
class Paint:
    colours: list[Colour] = strawberry.field(description="in the order given")


schema = federated_schema(query=Query)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    async with fresh_tables("", Base.metadata) as engine:
        async with engine.begin() as conn:
            await conn.execute(
                Item.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {"name": f"item {i}", "colour": "Red" if i % 2 else "Amber/Green"}
                    for i in range(5)
                ],
            )
        yield engine


def counts(seen: list[str]) -> int:
    return sum("count(" in s.lower() for s in seen)


async def run(engine: AsyncEngine, query: str, **variables: Any) -> Any:
    context = Context(
        principal=Principal(subject="t", roles=frozenset({Role.viewer})), engine=engine
    )
    return await schema.execute(query, variable_values=variables, context_value=context)


async def test_a_page_counts_only_when_total_count_is_selected(engine: AsyncEngine) -> None:
    with statements(engine) as seen:
        query = "{ items { items { name } pageInfo { limit offset hasNextPage } } }"
        result = await run(engine, query)
    assert result.errors is None
    assert [i["name"] for i in result.data["items"]["items"]] == ["item 0", "item 1"]
    assert result.data["items"]["pageInfo"] == {"limit": 2, "offset": 0, "hasNextPage": True}
    assert seen and counts(seen) == 0

    with statements(engine) as seen:
        query = "{ items(offset: 4) { totalCount items { name } pageInfo { hasNextPage } } }"
        result = await run(engine, query)
    assert result.errors is None
    assert result.data["items"] == {
        "totalCount": 5,
        "items": [{"name": "item 4"}],
        "pageInfo": {"hasNextPage": False},
    }
    assert counts(seen) == 1


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ("limit: 0", "limit"),
        ("limit: -1", "limit"),
        ("limit: 501", "limit"),
        ("offset: -1", "offset"),
        ("offset: 2000000000", "offset"),
    ],
)
async def test_out_of_range_paging_is_a_field_error_naming_the_argument(
    engine: AsyncEngine, arguments: str, field: str
) -> None:
    result = await run(engine, f"{{ items({arguments}) {{ items {{ name }} }} }}")
    assert result.errors and len(result.errors) == 1
    extensions = result.errors[0].extensions
    assert extensions["code"] == "invalid-field" and extensions["status"] == 422
    assert extensions["errors"][0]["field"] == field


@pytest.mark.parametrize("bad", ["x", "-1", "0", "1.5", "99999999999999999999", "\u0661", " "])
async def test_a_bad_id_is_a_field_error_naming_the_argument(engine: AsyncEngine, bad: str) -> None:
    result = await run(engine, "query($id: ID!) { item(id: $id) { name } }", id=bad)
    assert result.errors and result.errors[0].extensions["errors"][0]["field"] == "id"
    assert result.errors[0].extensions["status"] == 422
    named = await run(engine, "query($id: ID) { named(id: $id) }", id=bad)
    if bad.strip():
        assert named.errors and named.errors[0].extensions["errors"][0]["field"] == "ownerId"


async def test_a_good_id_and_a_null_optional_id(engine: AsyncEngine) -> None:
    result = await run(engine, '{ item(id: "3") { name } named }')
    assert result.errors is None
    assert result.data == {"item": {"name": "item 2"}, "named": None}


async def test_statuses_are_enums_with_upper_snake_names(engine: AsyncEngine) -> None:
    assert ColourEnum is Colour
    sdl = schema.as_str()
    assert "enum Colour" in sdl and "AMBER_GREEN" in sdl and "RED" in sdl
    result = await run(engine, "{ items(colour: AMBER_GREEN, limit: 5) { items { name colour } } }")
    assert result.errors is None
    assert result.data["items"]["items"] == [
        {"name": "item 0", "colour": "AMBER_GREEN"},
        {"name": "item 2", "colour": "AMBER_GREEN"},
        {"name": "item 4", "colour": "AMBER_GREEN"},
    ]
    wrong = await run(engine, '{ items(colour: "Red") { items { name } } }')
    assert wrong.errors is not None
    # Each value is described by its word, what a client prints and the pack reads.
    values = schema._schema.type_map["Colour"].values  # type: ignore[attr-defined]
    assert {name: value.description for name, value in values.items()} == {
        "AMBER_GREEN": "Amber/Green",
        "RED": "Red",
    }


@strawberry.input(description="a filter")
class Filter:
    colours: list[Colour] = strawberry.field(description="any of these")


@strawberry.type
class FilterQuery:
    @strawberry.field
    def count(self, filter: Filter | None = None, colour: Colour | None = None) -> int:
        return 0


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        ("{ count(colour: BLUE) }", {}, "colour"),
        ('{ count(colour: "Red") }', {}, "colour"),
        ("{ count(colour: 3) }", {}, "colour"),
        ("{ count(filter: {colours: [RED, BLUE]}) }", {}, "colours[1]"),
        ("query($c: Colour) { count(colour: $c) }", {"c": "Red"}, "colour"),
        ("query($f: Filter) { count(filter: $f) }", {"f": {"colours": ["RED", "x"]}}, "colours[1]"),
    ],
)
async def test_a_value_graphql_refuses_is_a_field_error_naming_it(
    query: str, variables: dict[str, Any], field: str
) -> None:
    refusing = federated_schema(query=FilterQuery)
    result = await refusing.execute(query, variable_values=variables)
    assert result.errors and len(result.errors) == 1, result.errors
    extensions = result.errors[0].extensions
    assert extensions is not None
    assert extensions["code"] == "invalid-field" and extensions["status"] == 422
    assert extensions["errors"][0]["field"] == field
    assert result.data is None


async def test_other_refusals_keep_graphql_shape() -> None:
    refusing = federated_schema(query=FilterQuery)
    result = await refusing.execute("{ count(nope: 1) }")
    assert result.errors and not result.errors[0].extensions


async def test_a_value_graphql_refuses_is_a_field_error_naming_the_field(
    engine: AsyncEngine,
) -> None:
    """Literal or variable, at the top or inside an input's list: 422 and where it was."""
    for query, variables, field in (
        ('{ items(colour: "Red") { totalCount } }', {}, "colour"),
        ("{ items(colour: BLUE) { totalCount } }", {}, "colour"),
        ('{ items(limit: "two") { totalCount } }', {}, "limit"),
        ("query($c: Colour) { items(colour: $c) { totalCount } }", {"c": "Red"}, "colour"),
        ("{ paint(input: {colours: [RED, PURPLE]}) }", {}, "colours[1]"),
        ("query($p: Paint!) { paint(input: $p) }", {"p": {"colours": ["RED", "x"]}}, "colours[1]"),
    ):
        result = await run(engine, query, **variables)
        assert result.data is None, query
        [error] = result.errors
        assert error.extensions["status"] == 422, query
        assert error.extensions["errors"][0]["field"] == field, query
    good = await run(engine, "query($p: Paint!) { paint(input: $p) }", p={"colours": ["RED"]})
    assert good.errors is None and good.data == {"paint": 1}


def test_page_type_names_follow_the_item_type() -> None:
    sdl = schema.as_str()
    assert "type ItemTypePage" in sdl
    assert "totalCount: Int!" in sdl and "pageInfo: PageInfo!" in sdl


def test_window_of_a_list_in_memory() -> None:
    found = pagination.window_of(list(range(7)), page(3, 6))
    assert found.rows == [6] and found.total == 7 and not found.has_more
    assert pagination.window_of(list(range(7)), page(3, 3)).has_more


async def test_reading_sessions_run_concurrently(engine: AsyncEngine) -> None:
    results = await asyncio.gather(*(run(engine, "{ items { totalCount } }") for _ in range(3)))
    assert [r.data["items"]["totalCount"] for r in results] == [5, 5, 5]
