"""The KPIs subgraph: its own Kpi entity, and Programme.kpis through @requires."""

from __future__ import annotations

import httpx

from services.kpis.graphql import schema
from tests.kpis.helpers import make_kpi, push
from tests.support.graphql import gql


def test_sdl_declares_the_programme_extension() -> None:
    sdl = schema.as_str()
    assert 'type Programme @key(fields: "id") {' in sdl
    assert "code: String! @external" in sdl
    assert 'kpis: [Kpi!] @requires(fields: "code")' in sdl
    assert "enum Colour {\n" in sdl and "  BLUE\n" in sdl
    assert 'type Kpi @key(fields: "id") {' in sdl
    assert "upToPeriod: String = null" in sdl


async def test_programme_kpis_are_those_it_owns(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api, "KPI-01", programme_code="IRP-01")
    await make_kpi(
        kpis_api,
        "KPI-02",
        higher_is_better=False,
        target=10,
        tolerance=2,
        programme_code="IRP-01",
    )
    # Same aim, another owner: not IRP-01's, whatever their aim shares.
    await make_kpi(kpis_api, "KPI-03", programme_code="IRP-03")
    await make_kpi(kpis_api, "KPI-04")
    await push(kpis_api, "KPI-01", "2024-06", 88)
    await push(kpis_api, "KPI-01", "2024-07", 96)
    await push(kpis_api, "KPI-02", "2024-07", 11)
    query = """query($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Programme {
          id kpis { code unit higherIsBetter latest { period value colour direction } }
        }
      }
    }"""
    reps = [
        {"__typename": "Programme", "id": "1", "code": "IRP-01"},
        {"__typename": "Programme", "id": "3", "code": "IRP-03"},
        {"__typename": "Programme", "id": "2", "code": "IRP-02"},
    ]
    body = await gql(kpis_api, query, reps=reps)
    assert "errors" not in body, body
    entities = body["data"]["_entities"]
    assert entities[0] == {
        "id": "1",
        "kpis": [
            {
                "code": "KPI-01",
                "unit": "PERCENT",
                "higherIsBetter": True,
                "latest": {
                    "period": "2024-07",
                    "value": 96,
                    "colour": "BLUE",
                    "direction": "IMPROVING",
                },
            },
            {
                "code": "KPI-02",
                "unit": "PERCENT",
                "higherIsBetter": False,
                "latest": {"period": "2024-07", "value": 11, "colour": "AMBER", "direction": None},
            },
        ],
    }
    assert [k["code"] for k in entities[1]["kpis"]] == ["KPI-03"]
    assert entities[2]["kpis"] == []  # owns none

    # Without the required fields the subgraph cannot tell: null, not a guess.
    unknown = await gql(kpis_api, query, reps=[{"__typename": "Programme", "id": "9"}])
    assert unknown["data"]["_entities"][0]["kpis"] is None


async def test_kpi_queries_latest_and_measurements(kpis_api: httpx.AsyncClient) -> None:
    kpi = await make_kpi(kpis_api, "KPI-01")
    await make_kpi(kpis_api, "KPI-02", aim_code="AIM-2", target=None)
    await push(kpis_api, "KPI-01", "2024-05", 80)
    await push(kpis_api, "KPI-01", "2024-06", 85)
    await push(kpis_api, "KPI-01", "2024-06", 92, reason="late invoices")  # restated
    await push(kpis_api, "KPI-01", "2024-07", 91)
    await push(kpis_api, "KPI-02", "2024-07", 3)
    query = """query($code: String!) {
      kpi(code: $code) {
        code frequency target tolerance aimCode portfolioCode outcome
        latest { period revision value colour direction previousPeriod }
        june: latest(upToPeriod: "2024-06") { period revision value colour direction }
        byQuarter: latest(upToPeriod: "2024/25 Q1") { period }
        measurements { period revision value current colour }
        restated: measurements(period: "2024-06") { revision value current }
      }
      kpis(portfolioCode: "IRP-2024", aimCode: "AIM-2") {
        items { code latest { value colour direction } } totalCount pageInfo { hasNextPage }
      }
      missing: kpi(code: "KPI-99") { code }
    }"""
    data = (await gql(kpis_api, query, code="KPI-01"))["data"]
    got = data["kpi"]
    assert (got["code"], got["frequency"], got["target"], got["aimCode"]) == (
        "KPI-01",
        "MONTHLY",
        90,
        "AIM-1",
    )  # frequency is a GraphQL enum
    assert (got["frequency"], got["target"]) == (
        "MONTHLY",
        90,
    )
    assert got["latest"] == {
        "period": "2024-07",
        "revision": 1,
        "value": 91,
        "colour": "GREEN",
        "direction": "WORSENING",
        "previousPeriod": "2024-06",
    }
    assert got["june"] == {
        "period": "2024-06",
        "revision": 2,
        "value": 92,
        "colour": "GREEN",
        "direction": "IMPROVING",
    }
    assert got["byQuarter"] == {"period": "2024-06"}
    assert [(m["period"], m["revision"], m["current"]) for m in got["measurements"]] == [
        ("2024-07", 1, True),
        ("2024-06", 2, True),
        ("2024-06", 1, False),
        ("2024-05", 1, True),
    ]
    assert got["restated"] == [
        {"revision": 2, "value": 92, "current": True},
        {"revision": 1, "value": 85, "current": False},
    ]
    assert data["kpis"] == {
        "items": [{"code": "KPI-02", "latest": {"value": 3, "colour": None, "direction": None}}],
        "totalCount": 1,
        "pageInfo": {"hasNextPage": False},
    }
    assert data["missing"] is None

    entities = await gql(
        kpis_api,
        "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Kpi { code } } }",
        reps=[{"__typename": "Kpi", "id": str(kpi["id"])}],
    )
    assert entities["data"]["_entities"] == [{"code": "KPI-01"}]
    bad_id = await gql(
        kpis_api,
        "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Kpi { code } } }",
        reps=[{"__typename": "Kpi", "id": "KPI-01"}],
    )
    assert bad_id["errors"][0]["extensions"]["errors"][0]["field"] == "id", bad_id


async def test_graphql_errors_and_auth(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    bad = await gql(kpis_api, '{ kpi(code: "KPI-01") { latest(upToPeriod: "soon") { value } } }')
    error = bad["errors"][0]["extensions"]
    assert (error["status"], error["errors"][0]["field"]) == (422, "upToPeriod")
    anonymous = await kpis_api.post("/graphql", json={"query": "{ kpis { code } }"})
    assert anonymous.status_code == 401


async def test_unit_names_what_unit_label_prints(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api, unit="count")
    await make_kpi(kpis_api, "KPI-02", unit="rate per 1,000")
    body = await gql(kpis_api, "{ kpis { items { code unit unitLabel } } }")
    assert body["data"]["kpis"]["items"] == [
        {"code": "KPI-01", "unit": "COUNT", "unitLabel": "count"},
        {"code": "KPI-02", "unit": "RATE_PER_1000", "unitLabel": "rate per 1,000"},
    ]
