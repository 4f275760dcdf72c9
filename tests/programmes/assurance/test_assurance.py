"""SMART plan quality and evidence-based delivery confidence, against PostgreSQL."""

from __future__ import annotations

import httpx

from services.programmes.assurance.schemas import Evidence
from services.programmes.assurance.service import evidence_rag, is_watermelon
from tests.conftest import EDITOR, VIEWER
from tests.programmes.test_api import make_person, make_portfolio, make_programme

AS_OF = "2024-10-15"


def test_evidence_and_watermelon_rules() -> None:
    amber = Evidence(kind="slipped milestone", item_id=1, ref="x", detail="", rag="Amber")
    red = Evidence(kind="overdue milestone", item_id=2, ref="y", detail="", rag="Red")
    assert evidence_rag([]) == "Green"
    assert evidence_rag([amber]) == "Amber" and evidence_rag([amber, red]) == "Red"
    assert is_watermelon("Green", "Amber") and is_watermelon("Amber", "Red")
    assert not is_watermelon("Amber", "Amber") and not is_watermelon("Red", "Green")
    assert not is_watermelon(None, "Red")


async def programme_with_items(api: httpx.AsyncClient) -> dict:
    portfolio = await make_portfolio(api)
    programme = await make_programme(api, portfolio["id"])
    url = f"/programmes/{programme['id']}/key-activities"
    for body in (
        {
            "title": "Overdue but On track",
            "start_text": "Apr 2024",
            "end_text": "Jun 2024",
            "status": "On track",
        },
        {
            "title": "Dated honestly",
            "start_text": "Apr 2024",
            "end_text": "Mar 2025",
            "status": "On track",
        },
        {"title": "Date to be confirmed", "start_text": "Apr 2024", "end_text": "TBC"},
    ):
        response = await api.post(url, headers=EDITOR, json=body)
        assert response.status_code == 201, response.text
    action = {"number": "1.1", "description": "Agree the pay model", "timescale": "TBC"}
    response = await api.post(f"/programmes/{programme['id']}/actions", headers=EDITOR, json=action)
    assert response.status_code == 201, response.text
    return programme


async def test_smart_lists_each_failing_item(programmes_api: httpx.AsyncClient) -> None:
    programme = await programme_with_items(programmes_api)
    response = await programmes_api.get("/assurance/smart", headers=VIEWER, params={"as_of": AS_OF})
    report = response.json()
    found = {(f["ref"], f["test"]) for f in report["failures"]}
    assert ("Overdue but On track", "overdue but On track") in found
    assert ("Date to be confirmed", "only TBC") in found
    assert ("action 1.1", "no owner") in found
    assert ("action 1.1", "no measure") in found
    assert ("action 1.1", "only TBC") in found
    assert not any(ref == "Dated honestly" for ref, _ in found)
    assert report["checked"] == {"programmes": 1, "key_activities": 3, "actions": 1}
    assert all(f["programme_code"] == programme["code"] for f in report["failures"])
    missing = await programmes_api.get(
        "/assurance/smart", headers=VIEWER, params={"programme_id": 999}
    )
    assert missing.status_code == 404


async def test_a_green_declaration_over_red_evidence_is_a_watermelon(
    programmes_api: httpx.AsyncClient,
) -> None:
    programme = await programme_with_items(programmes_api)
    declared = await programmes_api.post(
        f"/programmes/{programme['id']}/dca",
        headers=EDITOR,
        json={"dca": "Green", "reason": "All on track", "assessed_on": "2024-10-01"},
    )
    assert declared.status_code == 201, declared.text
    checks = (
        await programmes_api.get("/assurance/confidence", headers=VIEWER, params={"as_of": AS_OF})
    ).json()
    (check,) = checks
    assert check["declared_dca"] == "Green" and check["evidence_rag"] == "Red"
    assert check["watermelon"] is True
    assert check["evidence"][0]["ref"] == "Overdue but On track"
    assert "days overdue" in check["evidence"][0]["detail"]
    before_due = (
        await programmes_api.get(
            "/assurance/confidence", headers=VIEWER, params={"as_of": "2024-06-01"}
        )
    ).json()
    assert before_due[0]["watermelon"] is False and before_due[0]["evidence"] == []
    only = await programmes_api.get(
        "/assurance/confidence",
        headers=VIEWER,
        params={"as_of": "2024-06-01", "watermelons_only": "true"},
    )
    assert only.json() == []
    assert (await make_person(programmes_api, "Unused"))["roles"] == []
