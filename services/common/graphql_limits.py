"""What every subgraph refuses before it runs anything: too deep, too many aliases, too many
tokens, too costly; introspection in production; and errors masked so no SQL reaches a caller.

A subgraph may be called directly, not only through the gateway, so it holds the same limits
the gateway does (gateway/gateway.config.ts), read from the same ``CPMO_GRAPHQL_*`` settings.
The gateway splits a query into per-subgraph ``_entities`` fetches a level deeper than the
client's, hence the subgraph's depth allowance of one more level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    IntValueNode,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from services.common.errors import DomainError
from services.common.logging import request_id_var
from services.common.posture import UNSTORABLE, unstorable
from services.common.settings import CommonSettings, Mode

log = logging.getLogger("cpmo.graphql")


class GraphQLLimits(BaseSettings):
    """Defaults sized to the largest query the project sends itself (the assurance pack's,
    cost about 680, kept under 800 by a test) with room to spare; the issue's abuse queries
    are far above each."""

    model_config = SettingsConfigDict(env_prefix="CPMO_GRAPHQL_", extra="ignore")

    max_depth: int = 8
    max_aliases: int = 30
    max_tokens: int = 2000
    # GraphQL Armor's cost model (object 2, scalar 1, x1.5 a level), as at the gateway.
    max_cost: int = 1000
    # None: on except in production. Subgraphs only ever answer authenticated callers.
    introspection: bool | None = None

    def introspection_on(self, mode: Mode) -> bool:
        return self.introspection if self.introspection is not None else mode != Mode.production


SUGGESTION = " Did you mean"
OBJECT_COST = 2
SCALAR_COST = 1
DEPTH_COST_FACTOR = 1.5
FRAGMENT_RECURSION_COST = 1000


def query_cost(operation: OperationDefinitionNode, context: ValidationContext) -> float:
    """GraphQL Armor's cost-limit arithmetic, so the gateway and the subgraphs agree."""
    visited: dict[str, float] = {}

    def cost(node: Any, depth: int) -> float:
        if isinstance(node, FieldNode) and node.name.value == "__schema":
            return 0
        if isinstance(node, OperationDefinitionNode):
            return sum(cost(child, depth + 1) for child in node.selection_set.selections)
        total: float = SCALAR_COST
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            total = OBJECT_COST
            multiplier = 1
            for argument in getattr(node, "arguments", None) or ():
                if argument.name.value in ("first", "last"):
                    if isinstance(argument.value, IntValueNode):
                        multiplier = max(int(argument.value.value), multiplier)
                    break
            for child in selection_set.selections:
                total += DEPTH_COST_FACTOR * cost(child, depth + 1)
            total *= multiplier
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in visited:
                return total + DEPTH_COST_FACTOR * (
                    FRAGMENT_RECURSION_COST if visited[name] < 0 else visited[name]
                )
            visited[name] = -1
            fragment = context.get_fragment(name)
            if fragment is not None:
                found = cost(fragment, depth + 1)
                total += DEPTH_COST_FACTOR * found
                visited[name] = found
        return total

    return cost(operation, 0)


def cost_limit_rule(max_cost: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            found = query_cost(node, self.context)
            if found > max_cost:
                self.report_error(
                    GraphQLError(f"query cost limit of {max_cost} exceeded, found {found:g}", node)
                )

    return CostLimit


def _service_name(context: Any) -> str:
    request = getattr(context, "request", None)
    settings = getattr(getattr(getattr(request, "app", None), "state", None), "settings", None)
    return getattr(settings, "service_name", "") or "service"


class MaskUnexpectedErrors(SchemaExtension):
    """An error the caller can act on (a DomainError below 500, a refused query) keeps its
    message; anything else becomes "internal error in <service>" with the request id, so a
    database error's SQL and parameters stay in the log."""

    def __init__(self, hide_suggestions: bool = False) -> None:
        self.hide_suggestions = hide_suggestions

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors or result is None:
            return
        service = _service_name(self.execution_context.context)
        masked: list[GraphQLError] = []
        for error in errors:
            if self.hide_suggestions and SUGGESTION in error.message:
                # "Did you mean ...?" would spell the schema out to whoever guesses at it.
                error.message = error.message.split(SUGGESTION)[0]
            original = error.original_error
            # No path: the request itself was refused (syntax, limits, variables): no internals.
            if (
                original is None
                or error.path is None
                or isinstance(original, GraphQLError)
                or (isinstance(original, DomainError) and original.status < 500)
            ):
                masked.append(error)
                continue
            status = original.status if isinstance(original, DomainError) else 500
            code = original.code if isinstance(original, DomainError) else "internal"
            message = (
                original.detail
                if isinstance(original, DomainError) and original.code == "upstream-unavailable"
                else f"internal error in {service}"
            )
            if unstorable(original):
                status, code, message = 422, "invalid-field", UNSTORABLE
            masked.append(
                GraphQLError(
                    message,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    extensions={
                        "code": code,
                        "status": status,
                        "service": service,
                        "request_id": request_id_var.get(),
                    },
                )
            )
        result.errors = masked


def limit_extensions(
    limits: GraphQLLimits | None = None, mode: Mode | None = None
) -> list[Callable[[], SchemaExtension]]:
    """The extensions every subgraph's schema carries, read from settings once, when the
    schema is built; strawberry makes each afresh for every operation."""
    limits = limits or GraphQLLimits()
    mode = mode or CommonSettings().mode
    cost_rule = cost_limit_rule(limits.max_cost)
    found: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        # One level more than the gateway allows: its _entities fetches add one.
        partial(QueryDepthLimiter, max_depth=limits.max_depth + 1),
        partial(MaxAliasesLimiter, max_alias_count=limits.max_aliases),
        partial(AddValidationRules, [cost_rule]),
        partial(MaskUnexpectedErrors, hide_suggestions=not limits.introspection_on(mode)),
    ]
    if not limits.introspection_on(mode):
        found.append(DisableIntrospection)
    return found
