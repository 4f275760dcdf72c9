"""Scoring matrices as versioned data, the score history, targets and mitigating actions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from tests.conftest import EDITOR, VIEWER
from tests.risks.factories import make_risk, risk_body
from tests.support import changes


def matrix_body(**fields: Any) -> dict[str, Any]:
    return {
        "code": "council-5x5",
        "name": "Council 5x5 risk matrix (2025 review)",
        "size": 5,
        "likelihood_labels": ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"],
        "impact_labels": ["Negligible", "Minor", "Moderate", "Major", "Catastrophic"],
        "bands": [
            {"name": "Low", "min_score": 1, "max_score": 3, "colour": "#2e7d32"},
            {"name": "Medium", "min_score": 4, "max_score": 9, "colour": "#f9a825"},
            {"name": "High", "min_score": 10, "max_score": 14, "colour": "#ef6c00"},
            {"name": "Very high", "min_score": 15, "max_score": 25, "colour": "#c62828"},
        ],
        "escalation_score": 15,
        **fields,
    }


async def reassess(
    api: httpx.AsyncClient, risk: dict[str, Any], version: int, **fields: Any
) -> httpx.Response:
    return await api.post(
        f"/risks/{risk['id']}/assessments",
        headers={**EDITOR, "If-Match": f'"{version}"'},
        json={"reason": "quarterly review", **fields},
    )


async def test_the_council_5x5_is_seeded_and_a_version_in_use_is_frozen(
    risks_api: httpx.AsyncClient,
) -> None:
    seeded = (await risks_api.get("/matrices/current", headers=VIEWER)).json()
    assert (seeded["code"], seeded["version"], seeded["size"]) == ("council-5x5", 1, 5)
    assert seeded["impact_labels"][-1] == "Catastrophic" and seeded["escalation_score"] == 16
    assert seeded["in_use"] is False

    risk = await make_risk(risks_api)  # scored on v1: v1 is now in use
    assert risk["matrix_version_id"] == seeded["id"]
    frozen = await risks_api.put(f"/matrices/{seeded['id']}", headers=EDITOR, json=matrix_body())
    assert frozen.status_code == 409, frozen.text
    assert frozen.json()["errors"][0]["field"] == "matrix_id"

    second = await risks_api.post("/matrices", headers=EDITOR, json=matrix_body())
    assert second.status_code == 201, second.text
    assert (second.json()["version"], second.json()["in_use"]) == (2, False)
    # Not yet used: a correction is allowed in place.
    fixed = await risks_api.put(
        f"/matrices/{second.json()['id']}", headers=EDITOR, json=matrix_body(escalation_score=16)
    )
    assert fixed.status_code == 200 and fixed.json()["escalation_score"] == 16

    # A re-assessment now scores on v2, while the first assessment keeps v1.
    assert (await reassess(risks_api, risk, 1, residual_likelihood=2, residual_impact=4)).is_success
    history = (await risks_api.get(f"/risks/{risk['id']}/assessments", headers=VIEWER)).json()
    assert [a["matrix_version_id"] for a in history] == [seeded["id"], second.json()["id"]]
    versions = (await risks_api.get("/matrices", headers=VIEWER)).json()
    assert [(m["version"], m["in_use"]) for m in versions] == [(1, True), (2, True)]


async def test_a_bad_matrix_names_its_field_and_writes_nothing(
    risks_api: httpx.AsyncClient,
) -> None:
    gap = matrix_body()
    gap["bands"][1]["min_score"] = 5
    cases = [
        (gap, "bands.1.min_score"),
        (matrix_body(escalation_score=26), "escalation_score"),
        (matrix_body(impact_labels=["a", "b"]), "impact_labels"),
        (matrix_body(size=6), "size"),
    ]
    seeded = (await risks_api.get("/matrices", headers=VIEWER)).json()
    assert [(m["code"], m["version"]) for m in seeded] == [("council-5x5", 1)]  # migrations'
    for body, field in cases:
        bad = await risks_api.post("/matrices", headers=EDITOR, json=body)
        assert bad.status_code == 422, (field, bad.text)
        assert bad.json()["errors"][0]["field"] == field
    assert (await risks_api.get("/matrices", headers=VIEWER)).json() == seeded
    assert await changes(risks_api) == []


async def test_every_review_is_kept_and_the_latest_is_the_current_score(
    risks_api: httpx.AsyncClient,
) -> None:
    risk = await make_risk(risks_api, target_likelihood=2, target_impact=3)  # current 3x4
    assert (risk["residual_score"], risk["target_score"]) == (12, 6)
    assert risk["identified_on"] and risk["author"] == "test-editor"
    first = await reassess(risks_api, risk, 1, residual_likelihood=2, residual_impact=4)
    assert first.status_code == 200, first.text
    assert first.json()["residual_score"] == 8 and first.headers["etag"] == '"2"'
    second = await reassess(risks_api, risk, 2, residual_likelihood=2, residual_impact=3)
    assert second.json()["residual_score"] == 6

    history = (await risks_api.get(f"/risks/{risk['id']}/assessments", headers=VIEWER)).json()
    assert [a["residual_score"] for a in history] == [12, 8, 6]
    assert [a["reason"] for a in history] == [
        "first assessment",
        "quarterly review",
        "quarterly review",
    ]
    assert {a["assessed_by"] for a in history} == {"test-editor"}
    trend = (await risks_api.get(f"/risks/{risk['id']}/trend?last=2", headers=VIEWER)).json()
    assert trend == {"risk_id": risk["id"], "scores": [8, 6], "direction": "falling"}

    # Bad input: a specific 4xx naming the field, and nothing written.
    for fields, field in [
        ({"residual_likelihood": 0, "residual_impact": 3}, "residual_likelihood"),
        ({"residual_likelihood": 6, "residual_impact": 3}, "residual_likelihood"),
        (
            {
                "residual_likelihood": 2,
                "residual_impact": 3,
                "target_likelihood": 3,
                "target_impact": 3,
            },
            "target_likelihood",
        ),
    ]:
        bad = await reassess(risks_api, risk, 3, **fields)
        assert bad.status_code == 422, (fields, bad.text)
        assert bad.json()["errors"][0]["field"] == field
    no_reason = await risks_api.post(
        f"/risks/{risk['id']}/assessments",
        headers={**EDITOR, "If-Match": '"3"'},
        json={"residual_likelihood": 1, "residual_impact": 1},
    )
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    stale = await reassess(risks_api, risk, 1, residual_likelihood=3, residual_impact=3)
    assert stale.status_code == 412
    history = (await risks_api.get(f"/risks/{risk['id']}/assessments", headers=VIEWER)).json()
    assert len(history) == 3

    above = await risks_api.post(
        "/risks",
        headers=EDITOR,
        json={**(await risks_api.get(f"/risks/{risk['id']}", headers=VIEWER)).json(), "code": "X"}
        | {"target_likelihood": 5, "target_impact": 5},
    )
    assert above.status_code == 422 and above.json()["errors"][0]["field"] == "target_likelihood"
    half = await risks_api.post(
        "/risks", headers=EDITOR, json=risk_body("IRP-R02", target_likelihood=1)
    )
    assert half.status_code == 422 and half.json()["errors"][0]["field"] == "target_impact"


async def test_mitigations_are_actions_and_lateness_is_flagged(
    risks_api: httpx.AsyncClient,
) -> None:
    identified = date(2024, 7, 1)
    risk = await make_risk(risks_api, identified_on=identified.isoformat(), review_on="2024-10-01")
    url = f"/risks/{risk['id']}/mitigations"
    early = await risks_api.post(
        url,
        headers=EDITOR,
        json={"description": "x", "owner": "y", "due_on": "2024-06-30"},
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "due_on"
    action = {
        "description": "Savings tracker reviewed monthly at TIB",
        "owner": "Director of Finance",
        "due_on": "2024-09-30",
    }
    created = await risks_api.post(url, headers=EDITOR, json=action)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "Planned"
    done = await risks_api.post(
        url, headers=EDITOR, json={**action, "description": "Done one", "status": "Done"}
    )
    assert done.json()["completed_on"] is not None

    as_of = {"as_of": (identified + timedelta(days=120)).isoformat()}
    overdue = (await risks_api.get("/mitigations/overdue", headers=VIEWER, params=as_of)).json()
    assert [m["id"] for m in overdue] == [created.json()["id"]]
    reviews = (await risks_api.get("/reviews/overdue", headers=VIEWER, params=as_of)).json()
    assert [r["code"] for r in reviews] == ["IRP-R01"]
    before = {"as_of": "2024-09-01"}
    assert (await risks_api.get("/mitigations/overdue", headers=VIEWER, params=before)).json() == []
    assert (await risks_api.get("/reviews/overdue", headers=VIEWER, params=before)).json() == []

    mitigation_url = f"/mitigations/{created.json()['id']}"
    blind = await risks_api.patch(mitigation_url, headers=EDITOR, json={"status": "Done"})
    assert blind.status_code == 428
    finished = await risks_api.patch(
        mitigation_url, headers={**EDITOR, "If-Match": '"1"'}, json={"status": "Done"}
    )
    assert finished.status_code == 200 and finished.json()["completed_on"] is not None
    assert (await risks_api.get("/mitigations/overdue", headers=VIEWER, params=as_of)).json() == []
    listed = (await risks_api.get(url, headers=VIEWER)).json()
    assert len(listed) == 2
    entities = [(c["entity"], c["action"]) for c in await changes(risks_api)]
    assert entities == [
        ("risk", "create"),
        ("mitigation", "create"),
        ("mitigation", "create"),
        ("mitigation", "update"),
    ]


async def test_a_risk_with_no_mitigations_or_reviews_lists_none(
    risks_api: httpx.AsyncClient,
) -> None:
    # Found by schemathesis: a risk without mitigations was a 500 (KeyError), not an empty list.
    risk = await make_risk(risks_api, "IRP-R09")
    for path in ("mitigations", "assessments"):
        listed = await risks_api.get(f"/risks/{risk['id']}/{path}", headers=VIEWER)
        assert listed.status_code == 200, (path, listed.text)
    mitigations = await risks_api.get(f"/risks/{risk['id']}/mitigations", headers=VIEWER)
    assert mitigations.json() == []
