"""The programmes REST API against PostgreSQL built by its migrations."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import ADMIN, EDITOR, RAG_SCALE, VIEWER
from tests.support import changes
from tests.support.race import rendezvous


async def make_portfolio(api: httpx.AsyncClient, code: str = "IRP-2024") -> dict:
    response = await api.post(
        "/portfolios",
        headers=ADMIN,
        json={"code": code, "name": "Improvement and Recovery Plan", "rag_scale": RAG_SCALE},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def make_person(api: httpx.AsyncClient, name: str, **extra) -> dict:
    """The person named, from the directory or added to it."""
    found = (await api.get("/people", headers=VIEWER, params={"q": name})).json()["items"]
    for person in found:
        if person["name"] == name:
            return person
    response = await api.post("/people", headers=EDITOR, json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


SAO = "Director of Finance and Section 151 Officer"
LEAD_MEMBER = "Cabinet Member for Finance and Resources"


async def make_programme(
    api: httpx.AsyncClient, portfolio_id: int, code: str = "IRP-01", **extra
) -> dict:
    body = {
        "portfolio_id": portfolio_id,
        "code": code,
        "name": "Deliver Savings & Balance the Budget",
        "sao_id": (await make_person(api, SAO))["id"],
        "lead_member_id": (await make_person(api, LEAD_MEMBER))["id"],
        **extra,
    }
    response = await api.post("/programmes", headers=EDITOR, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_read_and_audit(programmes_api: httpx.AsyncClient) -> None:
    portfolio = await make_portfolio(programmes_api)
    created = await make_programme(programmes_api, portfolio["id"])
    got = await programmes_api.get(f"/programmes/{created['id']}", headers=VIEWER)
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'
    assert got.json()["sao"]["name"] == SAO
    assert got.json()["lead_member"]["name"] == LEAD_MEMBER and got.json()["rdl"] is None
    feed = await changes(programmes_api)
    assert [(c["entity"], c["action"], c["actor"]) for c in feed] == [
        ("portfolio", "create", "test-admin"),
        ("person", "create", "test-editor"),
        ("person", "create", "test-editor"),
        ("programme", "create", "test-editor"),
    ]
    assert feed[3]["after"]["code"] == "IRP-01" and feed[3]["before"] is None


async def test_a_programme_keeps_its_name_sao_and_lead_member(
    programmes_api: httpx.AsyncClient,
) -> None:
    portfolio = await make_portfolio(programmes_api)
    created = await make_programme(programmes_api, portfolio["id"])
    for field in ("name", "sao_id", "lead_member_id"):
        emptied = await programmes_api.patch(
            f"/programmes/{created['id']}",
            headers={**EDITOR, "If-Match": '"1"'},
            json={field: None},
        )
        assert emptied.status_code == 422, emptied.text
        assert emptied.json()["errors"][0]["field"] == field
        assert "every programme has one" in emptied.json()["detail"]
    kept = await programmes_api.get(f"/programmes/{created['id']}", headers=VIEWER)
    assert kept.json()["version"] == 1 and kept.json()["sao"]["name"] == SAO


async def test_auth_is_required_and_roles_enforced(programmes_api: httpx.AsyncClient) -> None:
    anonymous = await programmes_api.get("/programmes")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.json()["errors"][0]["field"] == "Authorization"
    bad = await programmes_api.get("/programmes", headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401
    forbidden = await programmes_api.post(
        "/portfolios", headers=VIEWER, json={"code": "X", "name": "X"}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["type"].endswith("/forbidden")
    assert await changes(programmes_api) == []


async def test_bad_input_names_the_field_and_writes_nothing(
    programmes_api: httpx.AsyncClient,
) -> None:
    portfolio = await make_portfolio(programmes_api)
    missing = await programmes_api.post(
        "/programmes",
        headers=EDITOR,
        json={"portfolio_id": portfolio["id"], "code": "IRP-02", "name": "x"},
    )
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"sao_id", "lead_member_id"}
    programme = await make_programme(programmes_api, portfolio["id"])
    people = {"sao_id": programme["sao"]["id"], "lead_member_id": programme["lead_member"]["id"]}
    unknown = await programmes_api.post(
        "/programmes",
        headers=EDITOR,
        json={"portfolio_id": 999, "code": "IRP-02", "name": "x", **people},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "portfolio_id"
    nobody = await programmes_api.post(
        "/programmes",
        headers=EDITOR,
        json={
            "portfolio_id": portfolio["id"],
            "code": "IRP-02",
            "name": "x",
            **people,
            "rdl_id": 999,
        },
    )
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"] == "rdl_id"
    duplicate = await programmes_api.post(
        "/programmes",
        headers=EDITOR,
        json={
            "portfolio_id": portfolio["id"],
            "code": "IRP-01",
            "name": "x",
            **people,
        },
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "code"
    listing = (await programmes_api.get("/programmes", headers=VIEWER)).json()
    assert listing["total"] == 1
    assert len(await changes(programmes_api)) == 4


async def test_optimistic_concurrency(programmes_api: httpx.AsyncClient) -> None:
    portfolio = await make_portfolio(programmes_api)
    programme = await make_programme(programmes_api, portfolio["id"])
    url = f"/programmes/{programme['id']}"
    a_lead = (await make_person(programmes_api, "A. Lead"))["id"]
    b_lead = (await make_person(programmes_api, "B. Lead"))["id"]
    blind = await programmes_api.patch(url, headers=EDITOR, json={"rdl_id": a_lead})
    assert blind.status_code == 428
    first = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"rdl_id": a_lead}
    )
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    stale = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"rdl_id": b_lead}
    )
    assert stale.status_code == 412
    assert stale.json()["errors"][0]["field"] == "If-Match"
    now = (await programmes_api.get(url, headers=VIEWER)).json()
    assert now["rdl"]["name"] == "A. Lead" and now["version"] == 2
    feed = await changes(programmes_api)
    assert feed[-1]["action"] == "update"
    assert feed[-1]["before"]["rdl_id"] is None and feed[-1]["after"]["rdl_id"] == a_lead


async def test_racing_writers_from_one_version_one_wins(
    programmes_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both have read version 1 (and checked the people they name) before either writes: the
    version check in the UPDATE itself lets one win; the other gets 412, and nothing is lost."""
    portfolio = await make_portfolio(programmes_api)
    programme = await make_programme(programmes_api, portfolio["id"])
    url = f"/programmes/{programme['id']}"
    leads = [(await make_person(programmes_api, name))["id"] for name in ("A. Lead", "B. Lead")]

    async def name_rdl(person_id: int) -> httpx.Response:
        return await programmes_api.patch(
            url, headers={**EDITOR, "If-Match": '"1"'}, json={"rdl_id": person_id}
        )

    with rendezvous(monkeypatch, lambda sql: "FROM person" in sql):
        racing = await asyncio.gather(*(name_rdl(p) for p in leads))
    assert sorted(r.status_code for r in racing) == [200, 412], [r.text for r in racing]
    winner = next(r for r in racing if r.status_code == 200).json()
    now = (await programmes_api.get(url, headers=VIEWER)).json()
    assert now["version"] == 2 and now["rdl"]["id"] == winner["rdl"]["id"]
    updates = [c for c in await changes(programmes_api) if c["action"] == "update"]
    assert len(updates) == 1


async def test_key_activities_keep_text_and_parse_dates(programmes_api: httpx.AsyncClient) -> None:
    portfolio = await make_portfolio(programmes_api)
    programme = await make_programme(programmes_api, portfolio["id"])
    url = f"/programmes/{programme['id']}/key-activities"
    created = await programmes_api.post(
        url,
        headers=EDITOR,
        json={"title": "Set the 2025/26 budget", "start_text": "Apr-24", "end_text": "Feb 2025"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["start_date"], body["end_date"], body["end_precision"]) == (
        "2024-04-01",
        "2025-02-28",
        "month",
    )
    assert body["start_text"] == "Apr-24"
    backwards = await programmes_api.post(
        url, headers=EDITOR, json={"title": "x", "start_text": "Mar 2025", "end_text": "Jan 2025"}
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "end_text"
    due = await programmes_api.get(
        url, headers=VIEWER, params={"due_from": "2025-01-01", "due_to": "2025-03-31"}
    )
    assert [a["title"] for a in due.json()] == ["Set the 2025/26 budget"]


async def test_highlight_reports(programmes_api: httpx.AsyncClient) -> None:
    portfolio = await make_portfolio(programmes_api)
    programme = await make_programme(programmes_api, portfolio["id"])
    url = f"/programmes/{programme['id']}/highlight-reports"
    report = {"period": "2024-07", "dca": "Amber/Green", "dca_reason": "Savings tracker in place"}
    created = await programmes_api.post(url, headers=EDITOR, json=report)
    assert created.status_code == 201, created.text
    assert created.json()["author"] == "test-editor"
    again = await programmes_api.post(url, headers=EDITOR, json=report)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "period"
    off_scale = await programmes_api.post(
        url, headers=EDITOR, json={**report, "period": "2024-08", "dca": "Purple"}
    )
    assert off_scale.status_code == 422 and off_scale.json()["errors"][0]["field"] == "dca"
    bad_period = await programmes_api.post(
        url, headers=EDITOR, json={**report, "period": "July 2024"}
    )
    assert bad_period.status_code == 422 and bad_period.json()["errors"][0]["field"] == "period"
    unknown = await programmes_api.post(
        "/programmes/999/highlight-reports", headers=EDITOR, json=report
    )
    assert unknown.status_code == 404
    assert len((await programmes_api.get(url, headers=VIEWER)).json()) == 1


async def test_graphql_reads_entities_and_mutates(programmes_api: httpx.AsyncClient) -> None:
    portfolio = await make_portfolio(programmes_api)
    programme = await make_programme(programmes_api, portfolio["id"])
    query = """query($reps: [_Any!]!) {
      programmes { items { code sao { name } portfolioCode latestHighlightReport { dca } } }
      _entities(representations: $reps) { ... on Programme { id name leadMember { name } } }
    }"""
    reps = [{"__typename": "Programme", "id": str(programme["id"])}]
    response = await programmes_api.post(
        "/graphql", headers=VIEWER, json={"query": query, "variables": {"reps": reps}}
    )
    data = response.json()["data"]
    assert data["programmes"]["items"] == [
        {
            "code": "IRP-01",
            "sao": {"name": SAO},
            "portfolioCode": "IRP-2024",
            "latestHighlightReport": None,
        }
    ]
    assert data["_entities"][0]["leadMember"] == {"name": LEAD_MEMBER}

    head = await make_person(programmes_api, "Head of Finance")
    mutation = """mutation($id: ID!, $v: Int!, $rdl: ID!) {
      updateProgramme(id: $id, version: $v, input: {rdlId: $rdl}) { rdl { name } version } }"""
    denied = await programmes_api.post(
        "/graphql",
        headers=VIEWER,
        json={"query": mutation, "variables": {"id": programme["id"], "v": 1, "rdl": head["id"]}},
    )
    assert denied.json()["errors"][0]["extensions"]["status"] == 403
    ok = await programmes_api.post(
        "/graphql",
        headers=EDITOR,
        json={"query": mutation, "variables": {"id": programme["id"], "v": 1, "rdl": head["id"]}},
    )
    assert ok.json()["data"]["updateProgramme"] == {
        "rdl": {"name": "Head of Finance"},
        "version": 2,
    }
    stale = await programmes_api.post(
        "/graphql",
        headers=EDITOR,
        json={"query": mutation, "variables": {"id": programme["id"], "v": 1, "rdl": head["id"]}},
    )
    assert stale.json()["errors"][0]["extensions"]["status"] == 412
    anonymous = await programmes_api.post(
        "/graphql", json={"query": "{ programmes { items { code } } }"}
    )
    assert anonymous.status_code == 401


CREATE_PERSON = """mutation {
  createPerson(input: {name: "Head of Revenues", title: "Head of Service"}) { id name } }"""
UPDATE_PERSON = """mutation($id: ID!) {
  updatePerson(id: $id, version: 1, input: {title: "Director"}) { title } }"""
ADD_WORKSTREAM = """mutation($p: ID!) {
  addWorkstream(programmeId: $p, input: {name: "Top 12 savings"}) { name position } }"""


async def test_people_and_workstreams_through_graphql(programmes_api: httpx.AsyncClient) -> None:
    portfolio = await make_portfolio(programmes_api)
    programme = await make_programme(programmes_api, portfolio["id"])
    created = await programmes_api.post(
        "/graphql",
        headers=EDITOR,
        json={"query": CREATE_PERSON},
    )
    person = created.json()["data"]["createPerson"]
    assert person["name"] == "Head of Revenues"
    renamed = await programmes_api.post(
        "/graphql",
        headers=EDITOR,
        json={
            "query": UPDATE_PERSON,
            "variables": {"id": person["id"]},
        },
    )
    assert renamed.json()["data"]["updatePerson"] == {"title": "Director"}
    added = await programmes_api.post(
        "/graphql",
        headers=EDITOR,
        json={
            "query": ADD_WORKSTREAM,
            "variables": {"p": programme["id"]},
        },
    )
    assert added.json()["data"]["addWorkstream"] == {"name": "Top 12 savings", "position": 1}
    again = await programmes_api.post(
        "/graphql",
        headers=EDITOR,
        json={
            "query": ADD_WORKSTREAM,
            "variables": {"p": programme["id"]},
        },
    )
    assert again.json()["errors"][0]["extensions"]["status"] == 409
    roles = (await programmes_api.get(f"/people/{programme['sao']['id']}", headers=VIEWER)).json()
    assert roles["roles"] == [
        {"role": "SAO", "programme_id": programme["id"], "programme_code": "IRP-01"}
    ]


async def test_a_viewer_s_bad_input_is_refused_for_the_role_first(
    programmes_api: httpx.AsyncClient,
) -> None:
    """The role is checked before the input, as REST does: a viewer learns nothing about
    what would have been valid."""
    mutations = [
        'mutation { createPerson(input: {name: ""}) { id } }',
        'mutation { updatePerson(id: "x", version: 1, input: {name: ""}) { id } }',
        'mutation { createProgramme(input: {portfolioId: "1", code: "", name: "", '
        'saoId: "1", leadMemberId: "1"}) { id } }',
        'mutation { addWorkstream(programmeId: "x", input: {name: ""}) { id } }',
        'mutation { setServedOutcomes(programmeId: "1", version: 1, outcomeIds: ["x"]) { id } }',
    ]
    for mutation in mutations:
        response = await programmes_api.post("/graphql", headers=VIEWER, json={"query": mutation})
        error = response.json()["errors"][0]["extensions"]
        assert error["status"] == 403, (mutation, error)
