"""The reporting subgraph: packs as a page, and pack references resolved in one batch."""

from __future__ import annotations

import httpx

from tests.conftest import VIEWER
from tests.reporting.test_sign_off import stored_pack
from tests.support.statements import statements


async def test_pack_references_load_in_one_query(reporting_api: httpx.AsyncClient) -> None:
    ids = [await stored_pack(reporting_api, f"2024-0{month}") for month in (4, 5, 6)]
    query = """query($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on Pack { id period } }
    }"""
    reps = [{"__typename": "Pack", "id": str(i)} for i in [*ids, 999]]
    with statements(reporting_api, "pack") as seen:
        response = await reporting_api.post(
            "/graphql", headers=VIEWER, json={"query": query, "variables": {"reps": reps}}
        )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["_entities"] == [
        {"id": str(ids[0]), "period": "2024-04"},
        {"id": str(ids[1]), "period": "2024-05"},
        {"id": str(ids[2]), "period": "2024-06"},
        None,
    ]
    assert len(seen) == 1, seen


async def test_packs_are_a_page(reporting_api: httpx.AsyncClient) -> None:
    for month in (4, 5, 6):
        await stored_pack(reporting_api, f"2024-0{month}")
    response = await reporting_api.post(
        "/graphql",
        headers=VIEWER,
        json={
            "query": "{ packs(limit: 2) { items { period } totalCount pageInfo { hasNextPage } } }"
        },
    )
    assert response.json()["data"]["packs"] == {
        "items": [{"period": "2024-06"}, {"period": "2024-05"}],
        "totalCount": 3,
        "pageInfo": {"hasNextPage": True},
    }
    bad = await reporting_api.post(
        "/graphql", headers=VIEWER, json={"query": '{ pack(id: "x") { id } }'}
    )
    error = bad.json()["errors"][0]["extensions"]
    assert error["status"] == 422 and error["errors"][0]["field"] == "id"
