"""Actions (the 2015 action plan's numbered actions) over REST and GraphQL."""

from __future__ import annotations

from datetime import date

import httpx

from tests.conftest import EDITOR, VIEWER
from tests.programmes.milestones.helpers import (
    action,
    add_action,
    first_error,
    if_match,
    make_portfolio,
    make_programme,
    milestone,
)
from tests.support import changes
from tests.support.graphql import entities, gql, problems, refs, status_of


async def test_create_parses_the_timescale_and_keeps_its_text(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    programme = await make_programme(programmes_api, "AP-1", name="Roles and responsibilities")
    response = await add_action(programmes_api, programme)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/actions/{body['id']}"
    assert body["number"] == "1.1" and body["timescale"] == "Feb-15"
    assert (body["timescale_start"], body["timescale_end"], body["timescale_precision"]) == (
        "2015-02-01",
        "2015-02-28",
        "month",
    )
    assert body["status"] == "Not started" and body["overdue"] is True
    assert body["responsible"] == "Director Legal Services"
    assert body["review_references"] == "3a, 3c, 3d"
    for text, precision in (("Spring 15", "season"), ("TBC", "unknown"), ("Ongoing", "ongoing")):
        created = await action(programmes_api, programme, number=f"1.{len(text)}", timescale=text)
        assert (created["timescale"], created["timescale_precision"]) == (text, precision)
    feed = await changes(programmes_api)
    assert [c["entity"] for c in feed].count("action") == 4
    assert feed[-1]["after"]["timescale"] == "Ongoing" and feed[-1]["actor"] == "test-editor"
    got = await programmes_api.get(f"/actions/{body['id']}", headers=VIEWER)
    assert got.status_code == 200 and got.json() == body and got.headers["etag"] == '"1"'


async def test_bare_quarters_are_read_in_the_plans_financial_year(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    portfolio = await make_portfolio(
        programmes_api,
        "OIAP-2015",
        name="Organisational Improvement Action Plan",
        financial_year_start=2015,
    )
    programme = await make_programme(programmes_api, "AP-4", portfolio_id=portfolio)
    created = await action(programmes_api, programme, number="4.1", timescale="Q2")
    assert (created["timescale_start"], created["timescale_end"]) == ("2015-07-01", "2015-09-30")
    assert created["timescale_precision"] == "quarter"
    patched = await programmes_api.patch(
        f"/actions/{created['id']}", headers=if_match(1), json={"timescale": "Q1/2"}
    )
    assert (patched.json()["timescale_start"], patched.json()["timescale_end"]) == (
        "2015-04-01",
        "2015-09-30",
    )
    ms = await milestone(programmes_api, programme, start_text="Q4", end_text="TBC")
    assert (ms["start_date"], ms["start_precision"]) == ("2016-01-01", "quarter")
    elsewhere = await make_programme(programmes_api, "IRP-01")  # a plan with no year recorded
    unplaced = await action(programmes_api, elsewhere, number="1.1", timescale="Q2")
    assert unplaced["timescale_end"] is None and unplaced["timescale_precision"] == "quarter"


async def test_number_is_unique_per_programme(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    one = await make_programme(programmes_api, "AP-1")
    two = await make_programme(programmes_api, "AP-2", name="Strategic planning")
    await action(programmes_api, one, number="1.3")
    before = len(await changes(programmes_api))
    again = await add_action(programmes_api, one, number="1.3")
    assert again.status_code == 409 and first_error(again)["field"] == "number"
    assert len(await changes(programmes_api)) == before
    elsewhere = await add_action(programmes_api, two, number="1.3")
    assert elsewhere.status_code == 201
    malformed = await add_action(programmes_api, one, number="1. 4")
    assert malformed.status_code == 422 and first_error(malformed)["field"] == "number"
    no_description = await add_action(programmes_api, one, number="1.5", description="")
    assert no_description.status_code == 422
    assert first_error(no_description)["field"] == "description"
    bad_status = await add_action(programmes_api, one, number="1.6", status="Amber")
    assert bad_status.status_code == 422 and first_error(bad_status)["field"] == "status"
    missing = await add_action(programmes_api, 9999)
    assert missing.status_code == 404
    denied = await add_action(programmes_api, one, number="1.7", headers=VIEWER)
    assert denied.status_code == 403


async def test_patch_needs_if_match(programmes_api: httpx.AsyncClient, today: date) -> None:
    programme = await make_programme(programmes_api, "AP-1")
    created = await action(programmes_api, programme)
    other = await action(programmes_api, programme, number="1.2")
    url = f"/actions/{created['id']}"
    blind = await programmes_api.patch(url, headers=EDITOR, json={"status": "Completed"})
    assert blind.status_code == 428 and first_error(blind)["field"] == "If-Match"
    done = await programmes_api.patch(
        url, headers=if_match(1), json={"status": "Completed", "timescale": "Mar-15"}
    )
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"2"'
    assert (done.json()["status"], done.json()["timescale_end"], done.json()["overdue"]) == (
        "Completed",
        "2015-03-31",
        False,
    )
    stale = await programmes_api.patch(url, headers=if_match(1), json={"status": "Late"})
    assert stale.status_code == 412 and first_error(stale)["field"] == "If-Match"
    taken = await programmes_api.patch(url, headers=if_match(2), json={"number": other["number"]})
    assert taken.status_code == 409 and first_error(taken)["field"] == "number"
    blank = await programmes_api.patch(url, headers=if_match(2), json={"description": None})
    assert blank.status_code == 422 and first_error(blank)["field"] == "description"
    viewer = await programmes_api.patch(url, headers=if_match(2, VIEWER), json={"status": "Late"})
    assert viewer.status_code == 403
    missing = await programmes_api.patch("/actions/9999", headers=if_match(1), json={})
    assert missing.status_code == 404
    feed = [c for c in await changes(programmes_api) if c["entity"] == "action"]
    assert [c["action"] for c in feed] == ["create", "create", "update"]
    assert feed[-1]["before"]["status"] == "Not started"
    assert feed[-1]["after"]["status"] == "Completed"


async def _seed(api: httpx.AsyncClient) -> tuple[int, int]:
    one = await make_programme(api, "AP-1", name="Roles and responsibilities")
    two = await make_programme(api, "AP-2", name="Strategic planning")
    for number, timescale, responsible, status in (
        ("1.10", "Dec-15", "CEx & Leader", "On track"),
        ("1.2", "Mar-15", "Director Legal Services", "Completed"),
        ("1.9", "Jun-15", "Director Delivery", "In progress"),
        ("1.1", "Ongoing", "CEx & Leader", "On track"),
    ):
        await action(
            api, one, number=number, timescale=timescale, responsible=responsible, status=status
        )
    await action(api, two, number="2.1", timescale="Mar-25", responsible="Head of Strategy")
    return one, two


async def _numbers(api: httpx.AsyncClient, **params: str | int) -> list[str]:
    response = await api.get("/actions", headers=VIEWER, params=params)
    assert response.status_code == 200, response.text
    return [a["number"] for a in response.json()["items"]]


async def test_list_filters_sorts_and_pages(programmes_api: httpx.AsyncClient, today: date) -> None:
    one, two = await _seed(programmes_api)
    api = programmes_api
    assert await _numbers(api, programme_id=one) == ["1.1", "1.2", "1.9", "1.10"]
    assert await _numbers(api, programme_id=one, sort="-number") == ["1.10", "1.9", "1.2", "1.1"]
    assert await _numbers(api, status="On track") == ["1.1", "1.10"]
    assert await _numbers(api, responsible="cex") == ["1.1", "1.10"]
    assert await _numbers(api, due_from="2015-06-01", due_to="2015-12-31") == ["1.9", "1.10"]
    # today is 15 January 2025: every 2015 action not completed is overdue; "Ongoing" never is
    assert await _numbers(api, overdue="true") == ["1.9", "1.10"]
    assert await _numbers(api, overdue="false") == ["1.1", "1.2", "2.1"]
    page = (await api.get("/actions", headers=VIEWER, params={"limit": 2, "offset": 2})).json()
    assert page["total"] == 5 and [a["number"] for a in page["items"]] == ["1.9", "1.10"]
    bad = await api.get("/actions", headers=VIEWER, params={"sort": "colour"})
    assert bad.status_code == 422 and first_error(bad)["field"] == "sort"
    listed = await api.get(f"/programmes/{two}/actions", headers=VIEWER)
    assert [a["number"] for a in listed.json()] == ["2.1"]
    assert (await api.get("/programmes/9999/actions", headers=VIEWER)).status_code == 404


async def test_graphql_actions(programmes_api: httpx.AsyncClient, today: date) -> None:
    one, two = await _seed(programmes_api)
    # The real Programme type, reached as the gateway reaches it.
    read = await gql(
        programmes_api,
        entities("Programme", "{ id actions { number timescale timescaleEnd status overdue } }"),
        VIEWER,
        refs=refs("Programme", [one, two]),
    )
    assert "errors" not in read, read
    first, second = read["data"]["_entities"]
    assert [a["number"] for a in first["actions"]] == ["1.1", "1.2", "1.9", "1.10"]
    assert second["actions"] == [
        {
            "number": "2.1",
            "timescale": "Mar-25",
            "timescaleEnd": "2025-03-31",
            "status": "NOT_STARTED",
            "overdue": False,
        }
    ]
    overdue = await gql(programmes_api, "{ actions(overdue: true) { items { number } } }", VIEWER)
    assert [a["number"] for a in overdue["data"]["actions"]["items"]] == ["1.9", "1.10"]

    create = """mutation($p: ID!, $n: String!) { createAction(programmeId: $p,
                  input: {number: $n, description: "Agree the city vision", timescale: "TBC"})
                  { id number version timescalePrecision } }"""
    denied = await gql(programmes_api, create, VIEWER, p=str(two), n="2.2")
    assert status_of(denied) == 403
    created = await gql(programmes_api, create, EDITOR, p=str(two), n="2.2")
    assert created["data"]["createAction"]["timescalePrecision"] == "UNKNOWN"
    duplicate = await gql(programmes_api, create, EDITOR, p=str(two), n="2.2")
    assert status_of(duplicate) == 409
    assert problems(duplicate)[0]["errors"][0]["field"] == "number"
    update = """mutation($id: ID!, $v: Int!) { updateAction(id: $id, version: $v,
                  input: {status: AT_RISK, responsible: "Snr Policy Officer to CExec"})
                  { status responsible version } }"""
    action_id = created["data"]["createAction"]["id"]
    updated = await gql(programmes_api, update, EDITOR, id=action_id, v=1)
    assert updated["data"]["updateAction"] == {
        "status": "AT_RISK",
        "responsible": "Snr Policy Officer to CExec",
        "version": 2,
    }
    stale = await gql(programmes_api, update, EDITOR, id=action_id, v=1)
    assert status_of(stale) == 412
    single = await gql(
        programmes_api, "query($id: ID!) { action(id: $id) { number } }", id=action_id
    )
    assert single["data"]["action"] == {"number": "2.2"}
