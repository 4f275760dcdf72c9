"""Every operation that reads If-Match names 412 in its OpenAPI document, and 428 where the
header is required; what the service answers matches."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN


async def test_412_and_428_are_documented_and_answered(programmes_api: httpx.AsyncClient) -> None:
    document = (await programmes_api.get("/openapi.json")).json()
    versioned = [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if any(p["name"].lower() == "if-match" for p in operation.get("parameters", []))
    ]
    assert len(versioned) > 5
    for path, method, operation in versioned:
        responses = operation["responses"]
        assert "412" in responses, (method, path)
        assert "application/problem+json" in responses["412"]["content"], (method, path)
    patch = document["paths"]["/people/{person_id}"]["patch"]["responses"]
    assert {"412", "428"} <= set(patch)

    person = await programmes_api.post("/people", headers=ADMIN, json={"name": "Doc Test"})
    blind = await programmes_api.patch(
        f"/people/{person.json()['id']}", headers=ADMIN, json={"name": "Blind"}
    )
    assert blind.status_code == 428
    assert blind.headers["content-type"] == "application/problem+json"
    stale = await programmes_api.patch(
        f"/people/{person.json()['id']}",
        headers={**ADMIN, "If-Match": '"99"'},
        json={"name": "Stale"},
    )
    assert stale.status_code == 412
