"""The risks subgraph: its federation SDL, Programme.risks batched by a DataLoader, the
Risk.programme stub, and mutations with the REST rules and errors."""

from __future__ import annotations

from typing import Any

import httpx

from services.risks.graphql import schema
from services.risks.main import app
from tests.conftest import EDITOR, VIEWER, free_port, live_programme
from tests.risks.factories import make_risk, total
from tests.support import changes
from tests.support.graphql import gql
from tests.support.statements import statements


def test_sdl_is_a_federation_2_subgraph() -> None:
    sdl = schema.as_str()
    assert 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl or (
        '@link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl
    )
    assert 'type Risk @key(fields: "id")' in sdl
    assert 'type Programme @key(fields: "id")' in sdl
    assert "  status: RiskStatus!\n" in sdl
    # each value described by the council's word (what the pack prints)
    assert 'enum RiskStatus {\n  """Open"""\n  OPEN\n\n  """Treating"""\n  TREATING\n' in sdl
    programme_risks = sdl[sdl.index("  risks(\n", sdl.index("type Programme")) :]
    assert programme_risks.startswith("  risks(\n")
    assert "top: Int = null" in programme_risks and "status: RiskStatus = null" in programme_risks
    assert "  ): [Risk!]\n" in programme_risks
    # nullable, as every RAID list the pack reads: risks down blanks the pack's RAID section only
    assert "): RiskPage\n" in sdl[sdl.index("type Query") :]
    assert "  programme: Programme\n" in sdl
    assert "union _Entity = Programme | Risk" in sdl
    for field in ("inherentScore: Int!", "residualScore: Int!", "residualLikelihood: Int!"):
        assert field in sdl


async def test_service_sdl_is_served(risks_api: httpx.AsyncClient) -> None:
    body = await gql(risks_api, "{ _service { sdl } }")
    assert 'type Programme @key(fields: "id")' in body["data"]["_service"]["sdl"]


async def test_programme_risks_through_entities_in_one_query(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    ids = [live_programme(live_programmes, code)["id"] for code in ("IRP-01", "IRP-02", "IRP-03")]
    first, second, third = ids
    await make_risk(risks_api, "IRP-R01", programme_id=first)  # residual 12
    await make_risk(
        risks_api, "IRP-R02", programme_id=first, residual_likelihood=4, residual_impact=5
    )
    await make_risk(risks_api, "IRP-R03", programme_id=first, status="Closed")  # 12
    await make_risk(
        risks_api, "IRP-R04", programme_id=second, residual_likelihood=1, residual_impact=1
    )
    await make_risk(risks_api, "IRP-R05")  # plan-wide: nobody's

    query = """query($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Programme { id risks { code residualScore status programme { id } } }
      }
    }"""
    reps = [{"__typename": "Programme", "id": str(i)} for i in ids]
    with statements(risks_api, "risk") as selects:
        body = await gql(risks_api, query, reps=reps)
    assert "errors" not in body, body
    assert len(selects) == 1, selects  # three programmes, one query

    entities = body["data"]["_entities"]
    assert [e["id"] for e in entities] == [str(i) for i in ids]
    worst_first = [(r["code"], r["residualScore"]) for r in entities[0]["risks"]]
    assert worst_first == [("IRP-R02", 20), ("IRP-R01", 12), ("IRP-R03", 12)]
    assert {r["programme"]["id"] for r in entities[0]["risks"]} == {str(first)}
    assert [r["code"] for r in entities[1]["risks"]] == ["IRP-R04"]
    assert entities[2]["risks"] == []
    assert third not in (first, second)

    filtered = """query($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Programme { top: risks(top: 1) { code } open: risks(status: OPEN) { code } }
      }
    }"""
    with statements(risks_api, "risk") as selects:
        body = await gql(risks_api, filtered, reps=reps)
    assert "errors" not in body, body
    assert len(selects) == 2  # one per distinct status filter, never one per programme
    assert body["data"]["_entities"][0] == {
        "top": [{"code": "IRP-R02"}],
        "open": [{"code": "IRP-R02"}, {"code": "IRP-R01"}],
    }

    bad = await gql(
        risks_api,
        "query($reps: [_Any!]!) { _entities(representations: $reps) "
        "{ ... on Programme { risks(status: DORMANT) { code } } } }",
        reps=reps[:1],
    )
    assert bad["errors"][0]["extensions"]["status"] == 422
    assert bad["errors"][0]["extensions"]["errors"][0]["field"] == "status"
    assert bad["data"] is None  # refused before anything was read


async def test_queries_and_the_programme_stub(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    programme_id = live_programme(live_programmes, "IRP-01")["id"]
    linked = await make_risk(risks_api, "IRP-R01", programme_id=programme_id)
    await make_risk(risks_api, "IRP-R02")
    query = """query($id: ID!, $pid: ID!, $reps: [_Any!]!) {
      all: risks { items { code programme { id } } totalCount pageInfo { hasNextPage } }
      planWide: risks(planWide: true) { items { code } }
      ofProgramme: risks(programmeId: $pid) { items { code } }
      open: risks(status: OPEN, limit: 1) { items { code } pageInfo { hasNextPage } }
      closed: risks(status: CLOSED) { items { code } totalCount }
      risk(id: $id) {
        code inherentLikelihood inherentImpact inherentScore residualScore status version
        cause mitigation owner title description
      }
      byCode: riskByCode(code: "IRP-R02") { code programme { id } }
      nothing: riskByCode(code: "NOPE") { code }
      _entities(representations: $reps) { ... on Risk { code } }
    }"""
    body = await gql(
        risks_api,
        query,
        id=str(linked["id"]),
        pid=str(programme_id),
        reps=[{"__typename": "Risk", "id": str(linked["id"])}],
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["all"] == {
        "items": [
            {"code": "IRP-R01", "programme": {"id": str(programme_id)}},
            {"code": "IRP-R02", "programme": None},
        ],
        "totalCount": 2,
        "pageInfo": {"hasNextPage": False},
    }
    assert data["planWide"] == {"items": [{"code": "IRP-R02"}]}
    assert data["ofProgramme"] == {"items": [{"code": "IRP-R01"}]}
    assert data["open"] == {"items": [{"code": "IRP-R01"}], "pageInfo": {"hasNextPage": True}}
    assert data["closed"] == {"items": [], "totalCount": 0}
    assert data["risk"]["inherentScore"] == 20 and data["risk"]["residualScore"] == 12
    assert data["risk"]["status"] == "OPEN" and data["risk"]["version"] == 1
    assert data["byCode"] == {"code": "IRP-R02", "programme": None}
    assert data["nothing"] is None
    assert data["_entities"] == [{"code": "IRP-R01"}]


CREATE = """mutation($input: RiskCreateInput!) {
  createRisk(input: $input) { id code residualScore version programme { id } } }"""
UPDATE = """mutation($id: ID!, $v: Int!, $input: RiskUpdateInput!) {
  updateRisk(id: $id, version: $v, input: $input) { owner residualScore status version } }"""


def create_input(code: str = "IRP-R01", **fields: Any) -> dict[str, Any]:
    return {
        "code": code,
        "title": "Insufficient capacity to deliver the plan",
        "description": "Interim posts and vacancies slow delivery of the priority programmes",
        "owner": "Chief Executive",
        "inherentLikelihood": 4,
        "inherentImpact": 4,
        "residualLikelihood": 3,
        "residualImpact": 3,
        **fields,
    }


async def test_mutations_follow_the_rest_rules(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    programme_id = live_programme(live_programmes, "IRP-01")["id"]

    denied = await gql(risks_api, CREATE, VIEWER, input=create_input())
    assert denied["errors"][0]["extensions"]["status"] == 403
    assert denied["data"] is None

    unknown = await gql(risks_api, CREATE, EDITOR, input=create_input(programmeId="999999"))
    assert unknown["errors"][0]["extensions"]["status"] == 422
    assert unknown["errors"][0]["extensions"]["errors"][0]["field"] == "programme_id"
    worse = await gql(
        risks_api, CREATE, EDITOR, input=create_input(residualLikelihood=5, residualImpact=4)
    )
    assert worse["errors"][0]["extensions"]["errors"][0]["field"] == "residual_likelihood"
    off = await gql(risks_api, CREATE, EDITOR, input=create_input(inherentImpact=6))
    assert off["errors"][0]["extensions"]["status"] == 422
    assert off["errors"][0]["extensions"]["errors"][0]["field"] == "inherent_impact"
    assert await total(risks_api) == 0

    created = await gql(
        risks_api, CREATE, EDITOR, input=create_input(programmeId=str(programme_id))
    )
    assert "errors" not in created, created
    risk = created["data"]["createRisk"]
    assert risk["residualScore"] == 9 and risk["version"] == 1
    assert risk["programme"] == {"id": str(programme_id)}

    update_denied = await gql(risks_api, UPDATE, VIEWER, id=risk["id"], v=1, input={"owner": "x"})
    assert update_denied["errors"][0]["extensions"]["status"] == 403
    updated = await gql(
        risks_api,
        UPDATE,
        EDITOR,
        id=risk["id"],
        v=1,
        input={"owner": "Monitoring Officer", "residualImpact": 2},
    )
    assert updated["data"]["updateRisk"] == {
        "owner": "Monitoring Officer",
        "residualScore": 6,
        "status": "OPEN",
        "version": 2,
    }
    stale = await gql(risks_api, UPDATE, EDITOR, id=risk["id"], v=1, input={"status": "CLOSED"})
    assert stale["errors"][0]["extensions"]["status"] == 412
    bad_status = await gql(
        risks_api, UPDATE, EDITOR, id=risk["id"], v=2, input={"status": "Closed"}
    )
    assert bad_status["errors"][0]["extensions"]["status"] == 422
    assert bad_status["errors"][0]["extensions"]["errors"][0]["field"] == "status"

    feed = await changes(risks_api)
    assert [(c["action"], c["actor"]) for c in feed] == [
        ("create", "test-editor"),
        ("update", "test-editor"),
    ]
    assert feed[1]["before"]["owner"] == "Chief Executive"
    assert feed[1]["after"]["owner"] == "Monitoring Officer"

    anonymous = await risks_api.post("/graphql", json={"query": "{ risks { items { code } } }"})
    assert anonymous.status_code == 401


async def test_mutation_with_programmes_down_is_503(risks_api: httpx.AsyncClient) -> None:
    original = app.state.settings
    app.state.settings = original.model_copy(
        update={"programmes_url": f"http://127.0.0.1:{free_port()}"}
    )
    try:
        body = await gql(risks_api, CREATE, EDITOR, input=create_input(programmeId="1"))
    finally:
        app.state.settings = original
    assert body["errors"][0]["extensions"]["status"] == 503
    assert body["errors"][0]["extensions"]["code"] == "upstream-unavailable"
    assert await total(risks_api) == 0
