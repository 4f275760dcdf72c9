"""The RAID registers through GraphQL: Programme.raid and Programme.dependencies batched, risk
history and mitigations by DataLoader, and the RAID mutations with the REST rules."""

from __future__ import annotations

import httpx

from tests.conftest import EDITOR, VIEWER, live_programme
from tests.risks.factories import make_risk
from tests.risks.test_graphql import gql
from tests.support.statements import statements


async def test_programme_raid_in_one_query_per_register(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    ids = [live_programme(live_programmes, code)["id"] for code in ("IRP-01", "IRP-02")]
    await make_risk(risks_api, "IRP-R01", programme_id=ids[0])
    await make_risk(risks_api, "IRP-R02", programme_id=ids[1])
    for index, programme_id in enumerate(ids):
        response = await risks_api.post(
            "/assumptions",
            headers=EDITOR,
            json={"code": f"A{index}", "title": "t", "owner": "o", "programme_id": programme_id},
        )
        assert response.status_code == 201, response.text
    response = await risks_api.post(
        "/dependencies",
        headers=EDITOR,
        json={
            "code": "D1",
            "title": "Oracle before corporate services",
            "owner": "CPMO",
            "from_programme_id": ids[0],
            "to_programme_id": ids[1],
        },
    )
    assert response.status_code == 201, response.text

    query = """query($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Programme {
          id
          raid { risks { code mitigations { id } assessments { residualScore } }
                 assumptions { code status } issues { code } dependencies { code } }
          out: dependencies(direction: OUT) { code toProgramme { id } }
          in: dependencies(direction: IN) { code fromProgramme { id } }
        }
      }
    }"""
    reps = [{"__typename": "Programme", "id": str(i)} for i in ids]
    with statements(risks_api) as seen:
        body = await gql(risks_api, query, reps=reps)
    assert "errors" not in body, body
    # risks, assumptions, issues, dependencies, mitigations, assessments: one each.
    assert len(seen) == 6, seen
    first, second = body["data"]["_entities"]
    assert [r["code"] for r in first["raid"]["risks"]] == ["IRP-R01"]
    assert first["raid"]["risks"][0]["assessments"] == [{"residualScore": 12}]
    assert first["raid"]["assumptions"] == [{"code": "A0", "status": "UNVALIDATED"}]
    assert first["raid"]["dependencies"] == second["raid"]["dependencies"] == [{"code": "D1"}]
    assert first["out"] == [{"code": "D1", "toProgramme": {"id": str(ids[1])}}]
    assert first["in"] == [] and second["in"] == [
        {"code": "D1", "fromProgramme": {"id": str(ids[0])}}
    ]

    only = """query($reps: [_Any!]!) { _entities(representations: $reps) {
      ... on Programme { raid(kinds: [ASSUMPTION]) { risks { code } assumptions { code } } } } }"""
    body = await gql(risks_api, only, reps=reps[:1])
    assert body["data"]["_entities"][0]["raid"] == {"risks": [], "assumptions": [{"code": "A0"}]}


async def test_raid_mutations_keep_the_rest_rules(risks_api: httpx.AsyncClient) -> None:
    risk = await make_risk(risks_api)
    reassess = """mutation($id: ID!, $v: Int!, $input: ReassessInput!) {
      reassessRisk(id: $id, version: $v, input: $input) { residualScore version
        assessments { residualScore reason } } }"""
    denied = await gql(
        risks_api,
        reassess,
        VIEWER,
        id=risk["id"],
        v=1,
        input={"residualLikelihood": 2, "residualImpact": 2, "reason": "r"},
    )
    assert denied["errors"][0]["extensions"]["status"] == 403
    off = await gql(
        risks_api,
        reassess,
        EDITOR,
        id=risk["id"],
        v=1,
        input={"residualLikelihood": 6, "residualImpact": 2, "reason": "r"},
    )
    assert off["errors"][0]["extensions"]["errors"][0]["field"] == "residual_likelihood"
    done = await gql(
        risks_api,
        reassess,
        EDITOR,
        id=risk["id"],
        v=1,
        input={"residualLikelihood": 2, "residualImpact": 2, "reason": "controls work"},
    )
    assert "errors" not in done, done
    assert done["data"]["reassessRisk"]["residualScore"] == 4
    assert [a["reason"] for a in done["data"]["reassessRisk"]["assessments"]] == [
        "first assessment",
        "controls work",
    ]
    materialise = """mutation($id: ID!, $v: Int!, $input: MaterialiseInput!) {
      materialiseRisk(id: $id, version: $v, input: $input) { code riskId severity status } }"""
    issue = await gql(
        risks_api,
        materialise,
        EDITOR,
        id=risk["id"],
        v=2,
        input={"issueCode": "IRP-I01", "severity": "HIGH", "priority": "URGENT"},
    )
    assert issue["data"]["materialiseRisk"] == {
        "code": "IRP-I01",
        "riskId": risk["id"] if isinstance(risk["id"], str) else str(risk["id"]),
        "severity": "HIGH",
        "status": "OPEN",
    }
    both_ways = await gql(
        risks_api,
        "query($id: ID!) { risk(id: $id) { status issue { code risk { code } } } }",
        id=str(risk["id"]),
    )
    assert both_ways["data"]["risk"] == {
        "status": "MATERIALISED",
        "issue": {"code": "IRP-I01", "risk": {"code": risk["code"]}},
    }
    bad_id = await gql(
        risks_api,
        materialise,
        EDITOR,
        id="x",
        v=1,
        input={"issueCode": "I2", "severity": "HIGH", "priority": "URGENT"},
    )
    assert bad_id["errors"][0]["extensions"]["errors"][0]["field"] == "id"
    late = await gql(
        risks_api,
        """{ issuesPastDue(asOf: "2100-01-01") { code }
             newRisks(since: "2000-01-01") { code } escalatedRisks(since: "2000-01-01") { code }
             dependenciesAtRisk { code } overdueMitigations { id } }""",
    )
    assert late["data"] == {
        "issuesPastDue": [],  # no due date: never past it
        "newRisks": [{"code": risk["code"]}],
        "escalatedRisks": [],
        "dependenciesAtRisk": [],
        "overdueMitigations": [],
    }
    far = await gql(risks_api, "{ dependenciesAtRisk(horizonDays: 400) { code } }")
    assert far["errors"][0]["extensions"]["errors"][0]["field"] == "horizonDays"
    heat = await gql(risks_api, "{ heatMap(score: INHERENT) { cells { count } unscored } }")
    assert sum(c["count"] for c in heat["data"]["heatMap"]["cells"]) == 0  # materialised: not live
    page = await gql(risks_api, "{ issues(limit: 0) { items { code } } }")
    assert page["errors"][0]["extensions"]["errors"][0]["field"] == "limit"
    listed = await gql(
        risks_api,
        "{ issues(status: OPEN, limit: 1) { items { code } totalCount pageInfo { hasNextPage } } }",
    )
    assert listed["data"]["issues"] == {
        "items": [{"code": "IRP-I01"}],
        "totalCount": 1,
        "pageInfo": {"hasNextPage": False},
    }


async def test_new_risks_are_those_identified_in_the_window(risks_api: httpx.AsyncClient) -> None:
    """A risk recorded today but identified in March is March's news, not today's; one
    recorded today with no date given was identified today."""
    march = await make_risk(risks_api, "IRP-R01", identified_on="2025-03-10")
    await make_risk(risks_api, "IRP-R02")
    window = '{ newRisks(since: "2025-03-01", until: "2025-03-31") { code } }'
    assert (await gql(risks_api, window))["data"] == {"newRisks": [{"code": march["code"]}]}
    since = await gql(risks_api, '{ newRisks(since: "2025-03-01") { code } }')
    assert [r["code"] for r in since["data"]["newRisks"]] == ["IRP-R01", "IRP-R02"]
    rest = await risks_api.get(
        "/views/since", params={"since": "2025-03-01", "until": "2025-03-31"}, headers=VIEWER
    )
    assert rest.status_code == 200, rest.text
    assert [r["code"] for r in rest.json()["new"]] == ["IRP-R01"]
    backwards = await gql(
        risks_api, '{ newRisks(since: "2025-03-31", until: "2025-03-01") { code } }'
    )
    assert backwards["errors"][0]["extensions"]["errors"][0]["field"] == "until"
    refused = await risks_api.get(
        "/views/since", params={"since": "2025-03-31", "until": "2025-03-01"}, headers=VIEWER
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "until"
