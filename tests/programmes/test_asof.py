"""As-of reads on the programmes service (services/common/asof.py), over HTTP, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import EDITOR, VIEWER
from tests.programmes.loader.test_loader import load
from tests.programmes.loader.test_plan_2018 import PLAN_2024
from tests.programmes.test_api import make_person, make_portfolio, make_programme
from tests.support.asof import History, assert_rest_reads_take_the_cuts_header


async def cut(api: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await api.get("/cut", headers=VIEWER, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["cpmo-cut"] == str(response.json()["position"])
    return response.json()


async def rename(api: httpx.AsyncClient, programme: dict[str, Any], name: str) -> dict[str, Any]:
    current = (await api.get(f"/programmes/{programme['id']}", headers=VIEWER)).json()
    response = await api.patch(
        f"/programmes/{programme['id']}",
        headers={**EDITOR, "If-Match": f'"{current["version"]}"'},
        json={"name": name},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_read_as_of_a_cut_says_what_a_live_read_said_then(
    programmes_api: httpx.AsyncClient,
) -> None:
    api = programmes_api
    portfolio = await make_portfolio(api)
    programme = await make_programme(api, portfolio["id"])
    then = await cut(api)
    live_then = {
        path: (await api.get(path, headers=VIEWER)).content
        for path in (f"/programmes/{programme['id']}", "/programmes", "/people", "/portfolios")
    }

    await rename(api, programme, "Balance the Budget, renamed later")
    await make_programme(api, portfolio["id"], code="IRP-02")
    await make_person(api, "Someone added later")
    assert (await cut(api))["position"] > then["position"]

    for path, body in live_then.items():
        past = await api.get(path, headers=VIEWER, params={"cut": str(then["position"])})
        assert past.status_code == 200, past.text
        assert past.content == body, path
        assert past.headers["cpmo-cut"] == str(then["position"])
        now = await api.get(path, headers=VIEWER)
        if path != "/portfolios":
            assert now.content != body, f"{path} did not change, so the test proves nothing"


async def test_a_cut_by_time_is_the_last_position_committed_by_then(
    programmes_api: httpx.AsyncClient,
) -> None:
    api = programmes_api
    portfolio = await make_portfolio(api)
    programme = await make_programme(api, portfolio["id"])
    before_rename = await cut(api)
    instant = datetime.now(UTC).isoformat()
    await rename(api, programme, "Renamed after the instant")

    by_time = await cut(api, at=instant)
    assert by_time["position"] == before_rename["position"]
    past = await api.get(f"/programmes/{programme['id']}", headers=VIEWER, params={"cut": instant})
    assert past.status_code == 200, past.text
    assert past.json()["name"] == programme["name"]
    assert past.headers["cpmo-cut"] == str(before_rename["position"])


async def test_bad_cuts_are_refused_naming_the_field(programmes_api: httpx.AsyncClient) -> None:
    api = programmes_api
    await make_portfolio(api)
    now = await cut(api)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for bad in (
        str(now["position"] + 1),  # a position not yet written
        future,
        "yesterday",
        "2026-01-01T00:00:00",  # no offset
        "1\x00",
        "-1",
        "9" * 30,
    ):
        response = await api.get("/portfolios", headers=VIEWER, params={"cut": bad})
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["field"] == "cut", response.text
    before_history = await api.get("/cut", headers=VIEWER, params={"at": "2000-01-01T00:00:00Z"})
    assert before_history.status_code == 422
    assert before_history.json()["errors"][0]["field"] == "at"
    assert "history begins" in before_history.json()["detail"]


async def test_graphql_reads_one_cut_per_operation(programmes_api: httpx.AsyncClient) -> None:
    api = programmes_api
    portfolio = await make_portfolio(api)
    programme = await make_programme(api, portfolio["id"])
    then = str((await cut(api))["position"])
    await rename(api, programme, "Renamed later")

    query = """query($id: ID!, $cut: String) {
        programme(id: $id, cut: $cut) { name sao { name } }
        programmes(cut: $cut) { items { code name } }
    }"""
    variables = {"id": programme["id"], "cut": then}
    response = await api.post(
        "/graphql", headers=VIEWER, json={"query": query, "variables": variables}
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["programme"]["name"] == programme["name"]
    assert body["data"]["programmes"]["items"] == [
        {"code": programme["code"], "name": programme["name"]}
    ]
    assert response.headers["cpmo-cut"] == then
    live = await api.post(
        "/graphql", headers=VIEWER, json={"query": query, "variables": {"id": programme["id"]}}
    )
    assert live.json()["data"]["programme"]["name"] == "Renamed later"

    mixed = await api.post(
        "/graphql",
        headers=VIEWER,
        json={
            "query": "query($c: String) { a: portfolios(cut: $c) { items { code } } "
            "b: portfolios { items { code } } }",
            "variables": {"c": then},
        },
    )
    errors = mixed.json()["errors"]
    assert errors[0]["extensions"]["status"] == 422
    assert errors[0]["extensions"]["errors"][0]["field"] == "cut"

    bad = await api.post(
        "/graphql", headers=VIEWER, json={"query": '{ portfolios(cut: "soon") { items { code } } }'}
    )
    assert bad.json()["errors"][0]["extensions"]["errors"][0]["field"] == "cut"


async def test_programmes_cut_names_the_cut_to_pass(programmes_api: httpx.AsyncClient) -> None:
    await make_portfolio(programmes_api)
    rest = await cut(programmes_api)
    response = await programmes_api.post(
        "/graphql", headers=VIEWER, json={"query": "{ programmesCut { position origin } }"}
    )
    assert response.json()["data"]["programmesCut"] == {
        "position": str(rest["position"]),
        "origin": str(rest["origin"]),
    }


async def test_rest_reads_take_the_cuts_header(programmes_api: httpx.AsyncClient) -> None:
    api = programmes_api
    programme = await make_programme(api, (await make_portfolio(api))["id"])

    async def change() -> None:
        await rename(api, programme, "Renamed after the cut")

    await assert_rest_reads_take_the_cuts_header(
        api, "programmes", f"/programmes/{programme['id']}", change
    )


async def test_change_and_delete_then_read_at_the_cut_on_postgresql_and_sqlite(
    either_api: httpx.AsyncClient,
) -> None:
    api = either_api
    await load(api, "/imports/plan", PLAN_2024)
    irp = (await api.get("/programmes/by-code/IRP-01", headers=VIEWER)).json()
    outcomes = (await api.get("/outcomes", headers=VIEWER, params={"aim_id": irp["aim_id"]})).json()
    served = f"/programmes/{irp['id']}/outcomes"
    assert all(irp["id"] in o["programme_ids"] for o in outcomes)  # it serves them all
    paths = (
        f"/programmes/{irp['id']}",
        "/programmes",
        f"/outcomes?aim_id={irp['aim_id']}",
        "/aims",
        "/people",
    )
    then = History(api, paths)
    await then.take_cut()

    renamed = await rename(api, irp, "Balance the Budget, renamed later")
    # Served outcomes are replaced: their rows are deleted, one is written again.
    replaced = await api.put(
        served,
        headers={**EDITOR, "If-Match": f'"{renamed["version"]}"'},
        json={"outcome_ids": [outcomes[1]["id"]]},
    )
    assert replaced.status_code == 200, replaced.text
    await make_person(api, "Someone added later")
    for path, body in then.seen[0][1].items():
        if path != "/aims":
            assert (await api.get(path, headers=VIEWER)).content != body, path
    await then.check_cuts()
