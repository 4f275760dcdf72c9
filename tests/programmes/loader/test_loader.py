"""Both portfolios load from the seeds: faithfully, idempotently, saying what was unreadable."""

from __future__ import annotations

import json

import httpx

from services.stack import ROOT
from tests.conftest import ADMIN, EDITOR, VIEWER
from tests.support import changes

SEEDS = ROOT / "services/programmes/seed_data"
PLAN_2024 = json.loads((SEEDS / "irp_2024.json").read_text())
PLAN_2015 = json.loads((SEEDS / "ap_2015.json").read_text())
REPORT_2015 = json.loads((SEEDS / "ap_2015_highlight_2015-04.json").read_text())


async def load(
    api: httpx.AsyncClient, path: str, document: dict | None = None, **params: str
) -> dict:
    response = await api.post(path, headers=ADMIN, json=document, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def count(api: httpx.AsyncClient, path: str, **params: str) -> int:
    response = await api.get(path, headers=VIEWER, params={"limit": 1, **params})
    assert response.status_code == 200, response.text
    return response.json()["total"]


async def test_both_portfolios_load_side_by_side(programmes_api: httpx.AsyncClient) -> None:
    first = await load(programmes_api, "/imports/plan", PLAN_2024)
    assert first["created"]["programmes"] == 16
    assert first["created"]["key activities"] == sum(
        len(p["key_activities"]) for p in PLAN_2024["programmes"]
    )
    assert first["created"]["aims"] == 3
    second = await load(programmes_api, "/imports/plan", PLAN_2015)
    assert second["created"]["programmes"] == 5
    assert second["created"]["actions"] == sum(len(p["actions"]) for p in PLAN_2015["programmes"])
    portfolios = (await programmes_api.get("/portfolios", headers=VIEWER)).json()
    assert {p["code"] for p in portfolios} == {"IRP-2024", "OIAP-2015"}
    assert await count(programmes_api, "/programmes") == 21
    ap2 = (await programmes_api.get("/programmes/by-code/AP-2", headers=VIEWER)).json()
    action = next(
        a
        for a in (
            await programmes_api.get(
                "/actions", headers=VIEWER, params={"programme_id": ap2["id"], "limit": 100}
            )
        ).json()["items"]
        if a["number"] == "2.1"
    )
    source = next(a for a in PLAN_2015["programmes"][1]["actions"] if a["number"] == "2.1")
    assert (
        action["timescale"] == source["timescale"]
        and action["responsible"] == source["responsible"]
    )


async def test_loading_twice_adds_nothing(programmes_api: httpx.AsyncClient) -> None:
    await load(programmes_api, "/imports/plan", PLAN_2015)
    written = len(await changes(programmes_api))
    again = await load(programmes_api, "/imports/plan", PLAN_2015)
    assert again["created"] == {}
    assert again["unchanged"]["programmes"] == 5
    assert len(await changes(programmes_api)) == written


async def test_what_could_not_be_read_is_reported(programmes_api: httpx.AsyncClient) -> None:
    report = await load(programmes_api, "/imports/plan", PLAN_2015)
    wheres = {u["where"] for u in report["unparsed"]}
    # The 2015 plan names no SAO or Lead Member for its action plans: reported, not invented.
    assert "AP-1 SAO" in wheres and "AP-1 Lead Member" in wheres
    # The extraction's own notes come through, with their source line.
    assert any(u["where"].startswith("source 000_") for u in report["unparsed"])
    ap1 = (await programmes_api.get("/programmes/by-code/AP-1", headers=VIEWER)).json()
    assert ap1["sao"] is None and ap1["lead_member"] is None


async def test_dry_run_writes_nothing(programmes_api: httpx.AsyncClient) -> None:
    report = await load(programmes_api, "/imports/plan", PLAN_2024, dry_run="true")
    assert report["created"]["programmes"] == 16
    assert await count(programmes_api, "/programmes") == 0
    assert len(await changes(programmes_api)) == 0


async def test_bad_document_names_the_field_and_writes_nothing(
    programmes_api: httpx.AsyncClient,
) -> None:
    broken = {**PLAN_2015, "portfolio": {"name": "no code"}}
    response = await programmes_api.post("/imports/plan", headers=ADMIN, json=broken)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "portfolio.code"
    editor = await programmes_api.post("/imports/plan", headers=EDITOR, json=PLAN_2015)
    assert editor.status_code == 403
    assert len(await changes(programmes_api)) == 0


async def test_the_2015_highlight_report_is_the_first_monthly_report(
    programmes_api: httpx.AsyncClient,
) -> None:
    early = await programmes_api.post("/imports/highlight-reports", headers=ADMIN, json=REPORT_2015)
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "portfolio_code"
    await load(programmes_api, "/imports/plan", PLAN_2015)
    report = await load(programmes_api, "/imports/highlight-reports", REPORT_2015)
    assert report["created"]["highlight reports"] == 5
    assert report["created"]["milestones"] == sum(
        len(r["milestones"]) for r in REPORT_2015["reports"]
    )
    assert any(
        u["reason"].startswith("the source declares no delivery confidence")
        for u in report["unparsed"]
    )
    ap1 = (await programmes_api.get("/programmes/by-code/AP-1", headers=VIEWER)).json()
    reports = (
        await programmes_api.get(f"/programmes/{ap1['id']}/highlight-reports", headers=VIEWER)
    ).json()
    assert len(reports) == 1 and reports[0]["period"] == "2015-04"
    assert reports[0]["dca"] is None
    assert reports[0]["confidence"] == "Low"  # the lowest of its rows: Med, High, Med, Low
    steps = reports[0]["next_steps"]
    assert steps[0]["when"] == "Q1" and steps[0]["who"] == "Director Delivery"
    milestones = (
        await programmes_api.get(f"/programmes/{ap1['id']}/key-activities", headers=VIEWER)
    ).json()
    completed = [m for m in milestones if m["status"] == "Completed"]
    assert completed and all(m["actual_date"] <= "2015-04-30" for m in completed)
    again = await load(programmes_api, "/imports/highlight-reports", REPORT_2015)
    assert again["created"] == {}


async def test_boards_load_and_programmes_join_their_directorate_board(
    programmes_api: httpx.AsyncClient,
) -> None:
    await load(programmes_api, "/imports/plan", PLAN_2024)
    report = await load(programmes_api, "/imports/boards")
    assert report["created"]["boards"] >= 4
    with_directorate = [p for p in PLAN_2024["programmes"] if p["directorate"]]
    assert report["created"]["board links"] == len(with_directorate)
    boards = (await programmes_api.get("/boards", headers=VIEWER)).json()
    items = boards["items"] if isinstance(boards, dict) else boards
    tib = next(b for b in items if b["kind"] == "TIB")
    housing = (await programmes_api.get("/programmes/by-code/IRP-15", headers=VIEWER)).json()
    board = next(b for b in items if b["id"] == housing["board_id"])
    assert board["kind"] == "Directorate Board" and board["escalates_to_board_id"] == tib["id"]
    again = await load(programmes_api, "/imports/boards")
    assert again["created"] == {}
