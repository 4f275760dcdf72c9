"""The graph is what frontend teams read first: every type, field and argument a subgraph
declares carries a description. Add a subgraph to DESCRIBED once it is complete."""

from __future__ import annotations

import importlib

import pytest
import strawberry
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

DESCRIBED = ("kpis", "programmes", "reporting", "risks")


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Everything the schema declares without a description (federation's own parts aside)."""
    roots = {root.name for root in (schema.query_type, schema.mutation_type) if root}
    missing = []
    for name, kind in schema.type_map.items():
        if name.startswith("_") or "__" in name:  # federation's own (_Any, link__Purpose)
            continue
        if isinstance(kind, GraphQLEnumType):
            if not kind.description:
                missing.append(name)
            continue
        if not isinstance(kind, (GraphQLObjectType, GraphQLInputObjectType)):
            continue
        if name not in roots and not kind.description:
            missing.append(name)
        for field_name, field in kind.fields.items():
            if field_name.startswith("_"):
                continue
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
    return missing


@pytest.mark.parametrize("service", DESCRIBED)
def test_every_type_field_and_argument_is_described(service: str) -> None:
    schema = importlib.import_module(f"services.{service}.graphql").schema
    assert undescribed(schema._schema) == []


@strawberry.type
class Thing:
    name: str


@strawberry.type
class SampleQuery:
    @strawberry.field(description="a thing")
    def thing(self, size: int = 1) -> Thing:
        return Thing(name="x")


def test_the_check_finds_what_is_undescribed() -> None:
    found = undescribed(strawberry.Schema(query=SampleQuery)._schema)
    assert sorted(found) == ["SampleQuery.thing(size)", "Thing", "Thing.name"]
