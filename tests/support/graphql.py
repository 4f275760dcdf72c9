"""Run a GraphQL operation through a service's real ``/graphql`` endpoint: its whole schema (the
real ``Programme`` type, not a stand-in), its authentication and its error mapping."""

from __future__ import annotations

import functools
from typing import Any

import httpx
from graphql import GraphQLSchema, build_schema, parse, validate

from services.stack import GATEWAY_DIR
from tests.conftest import VIEWER


async def gql(
    api: httpx.AsyncClient, query: str, headers: dict[str, str] = VIEWER, **variables: Any
) -> dict[str, Any]:
    """The response body (``data`` and perhaps ``errors``); GraphQL answers errors with 200."""
    response = await api.post(
        "/graphql", headers=headers, json={"query": query, "variables": variables}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def problems(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Each error's message with its extensions (status, field ...), in the order given."""
    return [
        {"message": error["message"], **error.get("extensions", {})}
        for error in body.get("errors") or []
    ]


def status_of(body: dict[str, Any]) -> int:
    """The HTTP status the first error carries (the service's error hierarchy sets it)."""
    found = problems(body)
    assert found, body
    return int(found[0]["status"])


def data_and_problems(body: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    """``data`` and ``problems(body)``, for tests that look at both."""
    return body.get("data"), problems(body)


def entities(type_name: str, selection: str) -> str:
    """A query for many entities at once, as the gateway asks a subgraph for them: pass the
    representations as ``refs`` (see ``refs``). It reaches the real federated type, so per-row
    fields are checked with the DataLoaders the gateway will use."""
    return (
        "query($refs: [_Any!]!) { _entities(representations: $refs) "
        f"{{ ... on {type_name} {selection} }} }}"
    )


def refs(type_name: str, ids: list[Any]) -> list[dict[str, str]]:
    return [{"__typename": type_name, "id": str(i)} for i in ids]


@functools.cache
def supergraph() -> GraphQLSchema:
    """The composed graph the gateway serves (``gateway/supergraph.graphql``, kept current by
    ``./cpmo sdl`` and a test), to validate the queries the project itself sends through it."""
    return build_schema((GATEWAY_DIR / "supergraph.graphql").read_text())


def invalid_against_supergraph(query: str) -> list[str]:
    """Why ``query`` would be refused by the gateway's schema: nothing when it is valid."""
    return [error.message for error in validate(supergraph(), parse(query))]
