"""Shared set-up for the savings tests: a portfolio, aims and programmes made through REST."""

from __future__ import annotations

from typing import Any

import httpx

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
