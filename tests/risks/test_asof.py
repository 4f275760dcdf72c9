"""As-of reads on the risks service (services/common/asof.py), over HTTP, on PostgreSQL: the RAID
registers, assessments and mitigations read at a cut say what they said then."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from services.common import clock
from tests.conftest import EDITOR, VIEWER
from tests.programmes.test_asof import cut
from tests.risks.factories import make_risk
from tests.risks.test_registers import post
from tests.support import changes
from tests.support.asof import assert_rest_reads_take_the_cuts_header
from tests.support.graphql import gql


async def reassess(api: httpx.AsyncClient, risk: dict[str, object], likelihood: int) -> None:
    current = (await api.get(f"/risks/{risk['id']}", headers=VIEWER)).json()
    response = await api.post(
        f"/risks/{risk['id']}/assessments",
        headers={**EDITOR, "If-Match": f'"{current["version"]}"'},
        json={"residual_likelihood": likelihood, "residual_impact": 2, "reason": "reviewed"},
    )
    assert response.status_code == 200, response.text


async def test_a_read_as_of_a_cut_says_what_a_live_read_said_then(
    either_api: httpx.AsyncClient,
) -> None:
    api = either_api
    risk = await make_risk(api, residual_likelihood=3, residual_impact=2)
    await post(
        api,
        f"/risks/{risk['id']}/mitigations",
        description="Monthly savings tracker at TIB",
        owner="Director of Finance",
        due_on=str(date.today() + timedelta(days=90)),
    )
    await post(api, "/assumptions", code="IRP-A01", title="Support continues", owner="CPMO")
    then = await cut(api)
    paths = (
        f"/risks/{risk['id']}",
        "/risks",
        f"/risks/{risk['id']}/assessments",
        f"/risks/{risk['id']}/mitigations",
        "/assumptions",
        "/matrices",
    )
    live_then = {path: (await api.get(path, headers=VIEWER)).content for path in paths}

    await reassess(api, risk, likelihood=2)
    await post(
        api,
        f"/risks/{risk['id']}/mitigations",
        description="Added later",
        owner="CPMO",
        due_on=str(date.today() + timedelta(days=180)),
    )
    await post(api, "/assumptions", code="IRP-A02", title="Added later", owner="CPMO")
    await make_risk(api, code="IRP-R02")
    assert (await cut(api))["position"] > then["position"]

    for path, body in live_then.items():
        past = await api.get(path, headers=VIEWER, params={"cut": str(then["position"])})
        assert past.status_code == 200, past.text
        assert past.content == body, path
        assert past.headers["cpmo-cut"] == str(then["position"])
        now = await api.get(path, headers=VIEWER)
        if path != "/matrices":
            assert now.content != body, f"{path} did not change, so the test proves nothing"


async def test_bad_cuts_are_refused_naming_the_field(risks_api: httpx.AsyncClient) -> None:
    now = await cut(risks_api)
    for bad in (str(now["position"] + 1), "yesterday", "2026-01-01T00:00:00", "-1", "9" * 30):
        response = await risks_api.get("/risks", headers=VIEWER, params={"cut": bad})
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["field"] == "cut", response.text


async def test_graphql_reads_the_raid_log_at_a_cut(risks_api: httpx.AsyncClient) -> None:
    api = risks_api
    risk = await make_risk(api, residual_likelihood=3, residual_impact=2)
    then = str((await cut(api))["position"])
    await reassess(api, risk, likelihood=1)
    await make_risk(api, code="IRP-R02")

    query = """query($cut: String) {
        risks(cut: $cut) { items { code residualScore assessments { residualScore } } }
    }"""
    past = await api.post(
        "/graphql", headers=VIEWER, json={"query": query, "variables": {"cut": then}}
    )
    body = past.json()
    assert "errors" not in body, body
    assert past.headers["cpmo-cut"] == then
    assert [r["code"] for r in body["data"]["risks"]["items"]] == [risk["code"]]
    assert body["data"]["risks"]["items"][0]["residualScore"] == 6
    live = (await api.post("/graphql", headers=VIEWER, json={"query": query})).json()
    now = live["data"]["risks"]["items"]
    assert sorted(r["code"] for r in now) == [risk["code"], "IRP-R02"]
    assert next(r for r in now if r["code"] == risk["code"])["residualScore"] == 2

    bad = await api.post(
        "/graphql", headers=VIEWER, json={"query": '{ risks(cut: "soon") { items { code } } }'}
    )
    assert bad.json()["errors"][0]["extensions"]["errors"][0]["field"] == "cut"

    risks_cut = await api.post(
        "/graphql", headers=VIEWER, json={"query": "{ risksCut { position origin } }"}
    )
    rest = await cut(api)
    assert risks_cut.json()["data"]["risksCut"] == {
        "position": str(rest["position"]),
        "origin": str(rest["origin"]),
    }


async def test_overdue_checks_at_a_cut_judge_by_the_cuts_day(
    risks_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = risks_api
    today = clock.today()
    risk = await make_risk(api, review_on=str(today + timedelta(days=10)))
    await post(
        api,
        f"/risks/{risk['id']}/mitigations",
        description="Monthly savings tracker at TIB",
        owner="Director of Finance",
        due_on=str(today + timedelta(days=5)),
    )
    await post(
        api,
        "/issues",
        code="IRP-I01",
        title="Finance system upgrade late",
        owner="CPMO",
        severity="High",
        priority="High",
        due_on=str(today + timedelta(days=5)),
    )
    then = {"cut": str((await cut(api))["position"])}
    # A month on: everything above is past due now, and was not at the cut.
    monkeypatch.setattr(clock, "today", lambda: today + timedelta(days=30))

    views = ("/mitigations/overdue", "/reviews/overdue")
    for path in views:
        live = await api.get(path, headers=VIEWER)
        assert len(live.json()) == 1, (path, live.text)
        past = await api.get(path, headers=VIEWER, params=then)
        assert past.status_code == 200 and past.json() == [], (path, past.text)
        # an explicit day still wins over the cut's
        asked = await api.get(
            path, headers=VIEWER, params={**then, "as_of": str(today + timedelta(days=30))}
        )
        assert len(asked.json()) == 1, (path, asked.text)

    late = await api.get("/views/late", headers=VIEWER)
    assert [i["code"] for i in late.json()["issues_past_due"]] == ["IRP-I01"], late.text
    late_then = (await api.get("/views/late", headers=VIEWER, params=then)).json()
    assert late_then["issues_past_due"] == [] and late_then["as_of"] == str(today)

    query = """query($cut: String) {
      issuesPastDue(cut: $cut) { code } overdueMitigations(cut: $cut) { description }
    }"""
    now = await gql(api, query)
    assert now["data"] == {
        "issuesPastDue": [{"code": "IRP-I01"}],
        "overdueMitigations": [{"description": "Monthly savings tracker at TIB"}],
    }
    at_cut = await gql(api, query, cut=then["cut"])
    assert at_cut["data"] == {"issuesPastDue": [], "overdueMitigations": []}, at_cut


async def test_the_matrix_is_seeded_so_reading_it_never_writes(
    risks_api: httpx.AsyncClient,
) -> None:
    api = risks_api
    start = await cut(api)
    assert start["position"] == start["origin"]  # nothing has happened yet
    at_start = {"cut": str(start["position"])}
    # At a cut (read-only) before anything was written, the seeded matrix is there to read.
    matrix = await api.get("/matrices/current", headers=VIEWER, params=at_start)
    assert matrix.status_code == 200, matrix.text
    assert (matrix.json()["code"], matrix.json()["version"]) == ("council-5x5", 1)
    heat = await api.get("/views/heat-map", headers=VIEWER, params=at_start)
    assert heat.status_code == 200 and heat.json()["matrix_version"] == 1, heat.text
    query = """query($cut: String) {
      currentMatrix(cut: $cut) { version escalationScore } heatMap(cut: $cut) { matrixVersion }
    }"""
    for at in (None, at_start["cut"]):
        body = await gql(api, query, cut=at)
        assert body.get("errors") is None, body
        assert body["data"] == {
            "currentMatrix": {"version": 1, "escalationScore": 16},
            "heatMap": {"matrixVersion": 1},
        }
    # Live reads wrote nothing either: no change in the feed, the cut has not moved.
    assert (await api.get("/matrices/current", headers=VIEWER)).status_code == 200
    assert await changes(api) == []
    assert (await cut(api))["position"] == start["position"]


async def test_rest_reads_take_the_cuts_header(risks_api: httpx.AsyncClient) -> None:
    risk = await make_risk(risks_api, residual_likelihood=3, residual_impact=2)

    async def change() -> None:
        await reassess(risks_api, risk, likelihood=1)

    await assert_rest_reads_take_the_cuts_header(risks_api, "risks", f"/risks/{risk['id']}", change)
