"""Composing a pack: deterministic content, traceable figures, degraded sections reported."""

from __future__ import annotations

from typing import Any

import httpx

from services.reporting.periods import Period
from services.reporting.service import (
    canonical_sha256,
    compose,
    period_window,
    render_html,
)
from services.reporting.sources import PACK_QUERY, gather, rows
from tests.conftest import EDITOR, VIEWER, settings_override
from tests.reporting import demo_pack
from tests.support import changes
from tests.support.graphql import invalid_against_supergraph

DATA = {
    "programmes": [
        {
            "id": "2",
            "code": "IRP-02",
            "name": "Job Evaluation Programme",
            "directorate": None,
            "sao": {"id": "4", "name": "Director of People Services"},
            "rdl": None,
            "leadMember": {"id": "5", "name": "Deputy Leader"},
            "portfolioCode": "IRP-2024",
            "aimCode": "AIM-1",
            "aim": {"code": "AIM-1", "name": "A Financially Sustainable Council"},
            "latestHighlightReport": {
                "id": "7",
                "period": "2024-06",
                "dca": "Amber/Red",
                "dcaRag": "Red",
                "dcaReason": "Pay model not agreed",
            },
            "keyActivities": [
                {
                    "id": "11",
                    "title": "Implement new pay model",
                    "startText": "Apr 2024",
                    "endText": "Jul 2024",
                    "endDate": "2024-07-31",
                }
            ],
            "risks": None,
            "kpis": [
                {
                    "id": "3",
                    "code": "KPI-03",
                    "name": "Savings delivered",
                    "unit": "£",
                    "target": 149.8,
                    "tolerance": 5.0,
                    "higherIsBetter": True,
                    "latest": {
                        "id": "40",
                        "period": "2024-07",
                        "value": 120.0,
                        "revision": 2,
                        "colour": "Red",
                        "direction": "Improving",
                    },
                }
            ],
        },
        {
            "id": "1",
            "code": "IRP-01",
            "name": "Deliver Savings & Balance the Budget",
            "directorate": None,
            "sao": {"id": "6", "name": "Director of Finance and Section 151 Officer"},
            "rdl": None,
            "leadMember": {"id": "7", "name": "Cabinet Member for Finance"},
            "portfolioCode": "IRP-2024",
            "aimCode": "AIM-1",
            "aim": None,
            "latestHighlightReport": None,
            "keyActivities": [],
            "risks": [],
            "kpis": [],
        },
    ]
}
ERRORS = [{"message": "Unexpected error.", "path": ["programmes", 0, "risks"]}]


def test_compose_orders_traces_and_flags() -> None:
    content = compose(period="2024-07", data=DATA, errors=ERRORS)
    assert [p["code"] for p in content["programmes"]] == ["IRP-01", "IRP-02"]
    job = content["programmes"][1]
    assert job["dca"] == {
        "value": "Amber/Red",
        "rag": "Red",
        "reason": "Pay model not agreed",
        "period": "2024-06",
        "highlight_report_id": "7",
        "stale": True,
    }
    assert job["top_risks"] is None
    assert job["kpi_scorecard"][0]["latest"]["measurement_id"] == "40"
    assert job["key_activities_due"][0]["key_activity_id"] == "11"
    assert content["unavailable_sections"] == ["risks"]


def test_sections_are_named_with_or_without_a_list_index() -> None:
    # Hive Gateway reports a subgraph outage under the field, without the programme's index.
    errors: list[dict[str, Any]] = [
        {"message": "risks unavailable", "path": ["programmes", "risks"]},
        {"message": "kpis unavailable", "path": ["programmes", 1, "kpis", 0, "latest"]},
        {"message": "x", "extensions": {"service": "programmes"}},
        # programmes is a page: its items are the list, the section is the field under them
        {"message": "y", "path": ["programmes", "items", 2, "escalations"]},
    ]
    content = compose(period="2024-07", data=DATA, errors=errors)
    assert content["unavailable_sections"] == ["escalations", "kpis", "programmes", "risks"]


def test_same_inputs_same_pack() -> None:
    first = compose(period="2024-07", data=DATA, errors=[])
    reordered = {"programmes": list(reversed(DATA["programmes"]))}
    second = compose(period="2024-07", data=reordered, errors=[])
    assert canonical_sha256(first) == canonical_sha256(second)
    assert canonical_sha256(first) != canonical_sha256(
        compose(period="2024-08", data=DATA, errors=[])
    )


def test_html_shows_the_figures() -> None:
    html = render_html(compose(period="2024-07", data=DATA, errors=ERRORS))
    for text in (
        "Job Evaluation Programme",
        "Amber/Red",
        "Pay model not agreed",
        "120.0",
        "Risks unavailable",
        "restated r2",
    ):
        assert text in html


def test_period_window() -> None:
    assert [d.isoformat() for d in period_window("2024-02")] == ["2024-02-01", "2024-02-29"]


async def test_gateway_down_is_503_and_writes_nothing(reporting_api: httpx.AsyncClient) -> None:
    with settings_override(reporting_api, gateway_url="http://127.0.0.1:9/graphql"):
        response = await reporting_api.post("/packs", headers=EDITOR, json={"period": "2024-07"})
    assert response.status_code == 503
    assert response.json()["errors"][0]["field"] == "gateway"
    assert (await reporting_api.get("/packs", headers=VIEWER)).json() == []
    assert await changes(reporting_api) == []


async def test_pack_input_is_checked(reporting_api: httpx.AsyncClient) -> None:
    bad = await reporting_api.post("/packs", headers=EDITOR, json={"period": "July 2024"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"
    viewer = await reporting_api.post("/packs", headers=VIEWER, json={"period": "2024-07"})
    assert viewer.status_code == 403
    missing = await reporting_api.get("/packs/999", headers=VIEWER)
    assert missing.status_code == 404


def test_the_pack_query_is_valid_against_the_supergraph() -> None:
    """The pack asks the gateway one query: a field renamed in a subgraph must fail here, not
    on the night the board's pack is composed."""
    assert invalid_against_supergraph(PACK_QUERY) == []
    # And the check has teeth: a field the graph does not have is refused.
    assert invalid_against_supergraph(PACK_QUERY.replace("leadMember", "leadMembr", 1))


async def test_a_pack_makes_the_same_requests_whatever_the_number_of_programmes() -> None:
    """One gateway query and two assurance reads, for 2 programmes as for 16: nothing is asked
    per programme. The gateway's answer is canned (the demo month); what is counted is what
    the pack asks."""
    asked: list[tuple[str, str]] = []

    def answer_with(programmes: int) -> httpx.MockTransport:
        found = demo_pack.data()
        found["programmes"] = {"items": found["programmes"][:programmes]}

        def handle(request: httpx.Request) -> httpx.Response:
            asked.append((request.method, request.url.path))
            if request.url.path == "/graphql":
                return httpx.Response(200, json={"data": found})
            return httpx.Response(200, json=[] if "confidence" in request.url.path else {})

        return httpx.MockTransport(handle)

    counts = []
    for programmes in (2, 16):
        asked.clear()
        async with httpx.AsyncClient(transport=answer_with(programmes)) as http:
            found = await gather(
                http=http,
                gateway_url="http://gateway.test/graphql",
                programmes_url="http://programmes.test",
                token="t",
                period=Period.parse("2024-07"),
                top_risks=5,
            )
        assert len(rows(found.data["programmes"])) == programmes
        counts.append(list(asked))
    assert (
        counts[0]
        == counts[1]
        == [
            ("POST", "/graphql"),
            ("GET", "/assurance/smart"),
            ("GET", "/assurance/confidence"),
        ]
    )
