"""Shared helpers for the KPIs tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import ADMIN, EDITOR, VIEWER


def kpi_body(code: str = "KPI-01", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Budget on target (within agreed tolerances)",
        "portfolio_code": "IRP-2024",
        "aim_code": "AIM-1",
        "outcome": "A balanced budget",
        "unit": "%",
        "higher_is_better": True,
        "frequency": "monthly",
        "target": 90.0,
        "tolerance": 5.0,
        **extra,
    }


async def make_kpi(api: httpx.AsyncClient, code: str = "KPI-01", **extra: Any) -> dict[str, Any]:
    response = await api.post("/kpis", headers=EDITOR, json=kpi_body(code, **extra))
    assert response.status_code == 201, response.text
    return response.json()


async def push(
    api: httpx.AsyncClient,
    code: str,
    period: str,
    value: float,
    *,
    headers: dict[str, str] = EDITOR,
    key: str | None = None,
    note: str | None = None,
    reason: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"period": period, "value": value}
    if note is not None:
        body["note"] = note
    if reason is not None:
        body["reason"] = reason
    return await api.post(
        f"/kpis/{code}/measurements",
        headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
        json=body,
    )


async def register_client(
    api: httpx.AsyncClient, client_id: str, codes: list[str], name: str = "Finance ledger"
) -> dict[str, Any]:
    response = await api.post(
        "/push-clients",
        headers=ADMIN,
        json={"client_id": client_id, "name": name, "kpi_codes": codes},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def measurements(api: httpx.AsyncClient, code: str) -> list[dict[str, Any]]:
    response = await api.get(f"/kpis/{code}/measurements", headers=VIEWER)
    assert response.status_code == 200, response.text
    return response.json()
