"""Savings initiatives over REST, against PostgreSQL built by the real migrations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import EDITOR, VIEWER
from tests.programmes.savings.helpers import initiative, make_initiative, plan
from tests.support import changes


async def test_create_read_and_audit(programmes_api: httpx.AsyncClient) -> None:
    setup = await plan(programmes_api)
    children = setup["programmes"]["children"]
    before = len(await changes(programmes_api))
    response = await programmes_api.post(
        "/savings",
        headers=EDITOR,
        json=initiative(
            children["id"],
            "CF-001",
            title="Children's Travel Transport Contracts Re-procurement",
            target="2500000",
            forecast=2250000.5,
            delivered="100000.10",
            due_date="2024-09-30",
            owner="Strategic Director of Children and Families",
        ),
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert response.headers["location"] == f"/savings/{body['id']}"
    # money is a string with two places, whatever the caller sent
    assert (body["target"], body["forecast"], body["delivered"], body["gap"]) == (
        "2500000.00",
        "2250000.50",
        "100000.10",
        "249999.50",
    )
    assert body["directorate"] == "Children and Families"  # the programme's, by default
    assert body["financial_year"] == "2024/25" and body["version"] == 1

    got = await programmes_api.get(
        f"/savings/{body['id']}", headers=VIEWER, params={"as_of": "2024-09-30"}
    )
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    # 2,250,000.50 is within 10% of 2,500,000.00 (90% is 2,250,000.00): Amber, and "late"
    # because the forecast is short; on the due date itself it is not yet overdue.
    assert (got.json()["rag"], got.json()["late"], got.json()["late_reason"]) == (
        "Amber",
        True,
        "forecast below target",
    )
    overdue = await programmes_api.get(
        f"/savings/{body['id']}", headers=VIEWER, params={"as_of": "2024-10-01"}
    )
    assert (overdue.json()["rag"], overdue.json()["late_reason"]) == ("Red", "overdue")

    feed = (await changes(programmes_api))[before:]
    assert [(c["entity"], c["action"], c["actor"]) for c in feed] == [
        ("savings_initiative", "create", "test-editor")
    ]
    assert feed[0]["after"]["target"] == "2500000.00" and feed[0]["before"] is None


async def test_directorate_given_is_kept(programmes_api: httpx.AsyncClient) -> None:
    setup = await plan(programmes_api)
    body = await make_initiative(
        programmes_api, setup["programmes"]["savings"]["id"], "X-1", directorate="City Operations"
    )
    assert body["directorate"] == "City Operations"
    explicit_none = await make_initiative(
        programmes_api, setup["programmes"]["savings"]["id"], "X-2", directorate=None
    )
    assert explicit_none["directorate"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target", "-1.00"),
        ("forecast", -0.01),
        ("delivered", "-5"),
        ("target", "1.001"),
        ("forecast", "NaN"),
        ("delivered", "a lot"),
        ("target", "10000000000000.00"),  # beyond NUMERIC(14, 2)
        ("financial_year", "2024/26"),
        ("financial_year", "2024-25"),
        ("financial_year", "24/25"),
    ],
)
async def test_bad_money_and_years_are_422_naming_the_field_and_write_nothing(
    programmes_api: httpx.AsyncClient, field: str, value: object
) -> None:
    setup = await plan(programmes_api)
    before = await changes(programmes_api)
    response = await programmes_api.post(
        "/savings",
        headers=EDITOR,
        json=initiative(setup["programmes"]["savings"]["id"], "BAD-1", **{field: value}),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field
    assert await changes(programmes_api) == before
    assert (await programmes_api.get("/savings", headers=VIEWER)).json()["total"] == 0


async def test_unknown_ids_and_duplicates(programmes_api: httpx.AsyncClient) -> None:
    setup = await plan(programmes_api)
    before = await changes(programmes_api)
    unknown = await programmes_api.post("/savings", headers=EDITOR, json=initiative(9999, "U-1"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "programme_id"
    missing = await programmes_api.get("/savings/9999", headers=VIEWER)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "initiative_id"
    patch_missing = await programmes_api.patch(
        "/savings/9999", headers={**EDITOR, "If-Match": '"1"'}, json={"title": "x"}
    )
    assert patch_missing.status_code == 404
    assert await changes(programmes_api) == before

    programme_id = setup["programmes"]["savings"]["id"]
    first = await make_initiative(programmes_api, programme_id, "DUP-1")
    after_first = await changes(programmes_api)
    again = await programmes_api.post(
        "/savings", headers=EDITOR, json=initiative(programme_id, "DUP-1")
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "code"
    second = await make_initiative(programmes_api, programme_id, "DUP-2")
    clash = await programmes_api.patch(
        f"/savings/{second['id']}", headers={**EDITOR, "If-Match": '"1"'}, json={"code": "DUP-1"}
    )
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "code"
    bad_move = await programmes_api.patch(
        f"/savings/{first['id']}",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"programme_id": 9999},
    )
    assert bad_move.status_code == 422 and bad_move.json()["errors"][0]["field"] == "programme_id"
    assert len(await changes(programmes_api)) == len(after_first) + 1  # DUP-2 only


async def test_patch_needs_if_match_and_a_current_version(
    programmes_api: httpx.AsyncClient,
) -> None:
    setup = await plan(programmes_api)
    created = await make_initiative(programmes_api, setup["programmes"]["savings"]["id"], "OCC-1")
    url = f"/savings/{created['id']}"
    blind = await programmes_api.patch(url, headers=EDITOR, json={"delivered": "250.00"})
    assert blind.status_code == 428 and blind.json()["errors"][0]["field"] == "If-Match"
    first = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"delivered": "250.00"}
    )
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    assert first.json()["delivered"] == "250.00" and first.json()["version"] == 2
    stale = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"delivered": "999.00"}
    )
    assert stale.status_code == 412 and stale.json()["errors"][0]["field"] == "If-Match"
    assert (await programmes_api.get(url, headers=VIEWER)).json()["delivered"] == "250.00"
    feed = await changes(programmes_api)
    assert feed[-1]["action"] == "update" and feed[-1]["entity"] == "savings_initiative"
    assert (feed[-1]["before"]["delivered"], feed[-1]["after"]["delivered"]) == ("0.00", "250.00")


async def test_patch_rejects_bad_values_and_writes_nothing(
    programmes_api: httpx.AsyncClient,
) -> None:
    setup = await plan(programmes_api)
    created = await make_initiative(programmes_api, setup["programmes"]["savings"]["id"], "P-1")
    url = f"/savings/{created['id']}"
    before = await changes(programmes_api)
    for body, field in (
        ({"target": None}, "target"),
        ({"forecast": "-3"}, "forecast"),
        ({"financial_year": "2025/27"}, "financial_year"),
        ({"title": None}, "title"),
    ):
        response = await programmes_api.patch(url, headers={**EDITOR, "If-Match": '"1"'}, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert await changes(programmes_api) == before
    assert (await programmes_api.get(url, headers=VIEWER)).json()["version"] == 1


async def test_viewer_cannot_write(programmes_api: httpx.AsyncClient) -> None:
    setup = await plan(programmes_api)
    programme_id = setup["programmes"]["savings"]["id"]
    created = await make_initiative(programmes_api, programme_id, "V-1")
    before = await changes(programmes_api)
    post = await programmes_api.post(
        "/savings", headers=VIEWER, json=initiative(programme_id, "V-2")
    )
    assert post.status_code == 403
    patch = await programmes_api.patch(
        f"/savings/{created['id']}", headers={**VIEWER, "If-Match": '"1"'}, json={"title": "x"}
    )
    assert patch.status_code == 403
    anonymous = await programmes_api.get("/savings")
    assert anonymous.status_code == 401
    assert await changes(programmes_api) == before


async def test_list_filters_sorts_and_pages(programmes_api: httpx.AsyncClient) -> None:
    setup = await plan(programmes_api)
    savings_id = setup["programmes"]["savings"]["id"]
    children_id = setup["programmes"]["children"]["id"]
    await make_initiative(programmes_api, savings_id, "A-GREEN", target="100.00", forecast="100.00")
    await make_initiative(programmes_api, savings_id, "B-AMBER", target="100.00", forecast="95.00")
    await make_initiative(
        programmes_api,
        children_id,
        "C-OVERDUE",
        target="300.00",
        forecast="300.00",
        delivered="10.00",
        due_date="2024-06-30",
    )
    await make_initiative(
        programmes_api,
        children_id,
        "D-NEXT-YEAR",
        financial_year="2025/26",
        target="50.00",
        forecast="10.00",
    )

    async def codes(**params: Any) -> list[str]:
        response = await programmes_api.get("/savings", headers=VIEWER, params=params)
        assert response.status_code == 200, response.text
        return [i["code"] for i in response.json()["items"]]

    assert await codes() == ["A-GREEN", "B-AMBER", "C-OVERDUE", "D-NEXT-YEAR"]
    assert await codes(programme_id=children_id) == ["C-OVERDUE", "D-NEXT-YEAR"]
    assert await codes(directorate="children AND families") == ["C-OVERDUE", "D-NEXT-YEAR"]
    assert await codes(financial_year="2025/26") == ["D-NEXT-YEAR"]
    # before C's due date it is on time; after it, overdue and Red
    assert await codes(rag="Green", as_of="2024-06-30") == ["A-GREEN", "C-OVERDUE"]
    assert await codes(rag="Red", as_of="2024-07-01") == ["C-OVERDUE", "D-NEXT-YEAR"]
    assert await codes(rag="Amber", as_of="2024-07-01") == ["B-AMBER"]
    assert await codes(late="true", as_of="2024-06-30") == ["B-AMBER", "D-NEXT-YEAR"]
    assert await codes(late="true", as_of="2024-07-01") == ["B-AMBER", "C-OVERDUE", "D-NEXT-YEAR"]
    assert await codes(late="false", as_of="2024-07-01") == ["A-GREEN"]
    assert await codes(sort="-target") == ["C-OVERDUE", "A-GREEN", "B-AMBER", "D-NEXT-YEAR"]
    page = (
        await programmes_api.get("/savings", headers=VIEWER, params={"limit": 2, "offset": 2})
    ).json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 2)
    assert [i["code"] for i in page["items"]] == ["C-OVERDUE", "D-NEXT-YEAR"]

    for params, field in (
        ({"sort": "secret"}, "sort"),
        ({"rag": "Purple"}, "rag"),
        ({"financial_year": "2024"}, "financial_year"),
        ({"late": "perhaps"}, "late"),
    ):
        bad = await programmes_api.get("/savings", headers=VIEWER, params=params)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field


async def test_sql_filter_and_python_rule_agree_at_the_boundaries(
    programmes_api: httpx.AsyncClient,
) -> None:
    setup = await plan(programmes_api)
    programme_id = setup["programmes"]["savings"]["id"]
    cases = [
        ("B-EQUAL", "100.00", "100.00", "0.00", None),
        ("B-PENNY", "100.00", "99.99", "0.00", None),
        ("B-NINETY", "100.00", "90.00", "0.00", None),
        ("B-BEYOND", "100.00", "89.99", "0.00", None),
        ("B-DUE", "100.00", "100.00", "99.99", "2024-09-30"),
        ("B-DONE", "100.00", "100.00", "100.00", "2024-09-30"),
        ("B-ZERO", "0.00", "0.00", "0.00", "2024-09-30"),
    ]
    for code, target, forecast, delivered, due in cases:
        await make_initiative(
            programmes_api,
            programme_id,
            code,
            target=target,
            forecast=forecast,
            delivered=delivered,
            due_date=due,
        )
    for as_of in ("2024-09-30", "2024-10-01"):
        listed = (
            await programmes_api.get("/savings", headers=VIEWER, params={"as_of": as_of})
        ).json()["items"]
        computed = {i["code"]: (i["rag"], i["late"]) for i in listed}
        for colour in ("Green", "Amber", "Red"):
            filtered = await programmes_api.get(
                "/savings", headers=VIEWER, params={"as_of": as_of, "rag": colour}
            )
            expected = sorted(c for c, (r, _) in computed.items() if r == colour)
            assert [i["code"] for i in filtered.json()["items"]] == expected, (as_of, colour)
        for late in (True, False):
            filtered = await programmes_api.get(
                "/savings", headers=VIEWER, params={"as_of": as_of, "late": str(late).lower()}
            )
            expected = sorted(c for c, (_, lt) in computed.items() if lt is late)
            assert [i["code"] for i in filtered.json()["items"]] == expected, (as_of, late)
    on_the_day = {
        i["code"]: i["rag"]
        for i in (
            await programmes_api.get("/savings", headers=VIEWER, params={"as_of": "2024-09-30"})
        ).json()["items"]
    }
    assert on_the_day == {
        "B-BEYOND": "Red",
        "B-DONE": "Green",
        "B-DUE": "Green",
        "B-EQUAL": "Green",
        "B-NINETY": "Amber",
        "B-PENNY": "Amber",
        "B-ZERO": "Green",
    }


async def _totals_setup(api: httpx.AsyncClient) -> dict:
    setup = await plan(api)
    p = setup["programmes"]
    # amounts a binary float cannot hold: 0.10 + 0.20 is not 0.30 in floating point
    await make_initiative(api, p["savings"]["id"], "T-1", target="0.10", forecast="0.10")
    await make_initiative(api, p["savings"]["id"], "T-2", target="0.20", forecast="0.15")
    await make_initiative(
        api,
        p["children"]["id"],
        "T-3",
        target="74900000.33",
        forecast="70000000.01",
        delivered="12345678.91",
    )
    await make_initiative(
        api, p["loose"]["id"], "T-4", target="74899999.37", forecast="80000000.00"
    )
    await make_initiative(  # another year: filtered out below
        api, p["children"]["id"], "T-5", financial_year="2025/26", target="1.00", forecast="1.00"
    )
    return setup


async def totals(api: httpx.AsyncClient, **params: Any) -> dict:
    response = await api.get("/savings/totals", headers=VIEWER, params=params)
    assert response.status_code == 200, response.text
    return response.json()


GRAND: dict[str, Any] = {
    "target": "149800000.00",
    "forecast": "150000000.26",
    "delivered": "12345678.91",
    "gap": "-200000.26",
    "count": 4,
}


def sums(row: dict) -> dict:
    return {k: row[k] for k in ("target", "forecast", "delivered", "gap", "count")}


async def test_totals_by_programme(programmes_api: httpx.AsyncClient) -> None:
    setup = await _totals_setup(programmes_api)
    p = setup["programmes"]
    body = await totals(programmes_api, group_by="programme", financial_year="2024/25")
    assert body["group_by"] == "programme" and body["financial_year"] == "2024/25"
    groups = {g["programme_id"]: g for g in body["groups"]}
    assert sums(groups[p["savings"]["id"]]) == {
        "target": "0.30",
        "forecast": "0.25",
        "delivered": "0.00",
        "gap": "0.05",
        "count": 2,
    }
    assert groups[p["savings"]["id"]]["label"] == "IRP-01 Deliver Savings & Balance the Budget"
    assert sums(groups[p["children"]["id"]]) == {
        "target": "74900000.33",
        "forecast": "70000000.01",
        "delivered": "12345678.91",
        "gap": "4900000.32",
        "count": 1,
    }
    assert sums(groups[p["loose"]["id"]])["gap"] == "-5100000.63"
    assert sums(body["total"]) == GRAND
    # exact: the groups add up to the grand total, to the penny
    assert sum(Decimal(g["target"]) for g in body["groups"]) == Decimal(GRAND["target"])
    assert body["total"]["programme_id"] is None and body["total"]["label"] == "Total"


async def test_totals_by_directorate(programmes_api: httpx.AsyncClient) -> None:
    await _totals_setup(programmes_api)
    body = await totals(programmes_api, group_by="directorate", financial_year="2024/25")
    assert [(g["directorate"], g["label"]) for g in body["groups"]] == [
        ("Children and Families", "Children and Families"),
        ("Council Management", "Council Management"),
        (None, "(no directorate)"),  # the empty group comes last
    ]
    assert [g["target"] for g in body["groups"]] == ["74900000.33", "0.30", "74899999.37"]
    assert sums(body["total"]) == GRAND


async def test_totals_by_aim_join_programme_to_aim(programmes_api: httpx.AsyncClient) -> None:
    setup = await _totals_setup(programmes_api)
    aims = setup["aims"]
    body = await totals(
        programmes_api, group_by="aim", financial_year="2024/25", as_of="2024-04-01"
    )
    assert [(g["aim_id"], g["label"]) for g in body["groups"]] == [
        (aims["finance"]["id"], "AIM-1 A Financially Sustainable Council"),
        (aims["services"]["id"], "AIM-3 A Council Delivering Good Services"),
        (None, "(no aim)"),
    ]
    finance, services, none = body["groups"]
    assert (finance["target"], finance["count"], finance["green"], finance["red"]) == (
        "0.30",
        2,
        1,
        1,  # 0.15 of 0.20 is 75%: Red
    )
    assert (services["amber"], services["late"]) == (1, 1)  # 70.0m of 74.9m is 93.5%
    assert (none["green"], none["late"]) == (1, 0)
    assert sums(body["total"]) == GRAND
    assert body["as_of"] == "2024-04-01"


async def test_totals_all_years_filters_and_bad_input(programmes_api: httpx.AsyncClient) -> None:
    setup = await _totals_setup(programmes_api)
    every_year = await totals(programmes_api)
    assert every_year["group_by"] == "programme" and every_year["total"]["count"] == 5
    assert every_year["total"]["target"] == "149800001.00"
    one = await totals(
        programmes_api, programme_id=setup["programmes"]["children"]["id"], financial_year="2025/26"
    )
    assert [g["target"] for g in one["groups"]] == ["1.00"]
    empty = await totals(programmes_api, financial_year="2030/31")
    assert empty["groups"] == [] and sums(empty["total"]) == {
        "target": "0.00",
        "forecast": "0.00",
        "delivered": "0.00",
        "gap": "0.00",
        "count": 0,
    }
    for params, field in (
        ({"group_by": "colour"}, "group_by"),
        ({"financial_year": "2024/2025"}, "financial_year"),
    ):
        bad = await programmes_api.get("/savings/totals", headers=VIEWER, params=params)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field
