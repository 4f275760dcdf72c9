"""Bulk pushes and file uploads: all-or-nothing, every bad item named, retries safe."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import Workbook

from tests.conftest import EDITOR, auth
from tests.kpis.helpers import make_kpi, measurements, register_client
from tests.support import changes

MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)]


def items(codes: list[str], tag: str = "a") -> list[dict[str, Any]]:
    return [
        {"code": code, "period": period, "value": 50 + i % 40, "key": f"{tag}-{code}-{period}"}
        for code in codes
        for i, period in enumerate(MONTHS)
    ]


async def bulk(api: httpx.AsyncClient, body: list[dict[str, Any]], headers: Any = EDITOR) -> Any:
    return await api.post("/kpis/measurements/bulk", headers=headers, json={"items": body})


async def test_one_bad_item_among_thousands_refuses_all_and_names_it(
    kpis_api: httpx.AsyncClient,
) -> None:
    codes = [f"KPI-{n:02d}" for n in range(1, 51)]
    for code in codes:
        await make_kpi(kpis_api, code)
    good = items(codes)
    assert len(good) == 1200
    feed = await changes(kpis_api)
    for bad_index, bad, field, why in (
        (777, {"value": 140}, "value", "between 0 and 100"),
        (5, {"period": "2024/25 Q1"}, "period", "a month"),
        (1100, {"period": "2031-01"}, "period", "has not begun"),
        (42, {"code": "KPI-99"}, "code", "no KPI"),
    ):
        body = [dict(item) for item in good]
        body[bad_index].update(bad)
        refused = await bulk(kpis_api, body)
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        assert [e["field"] for e in errors] == [f"items[{bad_index}].{field}"]
        assert why in errors[0]["message"]
    # Several bad items: every one is reported, in order.
    body = [dict(item) for item in good]
    body[3]["value"] = -1
    body[900]["value"] = 101
    several = await bulk(kpis_api, body)
    assert [e["field"] for e in several.json()["errors"]] == ["items[3].value", "items[900].value"]
    assert await changes(kpis_api) == feed  # nothing written, audit included
    assert await measurements(kpis_api, "KPI-01") == []

    applied = await bulk(kpis_api, good)
    assert applied.status_code == 200, applied.text
    result = applied.json()
    assert (result["created"], result["replayed"]) == (1200, 0)
    assert [i["index"] for i in result["items"][:3]] == [0, 1, 2]
    assert len(await changes(kpis_api, entity="measurement")) == 1200

    # A retried body (the client never saw the answer) writes nothing more.
    again = (await bulk(kpis_api, good)).json()
    assert (again["created"], again["replayed"]) == (0, 1200)
    assert len(await changes(kpis_api, entity="measurement")) == 1200
    assert len(await measurements(kpis_api, "KPI-07")) == 24


async def test_bulk_restatements_reasons_and_key_reuse(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    first = items(["KPI-01"])[:3]
    assert (await bulk(kpis_api, first)).status_code == 200
    changed = [{**first[0], "key": "b-1", "value": 10}, {**first[1], "key": "b-2", "value": 11}]
    reused = await bulk(kpis_api, [{**first[2], "value": 12, "reason": "x"}])
    assert reused.json()["errors"][0]["field"] == "items[0].key"
    explained = [{**c, "reason": "ledger re-run"} for c in changed]
    done = (await bulk(kpis_api, explained)).json()
    assert (done["restated"], [i["revision"] for i in done["items"]]) == (2, [2, 2])
    # The same period twice in one body: the second restates the first.
    twice = [
        {"code": "KPI-01", "period": "2025-06", "value": 1, "key": "t-1"},
        {"code": "KPI-01", "period": "2025-06", "value": 2, "key": "t-2", "reason": "fix"},
    ]
    result = (await bulk(kpis_api, twice)).json()
    assert [(i["outcome"], i["revision"]) for i in result["items"]] == [
        ("created", 1),
        ("restated", 2),
    ]


async def test_a_machine_client_bulk_is_held_to_its_grants(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    await make_kpi(kpis_api, "KPI-02")
    await register_client(kpis_api, "finance-system", ["KPI-01"])
    finance = auth("machine", "finance-system")
    body = items(["KPI-01", "KPI-02"])[20:30]
    refused = await bulk(kpis_api, body, headers=finance)
    assert refused.status_code == 403
    assert {e["field"] for e in refused.json()["errors"]} == {
        f"items[{i}].code" for i in range(4, 10)
    }
    per_kpi = await kpis_api.post(
        "/kpis/KPI-01/measurements/bulk",
        headers=finance,
        json=[{"period": "2024-03", "value": 12.5, "idempotency_key": "wrk-1", "source": "wrk"}],
    )
    assert per_kpi.status_code == 200, per_kpi.text
    assert [m["pushed_by"] for m in await measurements(kpis_api, "KPI-01")] == ["finance-system"]


async def test_csv_and_xlsx_uploads_are_all_or_nothing(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    await make_kpi(kpis_api, "KPI-02", unit="count", target=None)
    csv_bad = b"code,period,value,note\nKPI-01,2024-04,88,\nKPI-02,2024-04,-3,\nKPI-01,May,1,\n"
    refused = await kpis_api.post(
        "/kpis/measurements/upload",
        headers=EDITOR,
        files={"file": ("april.csv", csv_bad, "text/csv")},
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["rows[1].value", "rows[2].period"]
    assert await measurements(kpis_api, "KPI-01") == []

    csv_good = b"code,period,value,note\nKPI-01,2024-04,88,\nKPI-02,2024-04,3,walk-ins\n"
    done = await kpis_api.post(
        "/kpis/measurements/upload",
        headers=EDITOR,
        files={"file": ("april.csv", csv_good, "text/csv")},
    )
    assert done.status_code == 200 and done.json()["created"] == 2
    # The same file again: the keys come from the rows, so nothing is written twice.
    again = await kpis_api.post(
        "/kpis/measurements/upload",
        headers=EDITOR,
        files={"file": ("april.csv", csv_good, "text/csv")},
    )
    assert again.json()["replayed"] == 2

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "period", "value", "reason"])
    sheet.append(["KPI-01", "2024-05", 91.5, None])
    sheet.append(["KPI-01", "2024-04", 87, "April re-counted"])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = await kpis_api.post(
        "/kpis/measurements/upload",
        headers=EDITOR,
        files={"file": ("may.xlsx", buffer.getvalue(), "application/octet-stream")},
    )
    assert xlsx.status_code == 200, xlsx.text
    assert (xlsx.json()["created"], xlsx.json()["restated"]) == (1, 1)
    garbage = await kpis_api.post(
        "/kpis/measurements/upload",
        headers=EDITOR,
        files={"file": ("x.xlsx", b"PK\x03\x04 not really", "application/octet-stream")},
    )
    assert garbage.status_code == 422 and garbage.json()["errors"][0]["field"] == "file"
