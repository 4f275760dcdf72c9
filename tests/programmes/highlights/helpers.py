"""Shared set-up for the highlight report tests: a portfolio, programmes, reports."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import EDITOR
from tests.programmes.test_api import make_portfolio, make_programme

# From the council's April 2015 highlight report (Action Plan 1, Roles & Responsibilities).
APRIL_2015: dict[str, Any] = {
    "period": "2015-04",
    "dca": "Amber/Green",
    "dca_reason": "Head of OD appointed; member development waits for the election",
    "highlights": "Appointed experienced Head of OD to lead this work and provide external "
    "challenge and expertise",
    "next_steps": [
        {
            "what": "Initiate Member Development programme post election, including induction",
            "when": "Q1",
            "who": "Director Delivery",
            "confidence": "Med",
        },
        {
            "what": "Evaluation of whistleblowing",
            "when": "September 2015",
            "who": "Director Legal",
            "confidence": "High",
        },
        {
            "what": "Boundary Commission report",
            "when": "Q1/2",
            "who": "Head of Electoral Services",
            "confidence": "high",
        },
        {"what": "Agree steering-group membership", "when": "ASAP"},
    ],
    "confidence": "Med",
    "decisions_needed": "TIB to agree the member development budget",
}


async def programmes(api: httpx.AsyncClient, count: int = 1) -> list[dict[str, Any]]:
    portfolio = await make_portfolio(api)
    return [
        await make_programme(api, portfolio["id"], code=f"IRP-{n:02d}") for n in range(1, count + 1)
    ]


async def submit(
    api: httpx.AsyncClient, programme_id: int, headers: dict[str, str] = EDITOR, **fields: Any
) -> httpx.Response:
    body = {"period": "2024-07", "dca": "Amber", "dca_reason": "Savings tracker in place"}
    return await api.post(
        f"/programmes/{programme_id}/highlight-reports", headers=headers, json={**body, **fields}
    )


async def submitted(api: httpx.AsyncClient, programme_id: int, **fields: Any) -> dict[str, Any]:
    response = await submit(api, programme_id, **fields)
    assert response.status_code == 201, response.text
    return response.json()


def errors_field(response: httpx.Response) -> str:
    return response.json()["errors"][0]["field"]
