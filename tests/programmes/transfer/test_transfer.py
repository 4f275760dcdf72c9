"""CSV and XLSX export and import of actions and milestones: round trips that change nothing,
imports that apply entirely or report every bad row and write nothing."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook

from tests.conftest import EDITOR, VIEWER
from tests.programmes.milestones.helpers import (
    action,
    make_programme,
    make_workstream,
    milestone,
)
from tests.support import changes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _plan(api: httpx.AsyncClient) -> dict[str, int]:
    """Two programmes with actions and milestones, some text a spreadsheet would mangle."""
    one = await make_programme(api, "AP-1", name="Roles and responsibilities")
    two = await make_programme(api, "AP-2", name="Strategic planning")
    stream = await make_workstream(api, one, "Member development")
    await action(api, one, number="1.1")
    await action(
        api,
        one,
        number="1.10",
        description='=HYPERLINK("http://example.org")',
        timescale="Spring 15",
        measures="- Attendance at workshops\n- Positive feedback over period",
        responsible="CEx & Leader",
        status="In progress",
        review_references=None,
    )
    await action(api, one, number="1.2", description="£2m budget; @mention", timescale="TBC")
    await action(api, two, number="2.1", timescale="Ongoing", responsible="Head of Strategy")
    first = await milestone(
        api,
        one,
        title="Member induction",
        start_text="May-15",
        end_text="Jun-15",
        workstream_id=stream,
        forecast_date="2015-07-31",
        status="Late",
        percent_complete=60,
        owner="Director Delivery",
    )
    second = await milestone(
        api,
        one,
        title="+ Workshops delivered",
        start_text="Q1",
        end_text="Q2 2015/16",
        status="Completed",
        actual_date="2015-09-30",
    )
    third = await milestone(
        api, two, title="Draft planning framework", start_text="TBC", end_text="TBC"
    )
    return {
        "one": one,
        "two": two,
        "stream": stream,
        "m1": first["id"],
        "m2": second["id"],
        "m3": third["id"],
    }


async def _export(api: httpx.AsyncClient, path: str, **params: Any) -> bytes:
    response = await api.get(path, headers=VIEWER, params=params)
    assert response.status_code == 200, response.text
    return response.content


async def _import(
    api: httpx.AsyncClient,
    what: str,
    content: bytes,
    filename: str,
    content_type: str = "application/octet-stream",
    headers: dict[str, str] = EDITOR,
    **params: Any,
) -> httpx.Response:
    return await api.post(
        f"/{what}/import",
        headers=headers,
        files={"file": (filename, content, content_type)},
        params=params,
    )


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as "this is UTF-8"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


async def _state(api: httpx.AsyncClient) -> tuple[Any, Any, int]:
    actions = (await api.get("/actions", headers=VIEWER, params={"limit": 500})).json()["items"]
    ms = (await api.get("/milestones", headers=VIEWER, params={"limit": 500})).json()["items"]
    return actions, ms, len(await changes(api))


async def test_csv_round_trips_are_no_ops(programmes_api: httpx.AsyncClient, today: date) -> None:
    ids = await _plan(programmes_api)
    before = await _state(programmes_api)
    actions_csv = await _export(programmes_api, "/actions/export", format="csv")
    rows = _csv_rows(actions_csv)
    assert [(r["programme_code"], r["number"]) for r in rows] == [
        ("AP-1", "1.1"),
        ("AP-1", "1.2"),
        ("AP-1", "1.10"),
        ("AP-2", "2.1"),
    ]
    assert rows[2]["description"] == '\'=HYPERLINK("http://example.org")'  # never a formula
    assert rows[2]["measures"].startswith("'- Attendance")
    assert (rows[2]["timescale_start"], rows[2]["timescale_end"]) == ("2015-03-01", "2015-05-31")
    assert rows[0]["overdue"] == "yes" and rows[3]["overdue"] == "no"

    imported = await _import(programmes_api, "actions", actions_csv, "actions.csv")
    assert imported.status_code == 200, imported.text
    assert (imported.json()["created"], imported.json()["updated"]) == (0, 0)
    assert imported.json()["unchanged"] == 4

    milestones_csv = await _export(programmes_api, f"/programmes/{ids['one']}/milestones.csv")
    rows = _csv_rows(milestones_csv)
    assert [r["title"] for r in rows] == ["Member induction", "'+ Workshops delivered"]
    assert rows[0]["workstream"] == "Member development" and rows[0]["slippage_days"] == "31"
    assert rows[1]["end_date"] == "2015-09-30" and rows[1]["end_precision"] == "quarter"
    imported = await _import(programmes_api, "milestones", milestones_csv, "milestones.csv")
    assert imported.status_code == 200, imported.text
    assert imported.json()["unchanged"] == 2 and imported.json()["updated"] == 0

    assert await _state(programmes_api) == before
    assert await _export(programmes_api, "/actions/export", format="csv") == actions_csv


async def test_xlsx_round_trips_are_no_ops(programmes_api: httpx.AsyncClient, today: date) -> None:
    ids = await _plan(programmes_api)
    before = await _state(programmes_api)
    response = await programmes_api.get(f"/programmes/{ids['one']}/actions.xlsx", headers=VIEWER)
    assert response.headers["content-type"] == XLSX
    assert 'filename="actions-AP-1.xlsx"' in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["actions", "columns"]
    sheet = book["actions"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["programme_code", "number", "description"]
    values = {header[i]: c.value for i, c in enumerate(sheet[4])}
    assert values["description"] == '=HYPERLINK("http://example.org")'
    assert sheet.cell(row=4, column=3).data_type == "s"  # text, not a formula
    assert values["timescale_end"] == datetime(2015, 5, 31)
    imported = await _import(programmes_api, "actions", response.content, "actions.xlsx")
    assert imported.status_code == 200, imported.text
    assert imported.json()["unchanged"] == 3 and imported.json()["format"] == "xlsx"

    workbook = await _export(programmes_api, "/milestones/export", format="xlsx")
    # the format comes from the content type when the name says nothing
    imported = await _import(programmes_api, "milestones", workbook, "upload", XLSX)
    assert imported.status_code == 200, imported.text
    assert imported.json()["unchanged"] == 3
    assert await _state(programmes_api) == before


async def test_import_creates_and_updates_in_one_go(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    ids = await _plan(programmes_api)
    rows = _csv_rows(await _export(programmes_api, "/actions/export"))
    rows[0]["status"] = "Completed"
    rows[0]["measures"] = ""  # a blank optional cell clears it
    rows[1]["description"] = ""  # a blank required cell leaves it alone
    new = {
        **rows[3],
        "number": "2.2",
        "description": "Agree the city vision",
        "timescale": "Dec-15",
        "status": "",
        "version": "",
    }
    imported = await _import(programmes_api, "actions", _csv([*rows, new]), "actions.csv")
    assert imported.status_code == 200, imported.text
    result = imported.json()
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 1, 3)
    assert [r["outcome"] for r in result["rows"]] == [
        "updated",
        "unchanged",
        "unchanged",
        "unchanged",
        "created",
    ]
    assert result["rows"][0]["row"] == 2 and result["rows"][4]["row"] == 6
    listed = (
        await programmes_api.get("/actions", headers=VIEWER, params={"programme_id": ids["two"]})
    ).json()
    created = listed["items"][1]
    assert (created["number"], created["status"], created["timescale_end"]) == (
        "2.2",
        "Not started",
        "2015-12-31",
    )
    first = (
        await programmes_api.get("/actions", headers=VIEWER, params={"programme_id": ids["one"]})
    ).json()["items"][0]
    assert (first["status"], first["measures"], first["version"]) == ("Completed", None, 2)
    feed = await changes(programmes_api)
    assert [(c["entity"], c["action"]) for c in feed[-2:]] == [
        ("action", "update"),
        ("action", "create"),
    ]
    assert feed[-2]["actor"] == "test-editor"

    ms = _csv_rows(await _export(programmes_api, "/milestones/export"))
    ms[0]["status"] = "Completed"
    ms[0]["percent_complete"] = ""
    ms[0]["workstream"] = ""
    added = {key: "" for key in ms[0]}
    added.update(
        programme_code="AP-2",
        title="City vision agreed",
        end_text="Dec 2015",
        workstream="",
        percent_complete="10",
        forecast_date="31/01/2016",
    )
    imported = await _import(programmes_api, "milestones", _csv([*ms, added]), "milestones.csv")
    assert imported.status_code == 200, imported.text
    assert (imported.json()["created"], imported.json()["updated"]) == (1, 1)
    done = (await programmes_api.get(f"/milestones/{ids['m1']}", headers=VIEWER)).json()
    assert (
        done["status"],
        done["percent_complete"],
        done["actual_date"],
        done["workstream_id"],
    ) == (
        "Completed",
        100,
        today.isoformat(),
        None,
    )
    new_id = imported.json()["rows"][-1]["id"]
    fresh = (await programmes_api.get(f"/milestones/{new_id}", headers=VIEWER)).json()
    assert (fresh["forecast_date"], fresh["slippage_days"], fresh["status"]) == (
        "2016-01-31",
        31,
        "Not started",
    )


async def test_bad_rows_are_all_reported_and_nothing_is_written(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    ids = await _plan(programmes_api)
    before = await _state(programmes_api)
    rows = _csv_rows(await _export(programmes_api, "/milestones/export"))
    good = {**rows[0], "owner": "A new owner"}  # would apply, but must not
    blank = {key: "" for key in rows[0]}
    bad = [
        good,
        {**rows[1], "percent_complete": "150"},  # row 3
        {**rows[2], "programme_code": "AP-9"},  # row 4
        {**blank, "programme_code": "AP-1", "title": "New", "status": "Done"},  # row 5
        {**blank, "programme_code": "AP-1", "title": "New", "forecast_date": "next week"},  # row 6
        {
            **blank,
            "programme_code": "AP-1",
            "title": "New",
            "status": "Completed",
            "percent_complete": "50",
        },  # row 7
        {**blank, "programme_code": "AP-1", "title": "New", "workstream": "Nope"},  # row 8
        {**blank, "programme_code": "AP-1", "id": "9999", "title": "Ghost"},  # row 9
        {**rows[0], "owner": "twice"},  # row 10: the same milestone again
        {
            **blank,
            "programme_code": "AP-1",
            "title": "Early",
            "start_text": "Jun-15",
            "actual_date": "2015-01-01",
            "status": "Completed",
        },  # row 11
        {**rows[2], "id": str(ids["m3"]), "programme_code": "AP-1"},  # row 12: another's
        {
            **blank,
            "programme_code": "AP-1",
            "title": "Backwards",
            "start_text": "Jun-15",
            "end_text": "Jan-15",
        },  # row 13
        {
            **blank,
            "programme_code": "AP-1",
            "title": "New",
            "workstream": "Member development",
            "percent_complete": "half",
        },  # row 14
    ]
    response = await _import(programmes_api, "milestones", _csv(bad), "milestones.csv")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problems = [(e["row"], e["column"]) for e in response.json()["errors"]]
    assert problems == [
        (3, "percent_complete"),
        (4, "programme_code"),
        (5, "status"),
        (6, "forecast_date"),
        (7, "percent_complete"),
        (8, "workstream"),
        (9, "id"),
        (10, "id"),
        (11, "actual_date"),
        (12, "programme_code"),
        (13, "end_text"),
        (14, "percent_complete"),
    ]
    assert all(e["message"] for e in response.json()["errors"])
    assert "nothing was imported" in response.json()["detail"]
    assert await _state(programmes_api) == before

    action_rows = _csv_rows(await _export(programmes_api, "/actions/export"))
    broken = [
        {**action_rows[0], "status": "Finished"},
        {**action_rows[1], "number": ""},
        {**action_rows[2], "version": "7"},
        {**action_rows[3], "number": "2.x.", "version": ""},
        {**action_rows[0], "description": "again"},
        {**action_rows[3], "number": "2.5", "description": "", "version": ""},
    ]
    response = await _import(programmes_api, "actions", _csv(broken), "actions.csv")
    assert response.status_code == 422, response.text
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [
        (2, "status"),
        (3, "number"),
        (4, "version"),
        (5, "number"),
        (6, "number"),
        (7, "description"),
    ]
    assert await _state(programmes_api) == before


async def test_header_problems_are_reported_before_any_row(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    await _plan(programmes_api)
    content = b"programme_code,numbr,description\r\nAP-1,1.1,x\r\n"
    response = await _import(programmes_api, "actions", content, "actions.csv")
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [
        (1, "numbr"),
        (1, "number"),
    ]
    empty = await _import(programmes_api, "actions", b"", "actions.csv")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    old = await _import(programmes_api, "actions", b"\xd0\xcf\x11\xe0", "plan.xls")
    assert old.status_code == 422 and old.json()["errors"][0]["field"] == "file"
    junk = await _import(programmes_api, "actions", b"PK\x03\x04 not really", "plan.xlsx")
    assert junk.status_code == 422 and junk.json()["errors"][0]["field"] == "file"


async def test_a_partial_sheet_changes_only_its_columns(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    """What a council typically sends: a few columns, typed in Excel (numbers, real dates)."""
    ids = await _plan(programmes_api)
    book = Workbook()
    sheet = book.active
    sheet.append(["Programme code", "Number", "Status", "Timescale"])
    sheet.append(["AP-1", 1.1, "completed", datetime(2015, 3, 1)])  # Excel took "1.1" and a date
    sheet.append([None, None, None, None])
    sheet.append(["AP-2", 2.1, "On Track", "Q4 2015/16"])
    out = io.BytesIO()
    book.save(out)
    response = await _import(programmes_api, "actions", out.getvalue(), "update.xlsx")
    assert response.status_code == 200, response.text
    assert [(r["row"], r["outcome"]) for r in response.json()["rows"]] == [
        (2, "updated"),
        (4, "updated"),
    ]
    listed = (await programmes_api.get("/actions", headers=VIEWER)).json()["items"]
    first = next(a for a in listed if a["number"] == "1.1")
    assert (first["status"], first["timescale"], first["timescale_precision"]) == (
        "Completed",
        "01/03/2015",
        "day",
    )
    assert first["responsible"] == "Director Legal Services"  # not in the sheet: unchanged
    other = next(a for a in listed if a["number"] == "2.1")
    assert (other["status"], other["timescale_end"]) == ("On track", "2016-03-31")
    assert ids["two"]


async def test_windows_1252_csv_is_read(programmes_api: httpx.AsyncClient, today: date) -> None:
    await _plan(programmes_api)
    content = "programme_code,number,description\r\nAP-2,2.9,Save £1m\r\n".encode("cp1252")
    response = await _import(programmes_api, "actions", content, "actions.csv")
    assert response.status_code == 200, response.text
    listed = (await programmes_api.get("/actions", headers=VIEWER, params={"sort": "-id"})).json()
    assert listed["items"][0]["description"] == "Save £1m"


async def test_dry_run_reports_and_writes_nothing(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    await _plan(programmes_api)
    before = await _state(programmes_api)
    rows = _csv_rows(await _export(programmes_api, "/actions/export"))
    rows[0]["status"] = "Late"
    new = {**rows[3], "number": "2.2", "version": ""}
    response = await _import(
        programmes_api, "actions", _csv([*rows, new]), "actions.csv", dry_run="true"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and (body["created"], body["updated"]) == (1, 1)
    assert body["rows"][-1] == {"row": 6, "id": None, "outcome": "created"}
    assert await _state(programmes_api) == before


async def test_roles_and_unknown_programmes(programmes_api: httpx.AsyncClient, today: date) -> None:
    ids = await _plan(programmes_api)
    before = await _state(programmes_api)
    content = await _export(programmes_api, f"/programmes/{ids['two']}/actions.csv")
    assert len(_csv_rows(content)) == 1
    denied = await _import(programmes_api, "actions", content, "actions.csv", headers=VIEWER)
    assert denied.status_code == 403
    denied = await _import(programmes_api, "milestones", content, "m.csv", headers=VIEWER)
    assert denied.status_code == 403
    anonymous = await programmes_api.get("/actions/export")
    assert anonymous.status_code == 401
    for path in ("/programmes/9999/actions.csv", "/programmes/9999/milestones.xlsx"):
        assert (await programmes_api.get(path, headers=VIEWER)).status_code == 404
    missing = await programmes_api.get(
        "/milestones/export", headers=VIEWER, params={"programme_id": 9999}
    )
    assert missing.status_code == 404
    bad_format = await programmes_api.get(
        "/actions/export", headers=VIEWER, params={"format": "pdf"}
    )
    assert bad_format.status_code == 422
    only_two = _csv_rows(
        await _export(programmes_api, "/milestones/export", programme_id=ids["two"])
    )
    assert [r["title"] for r in only_two] == ["Draft planning framework"]
    assert await _state(programmes_api) == before


async def test_openapi_documents_the_columns(programmes_api: httpx.AsyncClient) -> None:
    spec = (await programmes_api.get("/openapi.json")).json()
    imports = spec["paths"]["/actions/import"]["post"]["description"]
    assert "`review_references`" in imports and "`row`" in imports
    exports = spec["paths"]["/programmes/{programme_id}/milestones.xlsx"]["get"]["description"]
    assert "`slippage_days` | read-only" in exports
