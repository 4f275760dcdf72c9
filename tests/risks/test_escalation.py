"""Escalation through the live programmes service's boards (over HTTP), de-escalation, each
step in the risk's history, and a clean failure when that service is down."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN, EDITOR, VIEWER
from tests.risks.factories import make_risk
from tests.risks.test_api import programmes_down  # noqa: F401  (fixture)
from tests.support import changes


async def escalation(base: str, escalation_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{base}/escalations/{escalation_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return dict(response.json())


def boards(base: str) -> dict[str, dict[str, Any]]:
    """The IRB <- TIB chain in the live programmes service (created once per session)."""
    found = {b["kind"]: b for b in httpx.get(f"{base}/boards", headers=ADMIN).json()}
    if "IRB" not in found:
        found["IRB"] = httpx.post(
            f"{base}/boards",
            headers=ADMIN,
            json={"code": "IRB", "name": "Improvement and Recovery Board", "kind": "IRB"},
        ).json()
    if "TIB" not in found:
        found["TIB"] = httpx.post(
            f"{base}/boards",
            headers=ADMIN,
            json={
                "code": "TIB",
                "name": "Transformation and Improvement Board",
                "kind": "TIB",
                "escalates_to_board_id": found["IRB"]["id"],
            },
        ).json()
    return found


async def test_escalate_move_up_and_deescalate_through_the_boards(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    chain = boards(live_programmes)
    risk = await make_risk(risks_api, "IRP-R08")  # plan-wide: the TIB sees it
    url = f"/risks/{risk['id']}"
    up = await risks_api.post(
        f"{url}/escalate",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"reason": "owner flags: savings gap widening"},
    )
    assert up.status_code == 200, up.text
    escalation_id = up.json()["escalation_id"]
    there = await escalation(live_programmes, escalation_id)
    assert (there["kind"], there["item_ref"], there["board_id"]) == (
        "risk",
        "IRP-R08",
        chain["TIB"]["id"],
    )
    assert there["status"] == "open"

    higher = await risks_api.post(
        f"{url}/escalate",
        headers={**EDITOR, "If-Match": f'"{up.json()["version"]}"'},
        json={"reason": "TIB asks the IRB"},
    )
    assert higher.status_code == 200, higher.text
    moved = await escalation(live_programmes, escalation_id)
    assert moved["board_id"] == chain["IRB"]["id"]

    down = await risks_api.post(
        f"{url}/deescalate",
        headers={**EDITOR, "If-Match": f'"{higher.json()["version"]}"'},
        json={"reason": "mitigations in place"},
    )
    assert down.status_code == 200, down.text
    assert down.json()["escalation_id"] is None
    closed = await escalation(live_programmes, escalation_id)
    assert closed["status"] == "closed"

    steps = (await risks_api.get(f"{url}/escalations", headers=VIEWER)).json()
    assert [(s["action"], s["board_id"]) for s in steps] == [
        ("escalated", chain["TIB"]["id"]),
        ("moved up", chain["IRB"]["id"]),
        ("de-escalated", chain["IRB"]["id"]),
    ]
    assert steps[0]["reason"] == "owner flags: savings gap widening"
    again = await risks_api.post(
        f"{url}/deescalate",
        headers={**EDITOR, "If-Match": f'"{down.json()["version"]}"'},
        json={"reason": "x"},
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "escalation_id"
    since = (await risks_api.get("/views/since?since=2000-01-01", headers=VIEWER)).json()
    assert [r["code"] for r in since["escalated"]] == ["IRP-R08"]


async def test_crossing_the_escalation_line_escalates(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    boards(live_programmes)
    risk = await make_risk(risks_api, "IRP-R09")  # current 12, line 16
    crossed = await risks_api.post(
        f"/risks/{risk['id']}/assessments",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"residual_likelihood": 4, "residual_impact": 5, "reason": "contract lost"},
    )
    assert crossed.status_code == 200, crossed.text
    assert crossed.json()["residual_score"] == 20
    assert crossed.json()["escalation_id"] is not None
    steps = (await risks_api.get(f"/risks/{risk['id']}/escalations", headers=VIEWER)).json()
    assert len(steps) == 1 and "crossed the escalation line 16" in steps[0]["reason"]
    # Staying above the line does not escalate twice.
    still = await risks_api.post(
        f"/risks/{risk['id']}/assessments",
        headers={**EDITOR, "If-Match": f'"{crossed.json()["version"]}"'},
        json={"residual_likelihood": 5, "residual_impact": 4, "reason": "no change"},
    )
    assert still.status_code == 200
    steps = (await risks_api.get(f"/risks/{risk['id']}/escalations", headers=VIEWER)).json()
    assert len(steps) == 1


async def test_programmes_down_escalation_fails_cleanly(
    risks_api: httpx.AsyncClient,
    programmes_down: str,  # noqa: F811
) -> None:
    risk = await make_risk(risks_api, "IRP-R10")
    before = await changes(risks_api)
    flagged = await risks_api.post(
        f"/risks/{risk['id']}/escalate",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"reason": "owner flags"},
    )
    assert flagged.status_code == 503 and flagged.json()["errors"][0]["field"] == "escalation"
    crossed = await risks_api.post(
        f"/risks/{risk['id']}/assessments",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"residual_likelihood": 4, "residual_impact": 5, "reason": "worse"},
    )
    assert crossed.status_code == 503
    after = (await risks_api.get(f"/risks/{risk['id']}", headers=VIEWER)).json()
    assert (after["version"], after["residual_score"], after["escalation_id"]) == (1, 12, None)
    assert await changes(risks_api) == before
    history = (await risks_api.get(f"/risks/{risk['id']}/assessments", headers=VIEWER)).json()
    assert len(history) == 1


async def test_an_open_issue_is_escalated_and_deescalated(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    chain = boards(live_programmes)
    created = await risks_api.post(
        "/issues",
        headers=EDITOR,
        json={
            "code": "IRP-I20",
            "title": "Equal pay liability estimate rises",
            "owner": "Director of Finance",
            "severity": "Critical",
            "priority": "Urgent",
        },
    )
    assert created.status_code == 201, created.text
    url = f"/issues/{created.json()['id']}"
    up = await risks_api.post(
        f"{url}/escalate", headers={**EDITOR, "If-Match": '"1"'}, json={"reason": "TIB decision"}
    )
    assert up.status_code == 200, up.text
    there = await escalation(live_programmes, up.json()["escalation_id"])
    assert (there["kind"], there["item_ref"], there["board_id"]) == (
        "issue",
        "IRP-I20",
        chain["TIB"]["id"],
    )
    stale = await risks_api.post(
        f"{url}/deescalate", headers={**EDITOR, "If-Match": '"1"'}, json={"reason": "x"}
    )
    assert stale.status_code == 412
    down = await risks_api.post(
        f"{url}/deescalate",
        headers={**EDITOR, "If-Match": f'"{up.json()["version"]}"'},
        json={"reason": "resolved at TIB"},
    )
    assert down.status_code == 200 and down.json()["escalation_id"] is None
    steps = (await risks_api.get(f"{url}/escalations", headers=VIEWER)).json()
    assert [s["action"] for s in steps] == ["escalated", "de-escalated"]


async def test_a_step_carries_its_business_date_and_the_month_goes_by_it(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    """A month recorded late: the risk escalated in March is March's escalation, in the board's
    escalation too, whenever the step was written; a date in the future or before the risk was
    identified is refused on taken_on, before the programmes service is asked."""
    boards(live_programmes)
    march = await make_risk(risks_api, "IRP-R18", identified_on="2025-02-10")
    today = await make_risk(risks_api, "IRP-R19")
    url = f"/risks/{march['id']}/escalate"
    before = await changes(risks_api)
    for day in ("2999-01-01", "2025-02-09", "1999-12-31"):
        refused = await risks_api.post(
            url, headers={**EDITOR, "If-Match": '"1"'}, json={"reason": "r", "taken_on": day}
        )
        assert refused.status_code == 422, (day, refused.text)
        assert refused.json()["errors"][0]["field"] == "taken_on", day
    assert await changes(risks_api) == before
    up = await risks_api.post(
        url,
        headers={**EDITOR, "If-Match": '"1"'},
        json={"reason": "recorded late", "taken_on": "2025-03-12"},
    )
    assert up.status_code == 200, up.text
    board = await escalation(live_programmes, up.json()["escalation_id"])
    assert board["raised_on"] == "2025-03-12"
    steps = (await risks_api.get(f"/risks/{march['id']}/escalations", headers=VIEWER)).json()
    assert [s["taken_on"] for s in steps] == ["2025-03-12"]
    now = await risks_api.post(
        f"/risks/{today['id']}/escalate",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"reason": "r"},
    )
    assert now.status_code == 200, now.text

    async def escalated(since: str, until: str) -> list[str]:
        query = f'{{ escalatedRisks(since: "{since}", until: "{until}") {{ code }} }}'
        response = await risks_api.post("/graphql", headers=VIEWER, json={"query": query})
        return [r["code"] for r in response.json()["data"]["escalatedRisks"]]

    assert await escalated("2025-03-01", "2025-03-31") == ["IRP-R18"]
    assert await escalated("2025-04-01", "2025-04-30") == []
    assert "IRP-R19" in await escalated("2025-04-01", "2199-12-31")
    window = await risks_api.get(
        "/views/since", params={"since": "2025-03-01", "until": "2025-03-31"}, headers=VIEWER
    )
    assert [r["code"] for r in window.json()["escalated"]] == ["IRP-R18"]
