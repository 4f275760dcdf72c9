"""true and false are not numbers: every service refuses a boolean where its body declares a
number (pydantic alone would store `"target": false` as 0.0 and `"sao_id": true` as person 1),
with a 422 naming the field, nested and in bulk bodies too, and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.common.inputs import bools_for_numbers
from tests.conftest import ADMIN, EDITOR, RAG_SCALE, VIEWER
from tests.kpis.helpers import kpi_body, make_kpi
from tests.risks.factories import risk_body


def refused_field(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["message"] == "a number is required, not true or false"
    return str(error["field"])


async def test_programmes(programmes_api: httpx.AsyncClient) -> None:
    body: dict[str, Any] = {"code": "P1", "name": "Plan", "rag_scale": RAG_SCALE}
    refused = await programmes_api.post(
        "/portfolios", headers=ADMIN, json={**body, "financial_year_start": True}
    )
    assert refused_field(refused) == "financial_year_start"
    assert (await programmes_api.get("/portfolios", headers=VIEWER)).json() == []
    kept = await programmes_api.post(
        "/portfolios", headers=ADMIN, json={**body, "financial_year_start": 2024}
    )
    assert kept.status_code == 201, kept.text


async def test_risks(risks_api: httpx.AsyncClient) -> None:
    refused = await risks_api.post(
        "/risks", headers=EDITOR, json=risk_body(inherent_likelihood=True)
    )
    assert refused_field(refused) == "inherent_likelihood"
    assert (await risks_api.get("/risks", headers=VIEWER)).json()["total"] == 0


async def test_reporting(reporting_api: httpx.AsyncClient) -> None:
    refused = await reporting_api.post(
        "/packs", headers=EDITOR, json={"period": "2024-07", "supersedes_id": True}
    )
    assert refused_field(refused) == "supersedes_id"


async def test_kpis_top_level_and_in_bulk(kpis_api: httpx.AsyncClient) -> None:
    refused = await kpis_api.post("/kpis", headers=EDITOR, json=kpi_body(target=False))
    assert refused_field(refused) == "target"
    assert (await kpis_api.get("/kpis", headers=VIEWER)).json()["total"] == 0
    await make_kpi(kpis_api)
    items = [
        {"code": "KPI-01", "period": "2024-07", "value": 1.5, "idempotency_key": "s-1"},
        {"code": "KPI-01", "period": "2024-08", "value": True, "idempotency_key": "s-2"},
    ]
    bulk = await kpis_api.post("/kpis/measurements/bulk", headers=EDITOR, json={"items": items})
    assert refused_field(bulk) == "items.1.value"
    assert (await kpis_api.get("/kpis/KPI-01/measurements", headers=VIEWER)).json() == []


@pytest.mark.parametrize(
    ("annotation", "value", "found"),
    [
        (int, True, ["body"]),
        (int, 1, []),
        (bool, True, []),
        (int | None, False, ["body"]),
        (int | bool, True, []),
        (str, True, []),
        (list[float], [1.0, False, 2], ["1"]),
        (dict[str, float], {"a": 1, "b": True}, ["b"]),
    ],
)
def test_the_walk(annotation: Any, value: Any, found: list[str]) -> None:
    assert list(bools_for_numbers(annotation, value)) == found
