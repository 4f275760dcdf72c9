"""Milestones (key activities) over REST, against PostgreSQL built by the migrations."""

from __future__ import annotations

from datetime import date

import httpx

from tests.conftest import EDITOR, VIEWER
from tests.programmes.milestones.helpers import (
    add_milestone,
    first_error,
    if_match,
    make_programme,
    make_workstream,
    milestone,
)
from tests.support import changes


async def test_create_carries_progress_and_derived_fields(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    programme_id = await make_programme(programmes_api)
    workstream_id = await make_workstream(programmes_api, programme_id, "Budget setting")
    response = await add_milestone(
        programmes_api,
        programme_id,
        workstream_id=workstream_id,
        forecast_date="2025-03-14",
        status="At risk",
        percent_complete=40,
        owner="Director of Finance",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/milestones/{body['id']}"
    assert body["start_text"] == "Apr-24" and body["end_text"] == "Feb 2025"
    assert (body["start_date"], body["end_date"]) == ("2024-04-01", "2025-02-28")
    assert (body["start_precision"], body["end_precision"]) == ("month", "month")
    assert body["workstream_id"] == workstream_id
    assert body["status"] == "At risk" and body["percent_complete"] == 40
    assert body["slippage_days"] == 14 and body["due_date"] == "2025-03-14"
    assert body["overdue"] is False and body["actual_date"] is None
    feed = await changes(programmes_api)
    assert (feed[-1]["entity"], feed[-1]["action"], feed[-1]["actor"]) == (
        "key_activity",
        "create",
        "test-editor",
    )
    assert feed[-1]["after"]["status"] == "At risk"
    got = await programmes_api.get(f"/milestones/{body['id']}", headers=VIEWER)
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    assert got.json() == body


async def test_in_progress_is_its_own_status_and_unknown_statuses_are_refused(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    programme_id = await make_programme(programmes_api)
    created = await milestone(programmes_api, programme_id, status="In progress")
    assert created["status"] == "In progress"
    bad = await add_milestone(programmes_api, programme_id, status="Done")
    assert bad.status_code == 422 and first_error(bad)["field"] == "status"


async def test_workstream_must_belong_to_the_programme(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    mine = await make_programme(programmes_api, "IRP-01")
    theirs = await make_programme(programmes_api, "IRP-02", name="Corporate Landlord")
    elsewhere = await make_workstream(programmes_api, theirs, "Asset review")
    before = len(await changes(programmes_api))
    wrong = await add_milestone(programmes_api, mine, workstream_id=elsewhere)
    assert wrong.status_code == 422 and first_error(wrong)["field"] == "workstream_id"
    missing = await add_milestone(programmes_api, mine, workstream_id=9999)
    assert missing.status_code == 422 and first_error(missing)["field"] == "workstream_id"
    ok = await milestone(programmes_api, mine)
    moved = await programmes_api.patch(
        f"/milestones/{ok['id']}", headers=if_match(1), json={"workstream_id": elsewhere}
    )
    assert moved.status_code == 422 and first_error(moved)["field"] == "workstream_id"
    assert len(await changes(programmes_api)) == before + 1  # only the good create


async def test_percent_complete_is_0_to_100(programmes_api: httpx.AsyncClient, today: date) -> None:
    programme_id = await make_programme(programmes_api)
    for value in (101, -1):
        bad = await add_milestone(programmes_api, programme_id, percent_complete=value)
        assert bad.status_code == 422 and first_error(bad)["field"] == "percent_complete"
    created = await milestone(programmes_api, programme_id, percent_complete=100)
    patched = await programmes_api.patch(
        f"/milestones/{created['id']}", headers=if_match(1), json={"percent_complete": 250}
    )
    assert patched.status_code == 422 and first_error(patched)["field"] == "percent_complete"


async def test_completion_needs_an_actual_date_and_100_percent(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    programme_id = await make_programme(programmes_api)
    done = await milestone(programmes_api, programme_id, status="Completed")
    assert (done["actual_date"], done["percent_complete"]) == (today.isoformat(), 100)
    assert done["overdue"] is False
    half = await add_milestone(
        programmes_api, programme_id, status="Completed", percent_complete=50
    )
    assert half.status_code == 422 and first_error(half)["field"] == "percent_complete"

    created = await milestone(programmes_api, programme_id, percent_complete=70)
    url = f"/milestones/{created['id']}"
    completed = await programmes_api.patch(
        url, headers=if_match(1), json={"status": "Completed", "actual_date": "2025-01-10"}
    )
    assert completed.status_code == 200, completed.text
    assert completed.json()["actual_date"] == "2025-01-10"
    assert completed.json()["percent_complete"] == 100
    cleared = await programmes_api.patch(url, headers=if_match(2), json={"actual_date": None})
    assert cleared.status_code == 422 and first_error(cleared)["field"] == "actual_date"
    lowered = await programmes_api.patch(url, headers=if_match(2), json={"percent_complete": 90})
    assert lowered.status_code == 422 and first_error(lowered)["field"] == "percent_complete"
    reopened = await programmes_api.patch(
        url, headers=if_match(2), json={"status": "In progress", "percent_complete": 90}
    )
    assert reopened.status_code == 200 and reopened.json()["percent_complete"] == 90


async def test_actual_date_cannot_precede_the_baseline_start(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    programme_id = await make_programme(programmes_api)
    early = await add_milestone(
        programmes_api, programme_id, status="Completed", actual_date="2024-03-31"
    )
    assert early.status_code == 422 and first_error(early)["field"] == "actual_date"
    created = await milestone(programmes_api, programme_id)
    url = f"/milestones/{created['id']}"
    patched = await programmes_api.patch(
        url, headers=if_match(1), json={"actual_date": "2024-01-01"}
    )
    assert patched.status_code == 422 and first_error(patched)["field"] == "actual_date"
    rebaselined = await programmes_api.patch(
        url, headers=if_match(1), json={"start_text": "Jun 2024", "actual_date": "2024-05-01"}
    )
    assert rebaselined.status_code == 422 and first_error(rebaselined)["field"] == "actual_date"


async def test_patch_needs_if_match_and_detects_stale_versions(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    programme_id = await make_programme(programmes_api)
    created = await milestone(programmes_api, programme_id)
    url = f"/milestones/{created['id']}"
    blind = await programmes_api.patch(url, headers=EDITOR, json={"owner": "Head of Finance"})
    assert blind.status_code == 428 and first_error(blind)["field"] == "If-Match"
    first = await programmes_api.patch(
        url, headers=if_match(1), json={"owner": "Head of Finance", "forecast_date": "2025-01-10"}
    )
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    assert first.json()["overdue"] is True  # forecast 10 Jan, today 15 Jan
    assert first.json()["slippage_days"] == -49
    stale = await programmes_api.patch(url, headers=if_match(1), json={"owner": "Someone else"})
    assert stale.status_code == 412 and first_error(stale)["field"] == "If-Match"
    viewer = await programmes_api.patch(url, headers=if_match(2, VIEWER), json={"owner": "x"})
    assert viewer.status_code == 403
    missing = await programmes_api.patch("/milestones/9999", headers=if_match(1), json={})
    assert missing.status_code == 404
    now = (await programmes_api.get(url, headers=VIEWER)).json()
    assert now["owner"] == "Head of Finance" and now["version"] == 2
    feed = await changes(programmes_api)
    assert feed[-1]["action"] == "update"
    assert feed[-1]["before"]["owner"] is None and feed[-1]["after"]["owner"] == "Head of Finance"
    assert [c["action"] for c in feed if c["entity"] == "key_activity"] == ["create", "update"]


async def test_patch_rebaselines_from_text(programmes_api: httpx.AsyncClient, today: date) -> None:
    programme_id = await make_programme(programmes_api)
    created = await milestone(programmes_api, programme_id)
    url = f"/milestones/{created['id']}"
    moved = await programmes_api.patch(url, headers=if_match(1), json={"end_text": "Summer 2025"})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["end_text"], body["end_date"], body["end_precision"]) == (
        "Summer 2025",
        "2025-08-31",
        "season",
    )
    backwards = await programmes_api.patch(url, headers=if_match(2), json={"end_text": "Jan 2024"})
    assert backwards.status_code == 422 and first_error(backwards)["field"] == "end_text"
    empty_title = await programmes_api.patch(url, headers=if_match(2), json={"title": None})
    assert empty_title.status_code == 422 and first_error(empty_title)["field"] == "title"


async def test_viewer_cannot_create(programmes_api: httpx.AsyncClient, today: date) -> None:
    programme_id = await make_programme(programmes_api)
    before = len(await changes(programmes_api))
    denied = await add_milestone(programmes_api, programme_id, headers=VIEWER)
    assert denied.status_code == 403
    missing = await add_milestone(programmes_api, 9999)
    assert missing.status_code == 404
    assert len(await changes(programmes_api)) == before


async def _seed(api: httpx.AsyncClient) -> dict[str, int]:
    """Five milestones over two programmes, today being 15 January 2025."""
    savings = await make_programme(api, "IRP-01")
    landlord = await make_programme(api, "IRP-02", name="Corporate Landlord")
    budget = await make_workstream(api, savings, "Budget setting")
    ids = {}
    ids["late"] = (
        await milestone(
            api,
            savings,
            title="Savings tracker",
            end_text="Dec 2024",
            owner="Head of Finance",
            workstream_id=budget,
            status="Late",
        )
    )["id"]
    ids["slipped"] = (
        await milestone(
            api,
            savings,
            title="Budget consultation",
            end_text="Jan 2025",
            forecast_date="2025-02-20",
            status="At risk",
            owner="Director of Finance",
        )
    )["id"]
    ids["done"] = (
        await milestone(
            api,
            savings,
            title="MTFS refresh",
            end_text="Nov 2024",
            status="Completed",
            actual_date="2024-11-20",
        )
    )["id"]
    ids["ahead"] = (
        await milestone(
            api,
            landlord,
            title="Asset register",
            start_text="Jun 2024",
            end_text="Jun 2025",
            forecast_date="2025-05-01",
            status="On track",
            owner="Corporate Landlord lead",
        )
    )["id"]
    ids["tbc"] = (
        await milestone(api, landlord, title="Disposals", start_text="TBC", end_text="TBC")
    )["id"]
    ids["savings"], ids["landlord"], ids["budget"] = savings, landlord, budget
    return ids


async def _titles(api: httpx.AsyncClient, **params: str | int) -> list[str]:
    response = await api.get("/milestones", headers=VIEWER, params=params)
    assert response.status_code == 200, response.text
    return [m["title"] for m in response.json()["items"]]


async def test_list_filters(programmes_api: httpx.AsyncClient, today: date) -> None:
    ids = await _seed(programmes_api)
    api = programmes_api
    assert len(await _titles(api)) == 5
    assert await _titles(api, programme_id=ids["landlord"]) == ["Asset register", "Disposals"]
    assert await _titles(api, workstream_id=ids["budget"]) == ["Savings tracker"]
    assert await _titles(api, status="At risk") == ["Budget consultation"]
    assert await _titles(api, overdue="true") == ["Savings tracker"]
    assert await _titles(api, overdue="false") == [
        "Budget consultation",
        "MTFS refresh",
        "Asset register",
        "Disposals",
    ]
    assert await _titles(api, slipped="true") == ["Budget consultation"]
    assert "Budget consultation" not in await _titles(api, slipped="false")
    assert len(await _titles(api, slipped="false")) == 4
    # due = forecast, else baseline end
    assert await _titles(api, due_from="2025-02-01", due_to="2025-05-31") == [
        "Budget consultation",
        "Asset register",
    ]
    assert await _titles(api, owner="finance") == ["Savings tracker", "Budget consultation"]
    bad = await api.get("/milestones", headers=VIEWER, params={"status": "Amber"})
    assert bad.status_code == 422 and first_error(bad)["field"] == "status"


async def test_list_pages_and_sorts(programmes_api: httpx.AsyncClient, today: date) -> None:
    await _seed(programmes_api)
    page = (
        await programmes_api.get(
            "/milestones", headers=VIEWER, params={"limit": 2, "offset": 2, "sort": "-end_date"}
        )
    ).json()
    # PostgreSQL puts the TBC milestone (no end date) first when descending.
    assert page["total"] == 5 and (page["limit"], page["offset"]) == (2, 2)
    assert [m["title"] for m in page["items"]] == ["Budget consultation", "Savings tracker"]
    by_forecast = await _titles(programmes_api, sort="forecast_date,title")
    assert by_forecast[:2] == ["Budget consultation", "Asset register"]
    bad = await programmes_api.get("/milestones", headers=VIEWER, params={"sort": "colour"})
    assert bad.status_code == 422 and first_error(bad)["field"] == "sort"
    anonymous = await programmes_api.get("/milestones")
    assert anonymous.status_code == 401


async def test_programme_key_activities_still_list_in_plan_order(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    ids = await _seed(programmes_api)
    listed = await programmes_api.get(
        f"/programmes/{ids['savings']}/key-activities", headers=VIEWER
    )
    assert [a["title"] for a in listed.json()] == [
        "Savings tracker",
        "Budget consultation",
        "MTFS refresh",
    ]
    assert [a["overdue"] for a in listed.json()] == [True, False, False]
    due = await programmes_api.get(
        f"/programmes/{ids['savings']}/key-activities",
        headers=VIEWER,
        params={"due_from": "2025-01-01", "due_to": "2025-01-31"},
    )
    assert [a["title"] for a in due.json()] == ["Budget consultation"]  # baseline end in window
