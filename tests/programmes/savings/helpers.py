"""Shared set-up for the savings tests: a portfolio, aims and programmes made through REST."""

from __future__ import annotations

from typing import Any

import httpx
import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info

from services.common.auth import Principal, Role
from services.common.graphql import Context, federated_schema
from services.programmes import graphql as root
from services.programmes.governance.graphql import (
    Escalation,
    escalations_for,
)
from services.programmes.savings.graphql import (
    SavingsInitiative,
    savings_for,
)
from tests.conftest import ADMIN, EDITOR
from tests.programmes.test_api import make_portfolio, make_programme


async def make_aim(api: httpx.AsyncClient, portfolio_id: int, code: str, name: str) -> dict:
    response = await api.post(
        "/aims", headers=ADMIN, json={"portfolio_id": portfolio_id, "code": code, "name": name}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def plan(api: httpx.AsyncClient) -> dict[str, Any]:
    """Two aims, three programmes (one without an aim or a directorate)."""
    portfolio = await make_portfolio(api)
    finance = await make_aim(api, portfolio["id"], "AIM-1", "A Financially Sustainable Council")
    services = await make_aim(api, portfolio["id"], "AIM-3", "A Council Delivering Good Services")
    savings = await make_programme(
        api, portfolio["id"], "IRP-01", aim_id=finance["id"], directorate="Council Management"
    )
    children = await make_programme(
        api,
        portfolio["id"],
        "IRP-09",
        name="SEND Improvement",
        aim_id=services["id"],
        directorate="Children and Families",
    )
    loose = await make_programme(api, portfolio["id"], "IRP-99", name="Unassigned")
    return {
        "portfolio": portfolio,
        "aims": {"finance": finance, "services": services},
        "programmes": {"savings": savings, "children": children, "loose": loose},
    }


def initiative(programme_id: int, code: str, **fields: Any) -> dict[str, Any]:
    return {
        "programme_id": programme_id,
        "code": code,
        "title": f"Savings proposal {code}",
        "financial_year": "2024/25",
        "target": "1000.00",
        "forecast": "1000.00",
        **fields,
    }


async def make_initiative(
    api: httpx.AsyncClient, programme_id: int, code: str, **fields: Any
) -> dict:
    response = await api.post(
        "/savings", headers=EDITOR, json=initiative(programme_id, code, **fields)
    )
    assert response.status_code == 201, response.text
    return response.json()


# GraphQL: the service's own root types merged with ours, as the lead will wire them -----------


@strawberry.type
class ProgrammeRollup:
    """Stands in for the Programme entity's ``savings`` and ``escalations`` fields."""

    id: strawberry.ID

    @strawberry.field
    async def savings(self, info: Info[Context, None]) -> list[SavingsInitiative]:
        return await savings_for(info, int(self.id))

    @strawberry.field
    async def escalations(self, info: Info[Context, None]) -> list[Escalation]:
        return await escalations_for(info, int(self.id))


@strawberry.type
class WiringQuery:
    @strawberry.field
    def programme_rollups(self, ids: list[strawberry.ID]) -> list[ProgrammeRollup]:
        return [ProgrammeRollup(id=i) for i in ids]


# The service's own schema (savings and governance are wired into it), plus a root field that
# reaches Programme.savings / .escalations for many programmes at once.
SCHEMA = federated_schema(
    query=merge_types("Query", (root.Query, WiringQuery)),
    mutation=root.Mutation,
    types=[root.Programme],
)

PRINCIPALS = {
    "editor": Principal(subject="test-editor", roles=frozenset({Role.editor})),
    "viewer": Principal(subject="test-viewer", roles=frozenset({Role.viewer})),
}


async def gql(
    api: httpx.AsyncClient, query: str, role: str = "viewer", **variables: Any
) -> tuple[dict | None, list[dict]]:
    """Run ``query`` on the merged schema against the app's engine: (data, errors' extensions)."""
    engine = api._transport.app.state.engine  # type: ignore[attr-defined]
    result = await SCHEMA.execute(
        query,
        variable_values=variables,
        context_value=Context(principal=PRINCIPALS[role], engine=engine),
    )
    errors = [{"message": e.message, **(e.extensions or {})} for e in result.errors or []]
    return result.data, errors
