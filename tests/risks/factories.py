"""Building risks through the real API, shared by the risks tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import EDITOR, VIEWER


def risk_body(code: str = "IRP-R01", **fields: Any) -> dict[str, Any]:
    return {
        "code": code,
        "title": "Savings not delivered in year",
        "cause": "Proposals are not yet worked up into deliverable plans",
        "description": "The council fails to deliver the 2024/25 savings target of £149.8m",
        "owner": "Director of Finance and Section 151 Officer",
        "inherent_likelihood": 4,
        "inherent_impact": 5,
        "residual_likelihood": 3,
        "residual_impact": 4,
        "mitigation": "Monthly savings tracker reviewed at TIB",
        **fields,
    }


async def make_risk(api: httpx.AsyncClient, code: str = "IRP-R01", **fields: Any) -> dict[str, Any]:
    response = await api.post("/risks", headers=EDITOR, json=risk_body(code, **fields))
    assert response.status_code == 201, response.text
    return response.json()


async def total(api: httpx.AsyncClient) -> int:
    return (await api.get("/risks", headers=VIEWER)).json()["total"]
