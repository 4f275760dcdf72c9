"""As-of reads on the KPIs service (services/common/asof.py), over HTTP, on PostgreSQL: KPIs,
targets, benchmarks and the values pushed (single and bulk, restated) read at a cut say what
they said then, and what is derived from them (latest colour, direction, streak, XmR signals,
composites, late and missing submissions) is judged on the cut's day."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.common import audit, clock
from tests.conftest import EDITOR, VIEWER
from tests.kpis.helpers import make_kpi, push
from tests.programmes.test_asof import cut
from tests.support.asof import assert_rest_reads_take_the_cuts_header
from tests.support.graphql import gql

BENCHMARKS = (
    "kpi_code,period,comparator_group,authority,value\n"
    "KPI-01,2024-07,CIPFA nearest neighbours,Leeds,90\n"
    "KPI-01,2024-07,CIPFA nearest neighbours,Sheffield,93\n"
)
PATHS = (
    "/kpis",
    "/kpis/KPI-01",
    "/kpis/KPI-01/latest",
    "/kpis/KPI-01/latest?up_to_period=2024/25 Q2",
    "/kpis/KPI-01/series",
    "/kpis/KPI-01/measurements",
    "/kpis/KPI-01/targets",
    "/kpis/KPI-01/benchmarks",
    "/kpis/KPI-01/chart.svg",
    "/kpis/KPI-02/latest",
    "/kpis/composites?grouping=aim",
    "/kpis/composites?grouping=directorate",
    "/kpis/submissions",
    "/kpis/submissions?code=KPI-01&status=missing",
)


async def reads(api: httpx.AsyncClient, paths: tuple[str, ...] = PATHS, **params: str) -> Any:
    found = {}
    extra = str(httpx.QueryParams(params))
    for path in paths:
        url = f"{path}{'&' if '?' in path else '?'}{extra}" if extra else path
        response = await api.get(url, headers=VIEWER)
        assert response.status_code == 200, (path, response.text)
        found[path] = response.content
    return found


async def bulk(api: httpx.AsyncClient, *items: tuple[str, str, float]) -> None:
    body = {
        "items": [
            {"code": code, "period": period, "value": value, "key": str(uuid.uuid4())}
            for code, period, value in items
        ]
    }
    response = await api.post("/kpis/measurements/bulk", headers=EDITOR, json=body)
    assert response.status_code == 200, response.text


async def set_target(api: httpx.AsyncClient, year: str, target: float, tolerance: float) -> None:
    listed = (await api.get("/kpis/KPI-01/targets", headers=VIEWER)).json()
    found = [t for t in listed if t["financial_year"] == year]
    headers = {**EDITOR, "If-Match": f'"{found[0]["version"]}"'} if found else EDITOR
    response = await api.put(
        "/kpis/KPI-01/targets",
        headers=headers,
        json={"financial_year": year, "target": target, "tolerance": tolerance},
    )
    assert response.status_code == 200, response.text


async def import_benchmarks(api: httpx.AsyncClient, csv: str) -> None:
    response = await api.post(
        "/kpis/benchmarks", headers=EDITOR, files={"file": ("b.csv", csv.encode(), "text/csv")}
    )
    assert response.status_code == 201, response.text


async def a_year_of_values(api: httpx.AsyncClient) -> None:
    """KPI-01 monthly from April 2024 (due 20 days after each month), KPI-02 quarterly."""
    await make_kpi(api, reporting_from="2024-04-01", due_days=20, directorate="Finance")
    await make_kpi(api, "KPI-02", frequency="quarterly", target=50.0, higher_is_better=False)
    values = [88, 91, 93, 90, 86, 89, 92, 94, 95, 96, 97, 98]
    months = [f"2024-{m:02d}" for m in range(4, 13)] + [f"2025-{m:02d}" for m in range(1, 4)]
    for month, value in zip(months, values, strict=True):
        assert (await push(api, "KPI-01", month, value)).status_code == 201
    await bulk(api, ("KPI-02", "2024/25 Q1", 55), ("KPI-02", "2024/25 Q2", 48))
    await set_target(api, "2024/25", 92, 3)
    await import_benchmarks(api, BENCHMARKS)


async def test_reads_at_a_cut_are_the_reads_taken_then(either_api: httpx.AsyncClient) -> None:
    api = either_api
    await a_year_of_values(api)
    then = await cut(api)
    live_then = await reads(api)

    # Afterwards: restatements (single and in bulk), new periods, a target and the KPI
    # changed, a benchmark replaced, another KPI.
    restated = await push(api, "KPI-01", "2025-03", 70, reason="ledger corrected")
    assert restated.status_code == 201 and restated.json()["revision"] == 2
    await bulk(
        api,
        ("KPI-01", "2024-05", 80),
        ("KPI-01", "2025-04", 60),
        ("KPI-02", "2024/25 Q2", 70),
        ("KPI-02", "2024/25 Q3", 65),
    )
    await set_target(api, "2024/25", 95, 1)
    kpi = (await api.get("/kpis/KPI-01", headers=VIEWER)).json()
    patched = await api.patch(
        "/kpis/KPI-01",
        headers={**EDITOR, "If-Match": f'"{kpi["version"]}"'},
        json={"name": "Renamed later", "directorate": "Resources"},
    )
    assert patched.status_code == 200, patched.text
    await import_benchmarks(api, BENCHMARKS.replace("Leeds,90", "Leeds,99"))
    await make_kpi(api, "KPI-03", aim_code="AIM-2")
    assert (await cut(api))["position"] > then["position"]

    past = await reads(api, cut=str(then["position"]))
    now = await reads(api)
    for path in PATHS:
        assert past[path] == live_then[path], path
        assert now[path] != live_then[path], f"{path} did not change, so the test proves nothing"
    response = await api.get("/kpis/KPI-01/latest", headers=VIEWER, params={"cut": "1"})
    assert response.headers["cpmo-cut"] == "1" and "cpmo-cut-at" in response.headers


async def test_graphql_reads_at_a_cut_are_the_reads_taken_then(
    kpis_api: httpx.AsyncClient,
) -> None:
    api = kpis_api
    await a_year_of_values(api)
    query = """query($cut: String) {
        kpis(cut: $cut) { totalCount items { code name
            latest { value revision colour direction previousPeriod target }
            series { improvingFor points { period value colour direction }
                     limits { mean upperLimit } signals { rule period } }
            measurements { id period value revision current colour }
            targets { financialYear target tolerance version }
            benchmarks { comparatorGroup councilValue councilRank of } } }
        kpi(code: "KPI-01", cut: $cut) { latest(upToPeriod: "2024-09") { value colour } }
        kpiComposites(grouping: AIM, cut: $cut) { items { group withData onTarget improving } }
        kpiSubmissions(cut: $cut) { items { kpiCode period due status receivedAt } }
    }"""

    async def run(position: str | None) -> httpx.Response:
        response = await api.post(
            "/graphql", headers=VIEWER, json={"query": query, "variables": {"cut": position}}
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        return response

    then = str((await cut(api))["position"])
    live_then = (await run(None)).content
    await push(api, "KPI-01", "2025-03", 70)
    await bulk(api, ("KPI-01", "2024-06", 70), ("KPI-02", "2024/25 Q3", 40))
    await set_target(api, "2024/25", 80, 10)
    await import_benchmarks(api, BENCHMARKS.replace("Sheffield,93", "Sheffield,80"))
    await make_kpi(api, "KPI-03")

    past = await run(then)
    assert past.headers["cpmo-cut"] == then
    assert past.content == live_then
    assert (await run(None)).content != live_then

    mixed = await gql(
        api,
        'query($c: String) { kpis(cut: $c) { totalCount } kpi(code: "KPI-01") { code } }',
        c=then,
    )
    assert mixed["errors"][0]["extensions"]["errors"][0]["field"] == "cut"
    bad = await gql(api, '{ kpiComposites(grouping: AIM, cut: "soon") { totalCount } }')
    assert bad["errors"][0]["extensions"]["errors"][0]["field"] == "cut"
    kpis_cut = await gql(api, "{ kpisCut { position origin } }")
    rest = await cut(api)
    assert kpis_cut["data"]["kpisCut"] == {
        "position": str(rest["position"]),
        "origin": str(rest["origin"]),
    }


async def test_bad_cuts_are_refused_naming_the_field(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    now = await cut(kpis_api)
    for path in ("/kpis", "/kpis/KPI-01/latest", "/kpis/composites?grouping=aim"):
        for bad in (str(now["position"] + 1), "yesterday", "2026-01-01T00:00:00", "-1", "9" * 30):
            response = await kpis_api.get(path, headers=VIEWER, params={"cut": bad})
            assert response.status_code == 422, (path, bad, response.text)
            assert response.json()["errors"][0]["field"] == "cut", response.text
    future = await kpis_api.get("/cut", headers=VIEWER, params={"at": "2999-01-01T00:00:00Z"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "at"


async def test_a_cut_by_time_lands_between_pushes(kpis_api: httpx.AsyncClient) -> None:
    """Pushes write through Core, around the session; each still records when it committed."""
    api = kpis_api
    await make_kpi(api)
    await push(api, "KPI-01", "2024-04", 88)
    first = await cut(api)
    live_then = await reads(api, ("/kpis/KPI-01/series", "/kpis/KPI-01/latest"))
    await asyncio.sleep(0.05)
    await bulk(api, ("KPI-01", "2024-05", 91), ("KPI-01", "2024-04", 80))
    second = await cut(api)
    assert first["at"] is not None
    assert datetime.fromisoformat(second["at"]) > datetime.fromisoformat(first["at"])
    assert second["position"] > first["position"]
    by_time = await cut(api, at=first["at"])
    assert by_time["position"] == first["position"]
    assert await reads(api, tuple(live_then), cut=first["at"]) == live_then


async def test_derived_values_are_judged_on_the_cuts_day(
    kpis_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read two months later, a cut still counts late and missing values, and rates the
    composites, as on the day it was taken."""
    api = kpis_api
    await a_year_of_values(api)
    then = await cut(api)
    paths = ("/kpis/submissions", "/kpis/composites?grouping=aim")
    live_then = await reads(api, paths)
    later = clock.today() + timedelta(days=62)
    monkeypatch.setattr(clock, "today", lambda: later)
    now = await reads(api, paths)
    assert now["/kpis/submissions"] != live_then["/kpis/submissions"], "nothing fell due since"
    assert await reads(api, paths, cut=str(then["position"])) == live_then
    explicit = await api.get(
        "/kpis/submissions",
        headers=VIEWER,
        params={"cut": str(then["position"]), "as_of": later.isoformat()},
    )
    assert explicit.content == now["/kpis/submissions"]  # as_of given: that day, at the cut
    data = await gql(
        api,
        "query($c: String) { kpiSubmissions(cut: $c) { totalCount } }",
        c=str(then["position"]),
    )
    live = await gql(api, "{ kpiSubmissions { totalCount } }")
    at_cut = data["data"]["kpiSubmissions"]["totalCount"]
    assert at_cut == len(json.loads(live_then["/kpis/submissions"]))
    assert live["data"]["kpiSubmissions"]["totalCount"] > at_cut


async def test_a_push_in_flight_is_wholly_in_or_wholly_out(kpis_api: httpx.AsyncClient) -> None:
    api = kpis_api
    await make_kpi(api)
    await push(api, "KPI-01", "2024-04", 88)
    # A push is one statement that takes the feed's ordering lock before it writes its audit
    # rows: holding that lock here keeps the push's statement in flight, uncommitted.
    engine = api._transport.app.state.engine  # type: ignore[attr-defined]
    async with engine.connect() as holder:
        await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": audit.ORDER_LOCK})
        await holder.commit()
        pushing = asyncio.create_task(
            bulk(
                api, ("KPI-01", "2024-04", 70), ("KPI-01", "2024-05", 75), ("KPI-01", "2024-06", 72)
            )
        )
        await _until_waiting_on_the_lock(holder)
        try:
            taken = await cut(api)  # while the push is in flight
            paths = ("/kpis/KPI-01/series", "/kpis/KPI-01/measurements", "/kpis/KPI-01/latest")
            during = await reads(api, paths, cut=str(taken["position"]))
            assert not pushing.done(), "the push finished before the cut: they did not race"
        finally:
            await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": audit.ORDER_LOCK})
            await holder.commit()
    await pushing
    after = await reads(api, paths, cut=str(taken["position"]))
    assert during == after, "the in-flight push leaked into the cut after it committed"
    assert [m["value"] for m in json.loads(after["/kpis/KPI-01/measurements"])] == [88]
    live = await reads(api, paths)
    assert [m["value"] for m in json.loads(live["/kpis/KPI-01/measurements"])] == [72, 75, 70, 88]
    assert (await cut(api))["position"] > taken["position"]


async def _until_waiting_on_the_lock(holder: Any) -> None:
    """Until another session waits for the advisory lock ``holder`` holds (the push's
    statement, in flight)."""
    for _ in range(600):
        waiting = await holder.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objid = :key AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": audit.ORDER_LOCK},
        )
        await holder.commit()
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the push never reached the ordering lock")


async def test_rest_reads_take_the_cuts_header(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    assert (await push(kpis_api, "KPI-01", "2025-03", 91)).status_code == 201

    async def change() -> None:
        restated = await push(kpis_api, "KPI-01", "2025-03", 70, reason="ledger corrected")
        assert restated.status_code == 201, restated.text

    await assert_rest_reads_take_the_cuts_header(kpis_api, "kpis", "/kpis/KPI-01/latest", change)
