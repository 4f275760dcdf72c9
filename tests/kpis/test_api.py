"""The KPIs REST API against PostgreSQL built by its migrations: definitions and reads."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN, EDITOR, VIEWER, auth
from tests.kpis.helpers import kpi_body, make_kpi, push
from tests.support import changes


async def test_create_read_list_and_audit(kpis_api: httpx.AsyncClient) -> None:
    created = await make_kpi(kpis_api, owner="Director of Finance", source_system="Oracle")
    assert created["unit"] == "%" and created["frequency"] == "monthly"
    assert created["version"] == 1
    got = await kpis_api.get("/kpis/KPI-01", headers=VIEWER)
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'
    assert got.json() == created
    await make_kpi(kpis_api, "KPI-02", aim_code="AIM-2", frequency="quarterly")
    await make_kpi(kpis_api, "KPI-03", portfolio_code="IRP-2015", unit="rate per 1,000")

    listing = (await kpis_api.get("/kpis", headers=VIEWER)).json()
    assert listing["total"] == 3
    assert [k["code"] for k in listing["items"]] == ["KPI-01", "KPI-02", "KPI-03"]
    by_aim = await kpis_api.get(
        "/kpis", headers=VIEWER, params={"portfolio_code": "IRP-2024", "aim_code": "AIM-1"}
    )
    assert [k["code"] for k in by_aim.json()["items"]] == ["KPI-01"]
    quarterly = await kpis_api.get("/kpis", headers=VIEWER, params={"frequency": "quarterly"})
    assert [k["code"] for k in quarterly.json()["items"]] == ["KPI-02"]
    page = await kpis_api.get("/kpis", headers=VIEWER, params={"sort": "-code", "limit": 2})
    assert page.json()["total"] == 3
    assert [k["code"] for k in page.json()["items"]] == ["KPI-03", "KPI-02"]
    bad_sort = await kpis_api.get("/kpis", headers=VIEWER, params={"sort": "target"})
    assert bad_sort.status_code == 422 and bad_sort.json()["errors"][0]["field"] == "sort"

    feed = await changes(kpis_api)
    assert [(c["entity"], c["action"], c["actor"]) for c in feed] == [
        ("kpi", "create", "test-editor")
    ] * 3
    assert feed[0]["after"]["code"] == "KPI-01" and feed[0]["before"] is None


async def test_auth_and_roles_on_definitions(kpis_api: httpx.AsyncClient) -> None:
    anonymous = await kpis_api.get("/kpis")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.json()["errors"][0]["field"] == "Authorization"
    viewer = await kpis_api.post("/kpis", headers=VIEWER, json=kpi_body())
    assert viewer.status_code == 403
    machine = await kpis_api.post(
        "/kpis", headers=auth("machine", "finance-system", kpis=["KPI-01"]), json=kpi_body()
    )
    assert machine.status_code == 403
    assert (await kpis_api.post("/kpis", headers=ADMIN, json=kpi_body())).status_code == 201


async def test_bad_definitions_name_the_field_and_write_nothing(
    kpis_api: httpx.AsyncClient,
) -> None:
    negative = await kpis_api.post("/kpis", headers=EDITOR, json=kpi_body(tolerance=-1))
    assert negative.status_code == 422
    assert negative.json()["errors"][0]["field"] == "tolerance"
    unit = await kpis_api.post("/kpis", headers=EDITOR, json=kpi_body(unit="furlongs"))
    assert unit.status_code == 422 and unit.json()["errors"][0]["field"] == "unit"
    frequency = await kpis_api.post("/kpis", headers=EDITOR, json=kpi_body(frequency="weekly"))
    assert frequency.status_code == 422 and frequency.json()["errors"][0]["field"] == "frequency"
    missing = await kpis_api.post("/kpis", headers=EDITOR, json={"code": "KPI-09"})
    assert missing.status_code == 422
    assert {"name", "portfolio_code", "aim_code", "unit"} <= {
        e["field"] for e in missing.json()["errors"]
    }
    await make_kpi(kpis_api)
    duplicate = await kpis_api.post("/kpis", headers=EDITOR, json=kpi_body())
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "code"
    unknown = await kpis_api.get("/kpis/KPI-99", headers=VIEWER)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "code"
    assert (await kpis_api.get("/kpis", headers=VIEWER)).json()["total"] == 1
    assert len(await changes(kpis_api)) == 1


async def test_update_needs_if_match(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    blind = await kpis_api.patch("/kpis/KPI-01", headers=EDITOR, json={"target": 92})
    assert blind.status_code == 428
    assert blind.json()["errors"][0]["field"] == "If-Match"
    first = await kpis_api.patch(
        "/kpis/KPI-01", headers={**EDITOR, "If-Match": '"1"'}, json={"target": 92}
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"' and first.json()["target"] == 92
    stale = await kpis_api.patch(
        "/kpis/KPI-01", headers={**EDITOR, "If-Match": '"1"'}, json={"target": 80}
    )
    assert stale.status_code == 412
    assert stale.json()["errors"][0]["field"] == "If-Match"
    negative = await kpis_api.patch(
        "/kpis/KPI-01", headers={**EDITOR, "If-Match": '"2"'}, json={"tolerance": -0.5}
    )
    assert negative.status_code == 422 and negative.json()["errors"][0]["field"] == "tolerance"
    emptied = await kpis_api.patch(
        "/kpis/KPI-01", headers={**EDITOR, "If-Match": '"2"'}, json={"name": None}
    )
    assert emptied.status_code == 422 and emptied.json()["errors"][0]["field"] == "name"
    viewer = await kpis_api.patch(
        "/kpis/KPI-01", headers={**VIEWER, "If-Match": '"2"'}, json={"target": 1}
    )
    assert viewer.status_code == 403
    now = (await kpis_api.get("/kpis/KPI-01", headers=VIEWER)).json()
    assert (now["target"], now["version"]) == (92, 2)
    feed = await changes(kpis_api)
    assert [c["action"] for c in feed] == ["create", "update"]
    assert feed[-1]["before"]["target"] == 90 and feed[-1]["after"]["target"] == 92


async def test_frequency_is_fixed_once_values_exist(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    changed = await kpis_api.patch(
        "/kpis/KPI-01", headers={**EDITOR, "If-Match": '"1"'}, json={"frequency": "quarterly"}
    )
    assert changed.status_code == 200 and changed.json()["frequency"] == "quarterly"
    assert (await push(kpis_api, "KPI-01", "2023/24 Q4", 91)).status_code == 201
    refused = await kpis_api.patch(
        "/kpis/KPI-01", headers={**EDITOR, "If-Match": '"2"'}, json={"frequency": "monthly"}
    )
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "frequency"


async def test_latest_with_colour_direction_and_up_to_period(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)  # higher is better, target 90, tolerance 5
    await make_kpi(
        kpis_api, "KPI-02", frequency="quarterly", higher_is_better=False, target=10, tolerance=2
    )
    nothing = await kpis_api.get("/kpis/KPI-01/latest", headers=VIEWER)
    assert nothing.status_code == 200
    assert nothing.json() == {
        "kpi_code": "KPI-01",
        "up_to_period": None,
        "measurement": None,
        "colour": None,
        "direction": None,
        "previous": None,
    }
    for period, value in (("2024-05", 80), ("2024-06", 91), ("2024-07", 96)):
        assert (await push(kpis_api, "KPI-01", period, value)).status_code == 201
    june_restated = await push(kpis_api, "KPI-01", "2024-06", 86, reason="late invoices")
    assert june_restated.status_code == 201

    latest = (await kpis_api.get("/kpis/KPI-01/latest", headers=VIEWER)).json()
    assert latest["measurement"]["period"] == "2024-07"
    assert (latest["colour"], latest["direction"]) == ("Blue", "Improving")
    assert (latest["previous"]["period"], latest["previous"]["revision"]) == ("2024-06", 2)

    june = (
        await kpis_api.get(
            "/kpis/KPI-01/latest", headers=VIEWER, params={"up_to_period": "2024-06"}
        )
    ).json()
    assert june["up_to_period"] == "2024-06"
    assert (june["measurement"]["value"], june["measurement"]["revision"]) == (86, 2)
    assert (june["colour"], june["direction"], june["previous"]["period"]) == (
        "Amber",
        "Improving",
        "2024-05",
    )
    # A quarter reaches back to the last month it covers; before any value there is none.
    q2 = (
        await kpis_api.get(
            "/kpis/KPI-01/latest", headers=VIEWER, params={"up_to_period": "2024/25 Q1"}
        )
    ).json()
    assert q2["measurement"]["period"] == "2024-06"
    early = (
        await kpis_api.get(
            "/kpis/KPI-01/latest", headers=VIEWER, params={"up_to_period": "2024-04"}
        )
    ).json()
    assert early["measurement"] is None

    # A quarterly KPI read up to a month gets its last whole quarter; lower is better.
    assert (await push(kpis_api, "KPI-02", "2023/24 Q4", 11)).status_code == 201
    assert (await push(kpis_api, "KPI-02", "2024/25 Q1", 7)).status_code == 201
    july = (
        await kpis_api.get(
            "/kpis/KPI-02/latest", headers=VIEWER, params={"up_to_period": "2024-05"}
        )
    ).json()
    assert july["measurement"]["period"] == "2023/24 Q4"
    assert (july["colour"], july["direction"]) == ("Amber", None)
    year = (
        await kpis_api.get(
            "/kpis/KPI-02/latest", headers=VIEWER, params={"up_to_period": "2024/25"}
        )
    ).json()
    assert (year["measurement"]["period"], year["colour"], year["direction"]) == (
        "2024/25 Q1",
        "Blue",
        "Improving",
    )

    bad = await kpis_api.get("/kpis/KPI-01/latest", headers=VIEWER, params={"up_to_period": "soon"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "up_to_period"
    unknown = await kpis_api.get("/kpis/KPI-99/latest", headers=VIEWER)
    assert unknown.status_code == 404


async def test_numbers_must_be_numbers(kpis_api: httpx.AsyncClient) -> None:
    """`false` is not 0.0 and "5" is not 5: each is refused naming its field, nothing written."""
    bads: tuple[tuple[str, object], ...] = (
        ("target", False),
        ("tolerance", "5"),
        ("baseline_value", True),
    )
    for field, bad in bads:
        refused = await kpis_api.post("/kpis", headers=EDITOR, json={**kpi_body(), field: bad})
        assert refused.status_code == 422, (field, refused.text)
        assert refused.json()["errors"][0]["field"] == field
    assert (await kpis_api.get("/kpis", headers=VIEWER)).json()["total"] == 0
    await make_kpi(kpis_api, target=90)  # an integer is a number
    year = {"financial_year": "2024/25", "tolerance": 2}
    target = await kpis_api.put(
        "/kpis/KPI-01/targets", headers=EDITOR, json={**year, "target": False}
    )
    assert target.status_code == 422 and target.json()["errors"][0]["field"] == "target"
    value = await push(kpis_api, "KPI-01", "2024-07", True)  # type: ignore[arg-type]
    assert value.status_code == 422 and value.json()["errors"][0]["field"] == "value"
    bulk = await kpis_api.post(
        "/kpis/measurements/bulk",
        headers=EDITOR,
        json={"items": [{"code": "KPI-01", "period": "2024-07", "value": "93", "key": "k1"}]},
    )
    assert bulk.status_code == 422, bulk.text
    assert bulk.json()["errors"][0]["field"] == "items.0.value"
    sheet = "code,period,value\nKPI-01,2024-07,93\nKPI-01,2024-08,TRUE\n"
    upload = await kpis_api.post(
        "/kpis/measurements/upload",
        headers=EDITOR,
        files={"file": ("v.csv", sheet.encode(), "text/csv")},
    )
    assert upload.status_code == 422 and upload.json()["errors"][0]["field"] == "rows[1].value"
    patched = await kpis_api.patch(
        "/kpis/KPI-01", headers={**EDITOR, "If-Match": '"1"'}, json={"target": False}
    )
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "target"
    assert (await kpis_api.get("/kpis/KPI-01/measurements", headers=VIEWER)).json() == []
