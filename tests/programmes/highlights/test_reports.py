"""Highlight reports over REST: submission, validation, edits while open, locking by sign-off
(a change becomes a new revision beside the original), revisions, the cross-programme list."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, EDITOR, VIEWER
from tests.programmes.highlights.helpers import (
    APRIL_2015,
    errors_field,
    programmes,
    submit,
    submitted,
)
from tests.support import changes
from tests.support.race import rendezvous


async def test_submit_keeps_every_part_of_the_report(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    response = await submit(programmes_api, programme["id"], **APRIL_2015)
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    report = response.json()
    assert response.headers["location"] == f"/highlight-reports/{report['id']}"
    assert report["programme_id"] == programme["id"] and report["period"] == "2015-04"
    assert (report["dca"], report["dca_rag"]) == ("Amber/Green", "Amber")
    assert report["confidence"] == "Medium"  # "Med", as the 2015 report writes it
    assert report["decisions_needed"] == "TIB to agree the member development budget"
    assert report["highlights"].startswith("Appointed experienced Head of OD")
    assert report["author"] == "test-editor" and report["submitted_at"]
    assert (report["revision"], report["version"]) == (1, 1)
    assert report["current"] and not report["superseded"] and not report["locked"]
    assert report["superseded_by_id"] is None and report["supersedes_id"] is None
    steps = report["next_steps"]
    assert [(s["what"][:8], s["when"], s["who"]) for s in steps] == [
        ("Initiate", "Q1", "Director Delivery"),
        ("Evaluati", "September 2015", "Director Legal"),
        ("Boundary", "Q1/2", "Head of Electoral Services"),
        ("Agree st", "ASAP", None),
    ]
    # A row's own confidence, where the report gives one per row (as the 2015 report does).
    assert [s["confidence"] for s in steps] == ["Medium", "High", "High", None]
    # "when" is kept as written beside its window; bare quarters are financial-year quarters
    # of the year the period falls in (April 2015 report: Q1 is April to June 2015).
    assert [(s["when_start"], s["when_end"], s["when_precision"]) for s in steps] == [
        ("2015-04-01", "2015-06-30", "quarter"),
        ("2015-09-01", "2015-09-30", "month"),
        ("2015-04-01", "2015-09-30", "quarter"),
        (None, None, "unknown"),
    ]

    listed = await programmes_api.get(
        f"/programmes/{programme['id']}/highlight-reports", headers=VIEWER
    )
    assert listed.status_code == 200 and listed.json() == [report]
    got = await programmes_api.get(f"/highlight-reports/{report['id']}", headers=VIEWER)
    assert got.status_code == 200 and got.json() == report and got.headers["etag"] == '"1"'

    feed = await changes(programmes_api)
    mine = [(c["entity"], c["action"], c["actor"]) for c in feed[-3:]]
    assert mine == [
        ("reporting_period", "create", "test-editor"),
        ("highlight_report", "create", "test-editor"),
        ("dca_assessment", "create", "test-editor"),
    ]
    assert feed[-2]["after"]["next_steps"][0]["when"] == "Q1"
    assert feed[-1]["after"]["highlight_report_id"] == report["id"]


async def test_old_shapes_still_accepted(programmes_api: httpx.AsyncClient) -> None:
    """The report as first specified (no confidence, next steps as one text) still submits."""
    (programme,) = await programmes(programmes_api)
    bare = await submitted(programmes_api, programme["id"])
    assert bare["next_steps"] == [] and bare["confidence"] is None
    text = await submitted(
        programmes_api, programme["id"], period="2024-08", next_steps="Agree the budget"
    )
    assert [s["what"] for s in text["next_steps"]] == ["Agree the budget"]
    lenient = await submitted(
        programmes_api, programme["id"], period="2024-09", dca="amber - red", confidence="HIGH"
    )
    assert (lenient["dca"], lenient["dca_rag"], lenient["confidence"]) == (
        "Amber/Red",
        "Red",
        "High",
    )


async def test_rejected_submissions_name_the_field_and_write_nothing(
    programmes_api: httpx.AsyncClient,
) -> None:
    (programme,) = await programmes(programmes_api)
    before = len(await changes(programmes_api))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"dca": "Purple"}, "dca"),
        ({"dca": "Amber/Amber"}, "dca"),
        ({"confidence": "Very"}, "confidence"),
        ({"period": "July 2024"}, "period"),
        ({"period": "2024-13"}, "period"),
        ({"period": "2999-01"}, "period"),  # a month that has not begun
        ({"dca_reason": "   "}, "dca_reason"),
        ({"next_steps": [{"when": "Q2", "who": "HR"}]}, "next_steps.0.what"),
        ({"next_steps": [{"what": "x", "when": "Q2" * 41}]}, "next_steps.0.when"),
        ({"next_steps": [{"what": "x", "confidence": "Sure"}]}, "next_steps.0.confidence"),
        ({"author": "someone else"}, "author"),  # the author is the caller, never sent
    ]
    for fields, field in cases:
        response = await submit(programmes_api, programme["id"], **fields)
        assert response.status_code == 422, (fields, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert errors_field(response) == field, (fields, response.text)
    unknown = await submit(programmes_api, 999)
    assert unknown.status_code == 404 and errors_field(unknown) == "programme_id"
    viewer = await submit(programmes_api, programme["id"], headers=VIEWER)
    assert viewer.status_code == 403
    assert len(await changes(programmes_api)) == before
    assert (await programmes_api.get("/periods", headers=VIEWER)).json() == []


async def test_one_report_per_programme_per_period(programmes_api: httpx.AsyncClient) -> None:
    first, second = await programmes(programmes_api, 2)
    await submitted(programmes_api, first["id"])
    before = len(await changes(programmes_api))
    again = await submit(programmes_api, first["id"], dca="Red")
    assert again.status_code == 409 and errors_field(again) == "period"
    assert len(await changes(programmes_api)) == before
    # Another programme, or another period, is a report of its own.
    await submitted(programmes_api, second["id"])
    await submitted(programmes_api, first["id"], period="2024-08")
    reports = await programmes_api.get(
        f"/programmes/{first['id']}/highlight-reports", headers=VIEWER
    )
    assert [r["period"] for r in reports.json()] == ["2024-08", "2024-07"]


async def test_edit_while_open_changes_the_current_revision(
    programmes_api: httpx.AsyncClient,
) -> None:
    (programme,) = await programmes(programmes_api)
    report = await submitted(programmes_api, programme["id"], **APRIL_2015)
    url = f"/highlight-reports/{report['id']}"
    change = {"dca": "Amber", "dca_reason": "Election delays member induction"}

    blind = await programmes_api.patch(url, headers=EDITOR, json=change)
    assert blind.status_code == 428 and errors_field(blind) == "If-Match"
    viewer = await programmes_api.patch(url, headers={**VIEWER, "If-Match": '"1"'}, json=change)
    assert viewer.status_code == 403
    before = len(await changes(programmes_api))

    edited = await programmes_api.patch(url, headers={**EDITOR, "If-Match": '"1"'}, json=change)
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"2"'
    body = edited.json()
    assert (body["id"], body["revision"], body["version"]) == (report["id"], 1, 2)
    assert (body["dca"], body["dca_rag"], body["dca_reason"]) == (
        "Amber",
        "Amber",
        change["dca_reason"],
    )
    assert body["next_steps"] == report["next_steps"]  # fields not sent are kept
    assert body["submitted_at"] == report["submitted_at"]
    assert body["updated_at"] > report["updated_at"]
    revisions = await programmes_api.get(f"{url}/revisions", headers=VIEWER)
    assert [r["revision"] for r in revisions.json()] == [1]

    feed = (await changes(programmes_api))[before:]
    assert [(c["entity"], c["action"]) for c in feed] == [
        ("highlight_report", "update"),
        ("dca_assessment", "create"),  # the changed DCA joins the history
    ]
    assert feed[0]["before"]["dca"] == "Amber/Green" and feed[0]["after"]["dca"] == "Amber"

    stale = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"highlights": "x"}
    )
    assert stale.status_code == 412 and errors_field(stale) == "If-Match"
    for bad, field in (
        ({"dca": None}, "dca"),
        ({"dca_reason": None}, "dca_reason"),
        ({"dca": "Blue"}, "dca"),
        ({"confidence": "Sure"}, "confidence"),
        ({"period": "2024-08"}, "period"),  # the period is the report's identity
    ):
        rejected = await programmes_api.patch(url, headers={**EDITOR, "If-Match": '"2"'}, json=bad)
        assert rejected.status_code == 422, (bad, rejected.text)
        assert errors_field(rejected) == field
    unchanged = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"2"'}, json={"dca": "amber"}
    )
    assert unchanged.status_code == 200 and unchanged.json()["version"] == 2
    missing = await programmes_api.patch(
        "/highlight-reports/999", headers={**EDITOR, "If-Match": '"1"'}, json=change
    )
    assert missing.status_code == 404 and errors_field(missing) == "highlight_report_id"
    assert len(await changes(programmes_api)) == before + 2

    steps = await programmes_api.patch(
        url,
        headers={**EDITOR, "If-Match": '"2"'},
        json={
            "next_steps": [{"what": "Launch workshops", "when": "June 2015"}],
            "confidence": None,
        },
    )
    assert steps.status_code == 200, steps.text
    assert [(s["what"], s["when_precision"]) for s in steps.json()["next_steps"]] == [
        ("Launch workshops", "month")
    ]
    assert steps.json()["confidence"] is None
    feed = (await changes(programmes_api))[before + 2 :]
    assert [(c["entity"], c["action"]) for c in feed] == [("highlight_report", "update")]


async def test_sign_off_locks_the_period(programmes_api: httpx.AsyncClient) -> None:
    first, second = await programmes(programmes_api, 2)
    original = await submitted(programmes_api, first["id"], **APRIL_2015)
    other = await submitted(programmes_api, second["id"], period="2015-04", dca="Green")
    url = f"/highlight-reports/{original['id']}"
    before = len(await changes(programmes_api))

    for headers in (EDITOR, VIEWER):
        denied = await programmes_api.post("/periods/2015-04/sign-off", headers=headers)
        assert denied.status_code == 403 and errors_field(denied) == "roles"
    assert len(await changes(programmes_api)) == before

    signed = await programmes_api.post("/periods/2015-04/sign-off", headers=ADMIN)
    assert signed.status_code == 200, signed.text
    period = signed.json()
    assert (period["period"], period["status"], period["signed_off_by"]) == (
        "2015-04",
        "signed_off",
        "test-admin",
    )
    assert period["signed_off_at"]
    again = await programmes_api.post("/periods/2015-04/sign-off", headers=ADMIN)
    assert again.status_code == 409 and errors_field(again) == "period"
    feed = (await changes(programmes_api))[before:]
    assert [(c["entity"], c["action"], c["actor"]) for c in feed] == [
        ("reporting_period", "update", "test-admin")
    ]
    assert feed[0]["before"]["status"] == "open" and feed[0]["after"]["status"] == "signed_off"

    locked = (await programmes_api.get(url, headers=VIEWER)).json()
    assert locked["locked"] and locked["revision"] == 1
    late = await submit(programmes_api, first["id"], period="2015-04")
    assert late.status_code == 409 and errors_field(late) == "period"
    closed = await submit(programmes_api, second["id"] + 1000, period="2015-04")
    assert closed.status_code == 404  # an unknown programme is still 404 first

    # A change to a locked report is a new revision; the original stays as it was.
    change = {"dca": "Amber/Red", "dca_reason": "Induction slipped", "revision_reason": "TIB"}
    stale = await programmes_api.patch(url, headers={**EDITOR, "If-Match": '"0"'}, json=change)
    assert stale.status_code == 412
    revised = await programmes_api.patch(url, headers={**EDITOR, "If-Match": '"1"'}, json=change)
    assert revised.status_code == 200, revised.text
    second_revision = revised.json()
    assert second_revision["id"] != original["id"]
    assert (second_revision["revision"], second_revision["version"]) == (2, 2)
    assert revised.headers["etag"] == '"2"'
    assert revised.headers["location"] == f"/highlight-reports/{second_revision['id']}"
    assert second_revision["supersedes_id"] == original["id"]
    assert second_revision["current"] and second_revision["locked"]
    assert second_revision["dca"] == "Amber/Red" and second_revision["revision_reason"] == "TIB"
    assert second_revision["next_steps"] == original["next_steps"]
    assert second_revision["author"] == "test-editor"
    assert second_revision["submitted_at"] > original["submitted_at"]

    # Reading by either id gives the current revision; ?revision=1 gives the original.
    for any_id in (original["id"], second_revision["id"]):
        got = await programmes_api.get(f"/highlight-reports/{any_id}", headers=VIEWER)
        assert got.json() == second_revision and got.headers["etag"] == '"2"'
    first_revision = (await programmes_api.get(url, headers=VIEWER, params={"revision": 1})).json()
    assert first_revision["superseded"] and not first_revision["current"]
    assert first_revision["superseded_by_id"] == second_revision["id"]
    assert first_revision["superseded_at"] == second_revision["submitted_at"]
    derived = {"current", "superseded", "superseded_by_id", "superseded_at", "locked"}
    unchanged = {k: v for k, v in first_revision.items() if k not in derived}
    assert unchanged == {k: v for k, v in original.items() if k not in derived}
    no_such = await programmes_api.get(url, headers=VIEWER, params={"revision": 3})
    assert no_such.status_code == 404 and errors_field(no_such) == "revision"

    # A stale ETag (the original's) cannot overwrite the new revision.
    lost = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"highlights": "lost update"}
    )
    assert lost.status_code == 412
    third = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"2"'}, json={"highlights": "Workshops booked"}
    )
    assert third.status_code == 200 and third.json()["revision"] == 3
    assert third.json()["dca"] == "Amber/Red"  # carried from revision 2
    # Any revision's id names the report.
    revisions = (
        await programmes_api.get(
            f"/highlight-reports/{third.json()['id']}/revisions", headers=VIEWER
        )
    ).json()
    assert revisions == (await programmes_api.get(f"{url}/revisions", headers=VIEWER)).json()
    assert [(r["revision"], r["current"], r["superseded"]) for r in revisions] == [
        (1, False, True),
        (2, False, True),
        (3, True, False),
    ]
    assert (
        revisions[0]["dca"] == "Amber/Green"
        and revisions[0]["highlights"] == original["highlights"]
    )
    assert revisions[1]["highlights"] == original["highlights"]
    assert revisions[2]["supersedes_id"] == revisions[1]["id"]

    # Lists show current revisions only; the other programme's report is untouched.
    listed = await programmes_api.get(
        f"/programmes/{first['id']}/highlight-reports", headers=VIEWER
    )
    assert [(r["revision"], r["highlights"]) for r in listed.json()] == [(3, "Workshops booked")]
    assert (await programmes_api.get(f"/highlight-reports/{other['id']}", headers=VIEWER)).json()[
        "revision"
    ] == 1

    feed = (await changes(programmes_api))[before + 1 :]
    assert [(c["entity"], c["action"]) for c in feed] == [
        ("highlight_report", "create"),  # revision 2, beside the original
        ("dca_assessment", "create"),
        ("highlight_report", "create"),  # revision 3
    ]
    assert not any(c["entity"] == "highlight_report" and c["action"] == "update" for c in feed), (
        "a locked report is never edited in place"
    )


async def test_periods_are_listed_and_checked(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    await submitted(programmes_api, programme["id"], period="2024-06")
    await submitted(programmes_api, programme["id"], period="2024-07")
    assert (
        await programmes_api.post("/periods/2024-06/sign-off", headers=ADMIN)
    ).status_code == 200
    # A period nobody reported on can still be signed off.
    assert (
        await programmes_api.post("/periods/2024-05/sign-off", headers=ADMIN)
    ).status_code == 200
    listed = (await programmes_api.get("/periods", headers=VIEWER)).json()
    assert [(p["period"], p["status"]) for p in listed] == [
        ("2024-07", "open"),
        ("2024-06", "signed_off"),
        ("2024-05", "signed_off"),
    ]
    signed = await programmes_api.get("/periods", headers=VIEWER, params={"status": "signed_off"})
    assert [p["period"] for p in signed.json()] == ["2024-06", "2024-05"]
    one = await programmes_api.get("/periods/2024-07", headers=VIEWER)
    assert one.status_code == 200 and one.json()["signed_off_by"] is None
    unknown = await programmes_api.get("/periods/2023-01", headers=VIEWER)
    assert unknown.status_code == 404 and errors_field(unknown) == "period"
    before = len(await changes(programmes_api))
    for bad in ("2024-7", "July-2024", "2999-12"):
        response = await programmes_api.post(f"/periods/{bad}/sign-off", headers=ADMIN)
        assert response.status_code == 422 and errors_field(response) == "period", bad
    assert len(await changes(programmes_api)) == before


async def test_reports_across_programmes(programmes_api: httpx.AsyncClient) -> None:
    first, second, third = await programmes(programmes_api, 3)
    await submitted(programmes_api, first["id"], period="2024-06", confidence="High")
    await submitted(programmes_api, first["id"], period="2024-07", confidence="Med")
    await submitted(programmes_api, second["id"], period="2024-07", confidence="Low", dca="Red")
    locked = await submitted(programmes_api, third["id"], period="2024-07", confidence="Medium")
    await programmes_api.post("/periods/2024-07/sign-off", headers=ADMIN)
    await programmes_api.patch(
        f"/highlight-reports/{locked['id']}",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"confidence": "Low"},
    )

    async def search(**params: Any) -> dict:
        response = await programmes_api.get("/highlight-reports", headers=VIEWER, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    everything = await search()
    assert everything["total"] == 4  # current revisions only
    assert [(r["period"], r["programme_id"]) for r in everything["items"]] == [
        ("2024-07", first["id"]),
        ("2024-07", second["id"]),
        ("2024-07", third["id"]),
        ("2024-06", first["id"]),
    ]
    july = await search(period="2024-07")
    assert july["total"] == 3
    medium = await search(confidence="Med")
    assert [(r["programme_id"], r["period"]) for r in medium["items"]] == [(first["id"], "2024-07")]
    low = await search(confidence="low", period="2024-07")
    assert [(r["programme_id"], r["revision"]) for r in low["items"]] == [
        (second["id"], 1),
        (third["id"], 2),
    ]
    mine = await search(programme_id=first["id"])
    assert [r["period"] for r in mine["items"]] == ["2024-07", "2024-06"]
    red = await search(dca="red")
    assert [r["programme_id"] for r in red["items"]] == [second["id"]]
    page = await search(limit=2, offset=2)
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (4, 2, 2, 2)
    oldest_first = await search(sort="period,-programme_id")
    assert [(r["period"], r["programme_id"]) for r in oldest_first["items"]][:2] == [
        ("2024-06", first["id"]),
        ("2024-07", third["id"]),
    ]
    for params, field in (
        ({"programme_id": 999}, "programme_id"),
        ({"confidence": "Sure"}, "confidence"),
        ({"dca": "Purple"}, "dca"),
        ({"period": "2024/07"}, "period"),
        ({"sort": "author"}, "sort"),
    ):
        response = await programmes_api.get("/highlight-reports", headers=VIEWER, params=params)
        assert response.status_code in (404, 422), (params, response.text)
        assert errors_field(response) == field
    anonymous = await programmes_api.get("/highlight-reports")
    assert anonymous.status_code == 401


def reads_reports(sql: str) -> bool:
    return "FROM highlight_report" in sql


def reads_period(sql: str) -> bool:
    return "FROM reporting_period" in sql


async def test_concurrent_writers_get_409_and_412_not_500(
    programmes_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    (programme,) = await programmes(programmes_api)
    # Both have looked for an existing report (and found none) before either writes: the
    # loser's insert meets the unique constraint, and that is a 409, not a 500.
    with rendezvous(monkeypatch, reads_reports):
        twice = await asyncio.gather(*(submit(programmes_api, programme["id"]) for _ in range(2)))
    assert sorted(r.status_code for r in twice) == [201, 409], [r.text for r in twice]
    assert errors_field(next(r for r in twice if r.status_code == 409)) == "period"
    report = next(r for r in twice if r.status_code == 201).json()
    url = f"/highlight-reports/{report['id']}"

    async def edit(text: str) -> httpx.Response:
        return await programmes_api.patch(
            url, headers={**EDITOR, "If-Match": '"1"'}, json={"highlights": text}
        )

    # Both have read the report before either takes the row lock to change it.
    with rendezvous(monkeypatch, reads_period):
        open_edits = await asyncio.gather(edit("one"), edit("two"))
    assert sorted(r.status_code for r in open_edits) == [200, 412], [r.text for r in open_edits]

    assert (
        await programmes_api.post("/periods/2024-07/sign-off", headers=ADMIN)
    ).status_code == 200

    async def revise(text: str) -> httpx.Response:
        return await programmes_api.patch(
            url, headers={**EDITOR, "If-Match": '"2"'}, json={"highlights": text}
        )

    with rendezvous(monkeypatch, reads_period):
        revisions = await asyncio.gather(revise("three"), revise("four"))
    assert sorted(r.status_code for r in revisions) == [200, 412], [r.text for r in revisions]
    listed = (await programmes_api.get(f"{url}/revisions", headers=VIEWER)).json()
    assert [r["revision"] for r in listed] == [1, 2]
    feed = await changes(programmes_api)
    assert [c["entity"] for c in feed].count("highlight_report") == 3  # create, update, revision
