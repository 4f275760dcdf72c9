"""The RAID registers to CSV and XLSX and back: export then import changes nothing, a bad row
is reported by row, column and message, and a file with any bad row writes nothing."""

from __future__ import annotations

import csv
import io

import httpx

from tests.conftest import EDITOR, VIEWER
from tests.risks.factories import changes, make_risk


async def upload(
    api: httpx.AsyncClient, kind: str, body: bytes, name: str = "raid.csv"
) -> httpx.Response:
    return await api.post(f"/raid/{kind}/import", headers=EDITOR, files={"file": (name, body)})


async def test_export_then_import_is_a_no_op_in_both_formats(risks_api: httpx.AsyncClient) -> None:
    await make_risk(risks_api, "IRP-R01", appetite="Cautious", review_on="2024-10-01")
    await make_risk(risks_api, "IRP-R02", mitigation="=SUM(A1) is text, not a formula")
    issue = await risks_api.post(
        "/issues",
        headers=EDITOR,
        json={"code": "I1", "title": "t", "owner": "o", "severity": "High", "priority": "Low"},
    )
    assert issue.status_code == 201
    before = await changes(risks_api)
    for fmt in ("csv", "xlsx"):
        for kind in ("risk", "issue"):
            exported = await risks_api.get(
                f"/raid/{kind}/export", headers=VIEWER, params={"format": fmt}
            )
            assert exported.status_code == 200, exported.text
            back = await upload(risks_api, kind, exported.content, f"raid.{fmt}")
            assert back.status_code == 200, back.text
            assert back.json()["created"] == back.json()["updated"] == 0
    assert await changes(risks_api) == before

    text = (await risks_api.get("/raid/risk/export", headers=VIEWER)).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["code"] for r in rows] == ["IRP-R01", "IRP-R02"]
    assert rows[0]["appetite"] == "Cautious" and rows[1]["mitigation"].startswith("'=")

    # Edited in the spreadsheet: one changed row updates (and is re-scored), one new row is added.
    rows[0]["residual_impact"] = "3"
    new = dict(rows[1], code="IRP-R03", title="A new risk")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows([rows[0], rows[1], new])
    result = await upload(risks_api, "risk", out.getvalue().encode())
    assert result.json() == {"created": 1, "updated": 1, "unchanged": 1}
    changed = (await risks_api.get("/risks/by-code/IRP-R01", headers=VIEWER)).json()
    assert changed["residual_score"] == 9 and changed["version"] == 2


async def test_bad_rows_are_all_reported_and_nothing_is_written(
    risks_api: httpx.AsyncClient,
) -> None:
    header = "code,title,description,owner,inherent_likelihood,inherent_impact,"
    header += "residual_likelihood,residual_impact,status\n"
    body = header
    body += "R1,Good,d,o,4,4,3,3,Open\n"
    body += "R2,Off scale,d,o,6,4,3,3,Open\n"
    body += "R3,Worse,d,o,2,2,5,5,Open\n"
    body += "R1,Twice,d,o,4,4,3,3,Open\n"
    body += "R5,Bad status,d,o,4,4,3,3,Dormant\n"
    bad = await upload(risks_api, "risk", body.encode())
    assert bad.status_code == 422, bad.text
    problems = {(e["row"], e["column"]) for e in bad.json()["errors"]}
    assert problems == {
        (3, "inherent_likelihood"),
        (4, "residual_likelihood"),
        (5, "code"),
        (6, "status"),
    }
    assert (await risks_api.get("/risks", headers=VIEWER)).json()["total"] == 0

    # Rows that pass the schema but break a rule are reported too, still writing nothing.
    worse = await upload(
        risks_api,
        "risk",
        (header + "R1,Good,d,o,4,4,3,3,Open\n" + "R3,Worse,d,o,2,2,5,5,Open\n").encode(),
    )
    assert worse.status_code == 422
    assert [(e["row"], e["column"]) for e in worse.json()["errors"]] == [(3, "residual_likelihood")]
    assert (await risks_api.get("/risks", headers=VIEWER)).json()["total"] == 0
    assert await changes(risks_api) == []

    unknown = await upload(risks_api, "risk", b"code,colour\nR1,red\n")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["column"] == "colour"
    wrong_kind = await risks_api.post(
        "/raid/rumour/import", headers=EDITOR, files={"file": ("x.csv", b"code\n")}
    )
    assert wrong_kind.status_code == 422 and wrong_kind.json()["errors"][0]["field"] == "kind"
