"""A schema of this slice's GraphQL types alone, run against the test service's database: the
root merge is wired elsewhere, so these tests do not depend on it."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info

from services.common.auth import Principal, Role
from services.common.graphql import Context, federated_schema
from services.programmes.actions.graphql import Action, ActionsMutation, ActionsQuery, actions_for
from services.programmes.milestones.graphql import (
    KeyActivity,
    MilestonesMutation,
    MilestonesQuery,
    key_activities_for,
)


@strawberry.type
class ProgrammeStub:
    id: int

    @strawberry.field
    async def key_activities(
        self,
        info: Info[Context, None],
        due_from: date | None = None,
        due_to: date | None = None,
    ) -> list[KeyActivity]:
        return await key_activities_for(info, self.id, due_from=due_from, due_to=due_to)

    @strawberry.field
    async def actions(self, info: Info[Context, None]) -> list[Action]:
        return await actions_for(info, self.id)


@strawberry.type
class StubQuery:
    @strawberry.field
    def programmes(self, ids: list[int]) -> list[ProgrammeStub]:
        return [ProgrammeStub(id=i) for i in ids]


schema = federated_schema(
    query=merge_types("Query", (StubQuery, MilestonesQuery, ActionsQuery)),
    mutation=merge_types("Mutation", (MilestonesMutation, ActionsMutation)),
)


async def run(
    api: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    role: Role = Role.editor,
) -> Any:
    engine = api._transport.app.state.engine  # type: ignore[attr-defined]
    context = Context(principal=Principal(f"test-{role.value}", frozenset({role})), engine=engine)
    return await schema.execute(query, variable_values=variables, context_value=context)


def status_of(result: Any) -> int:
    assert result.errors, result
    return int(result.errors[0].extensions["status"])
