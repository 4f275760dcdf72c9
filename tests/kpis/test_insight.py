"""Targets by year, series and signals, composites, submissions, benchmarks, colour events."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import EDITOR, VIEWER
from tests.kpis.helpers import make_kpi, push
from tests.kpis.test_graphql import gql
from tests.support import changes


async def get(api: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await api.get(path, headers=VIEWER, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_years_target_rates_its_periods(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)  # standing target 90 +/- 5, higher is better
    await push(kpis_api, "KPI-01", "2025-03", 93)
    await push(kpis_api, "KPI-01", "2025-04", 93)
    body = {"financial_year": "2025/26", "target": 95, "tolerance": 2}
    created = await kpis_api.put("/kpis/KPI-01/targets", headers=EDITOR, json=body)
    assert created.status_code == 200 and created.headers["ETag"] == '"1"'
    points = (await get(kpis_api, "/kpis/KPI-01/series"))["points"]
    # March 2025 is 2024/25 (standing target: Green); April 2025 is 2025/26 (95 +/- 2: Amber).
    assert [(p["period"], p["target"], p["colour"]) for p in points] == [
        ("2025-03", 90, "Green"),
        ("2025-04", 95, "Amber"),
    ]
    blind = await kpis_api.put("/kpis/KPI-01/targets", headers=EDITOR, json=body)
    assert blind.status_code == 428
    stale = await kpis_api.put(
        "/kpis/KPI-01/targets", headers={**EDITOR, "If-Match": '"7"'}, json=body
    )
    assert stale.status_code == 412
    bad_year = await kpis_api.put(
        "/kpis/KPI-01/targets", headers=EDITOR, json={**body, "financial_year": "2025/27"}
    )
    assert bad_year.status_code == 422 and bad_year.json()["errors"][0]["field"] == (
        "financial_year"
    )
    replaced = await kpis_api.put(
        "/kpis/KPI-01/targets",
        headers={**EDITOR, "If-Match": '"1"'},
        json={**body, "target": 92},
    )
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    assert [t["target"] for t in await get(kpis_api, "/kpis/KPI-01/targets")] == [92]
    assert [c["action"] for c in await changes(kpis_api, entity="kpi_target")] == [
        "create",
        "update",
    ]


async def test_series_streak_and_signals_in_rest_and_graphql(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api, target=None)
    values = [60, 62, 61, 63, 62, 61, 60, 62, 63, 61, 62, 95]  # a spike in the last month
    for month, value in enumerate(values, start=1):
        assert (await push(kpis_api, "KPI-01", f"2025-{month:02d}", value)).status_code == 201
    series = await get(kpis_api, "/kpis/KPI-01/series")
    assert series["improving_for"] == 2
    assert series["xmr"]["points"] == 12
    # The spike is beyond the limits, and pulls the mean above the eight months before it.
    assert [(s["rule"], s["period"]) for s in series["signals"]] == [
        ("run", "2025-08"),
        ("beyond-limits", "2025-12"),
    ]
    # As the council knew it before any value came in: nothing.
    assert (await get(kpis_api, "/kpis/KPI-01/series", as_of="2025-01-01"))["points"] == []
    data = await gql(
        kpis_api,
        '{ kpi(code: "KPI-01") { series { improvingFor limits { points } '
        "signals { rule period } } } }",
    )
    got = data["data"]["kpi"]["series"]
    assert got == {
        "improvingFor": 2,
        "limits": {"points": 12},
        "signals": [
            {"rule": "RUN", "period": "2025-08"},
            {"rule": "BEYOND_LIMITS", "period": "2025-12"},
        ],
    }


async def test_composites_by_aim_and_as_of_a_date(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api, "KPI-01", directorate="Finance", vital_sign=True)
    await make_kpi(kpis_api, "KPI-02", directorate="Finance")
    await make_kpi(kpis_api, "KPI-03", aim_code="AIM-2", corporate=False)
    await push(kpis_api, "KPI-01", "2025-01", 80)
    await push(kpis_api, "KPI-01", "2025-02", 92)  # Green and improving
    await push(kpis_api, "KPI-02", "2025-02", 70)  # Red, no previous
    await push(kpis_api, "KPI-03", "2025-02", 99)  # Blue
    by_aim = await get(kpis_api, "/kpis/composites", grouping="aim")
    assert [
        (c["group"], c["kpis"], c["with_data"], c["on_target"], c["improving"]) for c in by_aim
    ] == [
        ("AIM-1", 2, 2, 1, 1),
        ("AIM-2", 1, 1, 1, 0),
    ]
    assert by_aim[0]["on_target_percent"] == 50.0
    corporate = await get(kpis_api, "/kpis/composites", grouping="corporate")
    assert [(c["group"], c["kpis"]) for c in corporate] == [("corporate", 2)]
    vital = await get(kpis_api, "/kpis/composites", grouping="vital-signs")
    assert [(c["group"], c["kpis"], c["on_target_percent"]) for c in vital] == [
        ("Finance", 1, 100.0)
    ]
    before = await get(kpis_api, "/kpis/composites", grouping="aim", as_of="2025-01-15")
    assert [c["with_data"] for c in before] == [0, 0]
    bad = await kpis_api.get("/kpis/composites", headers=VIEWER, params={"grouping": "team"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "grouping"
    data = await gql(
        kpis_api, "{ kpiComposites(grouping: DIRECTORATE) { items { group onTarget } } }"
    )
    assert data["data"]["kpiComposites"]["items"] == [
        {"group": "(no directorate)", "onTarget": 1},
        {"group": "Finance", "onTarget": 1},
    ]


async def test_composites_up_to_a_period_count_each_kpis_latest_value_by_then(
    kpis_api: httpx.AsyncClient,
) -> None:
    """A July pack composed in August: its composites judge each KPI's latest value for a
    period ended by July (what latest(upToPeriod:) answers), not August's values, and not
    "nothing" for values of July pushed after the month ended."""
    await make_kpi(kpis_api, "KPI-01")  # target 90 +/- 5, higher is better
    await make_kpi(kpis_api, "KPI-02")
    await make_kpi(kpis_api, "KPI-03", frequency="quarterly")
    await push(kpis_api, "KPI-01", "2024-06", 80)
    await push(kpis_api, "KPI-01", "2024-07", 92)  # Green and improving by July
    await push(kpis_api, "KPI-01", "2024-08", 70)  # Red in August
    await push(kpis_api, "KPI-02", "2024-08", 99)  # nothing by July
    quarter = await push(kpis_api, "KPI-03", "2024/25 Q1", 95)  # ended in June: known by July
    assert quarter.status_code == 201, quarter.text
    july = await get(kpis_api, "/kpis/composites", grouping="aim", up_to_period="2024-07")
    assert [(c["kpis"], c["with_data"], c["on_target"], c["improving"]) for c in july] == [
        (3, 2, 2, 1)
    ]
    now = await get(kpis_api, "/kpis/composites", grouping="aim")
    assert [(c["with_data"], c["on_target"]) for c in now] == [(3, 2)]
    data = await gql(
        kpis_api,
        '{ kpiComposites(grouping: AIM, upToPeriod: "2024-07") '
        "{ items { group withData onTarget improving } } }",
    )
    assert data["data"]["kpiComposites"]["items"] == [
        {"group": "AIM-1", "withData": 2, "onTarget": 2, "improving": 1}
    ]
    for params, field in (
        ({"up_to_period": "July"}, "up_to_period"),
        ({"up_to_period": "2024-07", "as_of": "2024-08-01"}, "up_to_period"),
    ):
        bad = await kpis_api.get(
            "/kpis/composites", headers=VIEWER, params={"grouping": "aim", **params}
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field, bad.text
    both = await gql(
        kpis_api,
        '{ kpiComposites(grouping: AIM, upToPeriod: "2024-07", asOf: "2024-08-01") '
        "{ items { group } } }",
    )
    assert both["errors"][0]["extensions"]["errors"][0]["field"] == "upToPeriod"


async def test_a_months_series_and_benchmarks_know_nothing_after_it(
    kpis_api: httpx.AsyncClient,
) -> None:
    """Up to July: the XmR limits and signals from the values up to July (August's spike
    neither widens them nor fires), and the benchmark of the latest period ended by July, not
    August's published later."""
    await make_kpi(kpis_api, target=None)
    values = [60, 62, 61, 63, 62, 61, 60, 62, 63, 61, 62, 95]  # Sep 2023 to Aug 2024: a spike
    for month, value in enumerate(values):
        period = f"{2023 + (month + 8) // 12}-{(month + 8) % 12 + 1:02d}"
        assert (await push(kpis_api, "KPI-01", period, value)).status_code == 201
    whole = await get(kpis_api, "/kpis/KPI-01/series")
    july = await get(kpis_api, "/kpis/KPI-01/series", up_to_period="2024-07")
    assert [p["period"] for p in july["points"]][-1] == "2024-07"
    assert (july["xmr"]["points"], whole["xmr"]["points"]) == (11, 12)
    assert july["xmr"]["upper_limit"] < whole["xmr"]["upper_limit"]
    assert "beyond-limits" in {s["rule"] for s in whole["signals"]}
    assert july["signals"] == []
    query = (
        '{ kpi(code: "KPI-01") { series(upToPeriod: "2024-07") { limits { points } '
        'signals { rule } } benchmarks(upToPeriod: "2024-07") { period } } }'
    )
    csv = (
        "kpi_code,period,comparator_group,authority,value\n"
        "KPI-01,2024-07,CIPFA nearest neighbours,Leeds,60\n"
        "KPI-01,2024-08,CIPFA nearest neighbours,Leeds,70\n"
    )
    done = await kpis_api.post(
        "/kpis/benchmarks", headers=EDITOR, files={"file": ("b.csv", csv.encode(), "text/csv")}
    )
    assert done.status_code == 201, done.text
    assert [v["period"] for v in await get(kpis_api, "/kpis/KPI-01/benchmarks")] == ["2024-08"]
    bounded = await get(kpis_api, "/kpis/KPI-01/benchmarks", up_to_period="2024-07")
    assert [v["period"] for v in bounded] == ["2024-07"]
    data = await gql(kpis_api, query)
    assert data["data"]["kpi"] == {
        "series": {"limits": {"points": 11}, "signals": []},
        "benchmarks": [{"period": "2024-07"}],
    }
    bad = await kpis_api.get("/kpis/KPI-01/series", headers=VIEWER, params={"up_to_period": "x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "up_to_period"


async def test_late_and_missing_submissions(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api, reporting_from="2024-04-01", due_days=20)
    await push(kpis_api, "KPI-01", "2024-05", 88)  # pushed today: long after 20 June 2024
    found = await get(kpis_api, "/kpis/submissions", as_of="2024-08-25")
    # On 25 August 2024 nothing had come in: April to July were due and missing.
    assert [(s["period"], s["status"]) for s in found] == [
        ("2024-04", "missing"),
        ("2024-05", "missing"),
        ("2024-06", "missing"),
        ("2024-07", "missing"),
    ]
    now = await get(kpis_api, "/kpis/submissions", code="KPI-01")
    assert ("2024-05", "late") in [(s["period"], s["status"]) for s in now]
    missing = await get(kpis_api, "/kpis/submissions", code="KPI-01", status="missing")
    assert "2024-05" not in [s["period"] for s in missing] and len(missing) > 20
    # A value pushed well before its due day is on time.
    await make_kpi(kpis_api, "KPI-02", reporting_from="2026-10-01", due_days=200)
    await push(kpis_api, "KPI-02", "2026-10", 91)
    ahead = await get(kpis_api, "/kpis/submissions", code="KPI-02", as_of="2027-06-30")
    assert [(s["period"], s["status"]) for s in ahead] == [
        ("2026-10", "on-time"),
        ("2026-11", "missing"),
    ]


async def test_benchmarks_rank_the_council_among_comparators(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api, frequency="annual")
    await push(kpis_api, "KPI-01", "2024/25", 92)
    csv = (
        "kpi_code,period,comparator_group,authority,value\n"
        "KPI-01,2024/25,CIPFA nearest neighbours,Manchester,95\n"
        "KPI-01,2024/25,CIPFA nearest neighbours,Leeds,90\n"
        "KPI-01,2024/25,CIPFA nearest neighbours,Sheffield,93\n"
        "KPI-01,2024/25,LG Inform comparator group,Liverpool,91\n"
    )
    bad = csv + "KPI-01,2024-07,CIPFA nearest neighbours,Bristol,90\nKPI-01,2024/25,X,Y,abc\n"
    refused = await kpis_api.post(
        "/kpis/benchmarks", headers=EDITOR, files={"file": ("b.csv", bad.encode(), "text/csv")}
    )
    assert [e["field"] for e in refused.json()["errors"]] == ["rows[4].period", "rows[5].value"]
    assert await get(kpis_api, "/kpis/KPI-01/benchmarks") == []
    done = await kpis_api.post(
        "/kpis/benchmarks", headers=EDITOR, files={"file": ("b.csv", csv.encode(), "text/csv")}
    )
    assert done.status_code == 201 and done.json() == {"imported": 4}
    views = await get(kpis_api, "/kpis/KPI-01/benchmarks")
    cipfa = views[0]
    assert (cipfa["comparator_group"], cipfa["council_value"], cipfa["council_rank"]) == (
        "CIPFA nearest neighbours",
        92,
        3,
    )
    assert cipfa["of"] == 4
    assert [c["authority"] for c in cipfa["comparators"]] == ["Manchester", "Sheffield", "Leeds"]
    assert (views[1]["council_rank"], views[1]["of"]) == (1, 2)
    data = await gql(
        kpis_api, '{ kpi(code: "KPI-01") { benchmarks { comparatorGroup councilRank of } } }'
    )
    assert data["data"]["kpi"]["benchmarks"][0] == {
        "comparatorGroup": "CIPFA nearest neighbours",
        "councilRank": 3,
        "of": 4,
    }


async def test_colour_changes_and_breaches_are_change_feed_events(
    kpis_api: httpx.AsyncClient,
) -> None:
    await make_kpi(kpis_api)  # 90 +/- 5, higher is better
    await push(kpis_api, "KPI-01", "2025-01", 91)  # Green: first colour
    await push(kpis_api, "KPI-01", "2025-02", 92)  # still Green: no event
    await push(kpis_api, "KPI-01", "2025-03", 70)  # Red: a breach
    await push(kpis_api, "KPI-01", "2025-01", 60, reason="recount")  # an older period: no event
    await push(kpis_api, "KPI-01", "2025-03", 88, reason="late invoices")  # restated: Amber
    events = await changes(kpis_api, entity="kpi")
    kpi_events = [e for e in events if e["action"] != "create"]
    assert [
        (e["action"], e["entity_id"], e["after"]["period"], e["after"]["colour"])
        for e in kpi_events
    ] == [
        ("colour-changed", "KPI-01", "2025-01", "Green"),
        ("breached", "KPI-01", "2025-03", "Red"),
        ("colour-changed", "KPI-01", "2025-03", "Amber"),
    ]
    breach = kpi_events[1]
    assert breach["before"]["colour"] == "Green" and breach["after"]["breach"] is True
    assert (breach["after"]["target"], breach["after"]["tolerance"]) == (90, 5)


async def test_a_kpi_chart_is_a_picture(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api, demo=True)
    for month, value in enumerate([88, 91, 86, 93, 90, 92, 89, 94, 91, 90, 92, 70], start=1):
        await push(kpis_api, "KPI-01", f"2025-{month:02d}", value)
    png = await kpis_api.get("/kpis/KPI-01/chart.png", headers=VIEWER)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 10_000
    svg = await kpis_api.get("/kpis/KPI-01/chart.svg", headers=VIEWER)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"[demo data]" in svg.content
    assert (await kpis_api.get("/kpis/KPI-01/chart.gif", headers=VIEWER)).status_code == 422
    assert (await kpis_api.get("/kpis/KPI-99/chart.png", headers=VIEWER)).status_code == 404
