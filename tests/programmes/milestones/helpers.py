"""Shared set-up for the milestone, action and transfer tests, made through the REST API."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, EDITOR, RAG_SCALE, VIEWER

TODAY = date(2025, 1, 15)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Fix the council's today (REST, GraphQL and imports all read it) at 15 January 2025."""
    from services.common import clock

    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


async def make_person(api: httpx.AsyncClient, name: str) -> int:
    response = await api.post("/people", headers=ADMIN, json={"name": name})
    if response.status_code == 409:
        found = await api.get("/people", headers=VIEWER, params={"q": name})
        return int(next(p["id"] for p in found.json()["items"] if p["name"] == name))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def make_portfolio(api: httpx.AsyncClient, code: str = "IRP-2024", **fields: Any) -> int:
    existing = (await api.get("/portfolios", headers=VIEWER)).json()
    for portfolio in existing:
        if portfolio["code"] == code:
            return int(portfolio["id"])
    response = await api.post(
        "/portfolios",
        headers=ADMIN,
        json={
            "code": code,
            "name": "Improvement and Recovery Plan",
            "rag_scale": RAG_SCALE,
            **fields,
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def make_programme(
    api: httpx.AsyncClient,
    code: str = "IRP-01",
    name: str = "Deliver Savings & Balance the Budget",
    portfolio_id: int | None = None,
) -> int:
    body = {
        "portfolio_id": portfolio_id or await make_portfolio(api),
        "code": code,
        "name": name,
        "sao_id": await make_person(api, "Director of Finance and Section 151 Officer"),
        "lead_member_id": await make_person(api, "Cabinet Member for Finance and Resources"),
    }
    response = await api.post("/programmes", headers=EDITOR, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def make_workstream(api: httpx.AsyncClient, programme_id: int, name: str) -> int:
    response = await api.post(
        f"/programmes/{programme_id}/workstreams", headers=EDITOR, json={"name": name}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def add_milestone(
    api: httpx.AsyncClient, programme_id: int, headers: dict[str, str] = EDITOR, **fields: Any
) -> httpx.Response:
    body = {"title": "Set the 2025/26 budget", "start_text": "Apr-24", "end_text": "Feb 2025"}
    return await api.post(
        f"/programmes/{programme_id}/key-activities", headers=headers, json={**body, **fields}
    )


async def milestone(api: httpx.AsyncClient, programme_id: int, **fields: Any) -> dict[str, Any]:
    response = await add_milestone(api, programme_id, **fields)
    assert response.status_code == 201, response.text
    return response.json()


async def add_action(
    api: httpx.AsyncClient, programme_id: int, headers: dict[str, str] = EDITOR, **fields: Any
) -> httpx.Response:
    body = {
        "number": "1.1",
        "description": "Re-issue, to officers and members, member roles and behaviours as set "
        "out in the constitution",
        "timescale": "Feb-15",
        "measures": "Senior members and officers know where to find the definition of roles",
        "responsible": "Director Legal Services",
        "review_references": "3a, 3c, 3d",
    }
    return await api.post(
        f"/programmes/{programme_id}/actions", headers=headers, json={**body, **fields}
    )


async def action(api: httpx.AsyncClient, programme_id: int, **fields: Any) -> dict[str, Any]:
    response = await add_action(api, programme_id, **fields)
    assert response.status_code == 201, response.text
    return response.json()


def first_error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return dict(response.json()["errors"][0])


def if_match(version: int, headers: dict[str, str] = EDITOR) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}
