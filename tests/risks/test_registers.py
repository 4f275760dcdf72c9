"""Assumptions, issues and dependencies; a risk materialising into an issue; the boards' views
and the pictures drawn from them."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx

from services.reporting.sections.common import in_council_words
from tests.conftest import EDITOR, VIEWER, live_programme
from tests.risks.factories import make_risk
from tests.support import changes
from tests.support.graphql import gql

ARTEFACTS = Path("/tmp/cpmo-risks-artefacts")


async def post(api: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await api.post(path, headers=EDITOR, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def dependency(code: str, **fields: Any) -> dict[str, Any]:
    return {"code": code, "title": f"Dependency {code}", "owner": "CPMO", **fields}


def render(svg: str, name: str) -> ET.Element:
    """Parse the SVG (it must be well-formed) and keep it, with a PNG when ImageMagick is here,
    for a person to look at."""
    root = ET.fromstring(svg)
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / f"{name}.svg").write_text(svg)
    if shutil.which("convert"):
        subprocess.run(
            ["convert", str(ARTEFACTS / f"{name}.svg"), str(ARTEFACTS / f"{name}.png")],
            check=False,
            capture_output=True,
        )
    return root


async def test_assumptions_and_issues_keep_register_fields(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    programme = live_programme(live_programmes, "IRP-01")["id"]
    assumption = await post(
        risks_api,
        "/assumptions",
        code="IRP-A01",
        title="Government support for capitalisation continues",
        owner="Director of Finance",
        programme_id=programme,
        basis="Exceptional Financial Support letter",
        validate_by="2025-03-31",
        if_false="Budget gap reopens",
    )
    assert assumption["status"] == "Unvalidated" and assumption["author"] == "test-editor"
    assert assumption["identified_on"] is not None
    valid = await risks_api.patch(
        f"/assumptions/{assumption['id']}",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"status": "Valid"},
    )
    assert valid.status_code == 200 and valid.headers["etag"] == '"2"'

    issue = await post(
        risks_api,
        "/issues",
        code="IRP-I01",
        title="Oracle month-end close late",
        owner="Director of Finance",
        severity="High",
        priority="Urgent",
        due_on="2024-08-31",
    )
    assert issue["status"] == "Open" and issue["risk_id"] is None
    listed = (await risks_api.get("/issues", headers=VIEWER, params={"status": "Open"})).json()
    assert [i["code"] for i in listed["items"]] == ["IRP-I01"] and listed["total"] == 1

    for path, body, field in [
        ("/issues", {**issue, "code": "X", "severity": "Dire"}, "severity"),
        (
            "/assumptions",
            {"code": "A", "title": "t", "owner": "o", "programme_id": 999_999},
            "programme_id",
        ),
        ("/issues", {**issue, "code": "IRP-I01"}, "code"),
        (
            "/assumptions",
            {"code": "A", "title": "t", "owner": "o", "programme_id": 0},
            "programme_id",
        ),
    ]:
        bad = await risks_api.post(path, headers=EDITOR, json=body)
        assert bad.status_code in (409, 422), bad.text
        assert bad.json()["errors"][0]["field"] == field
    emptied = await risks_api.patch(
        f"/issues/{issue['id']}", headers={**EDITOR, "If-Match": '"1"'}, json={"owner": None}
    )
    assert emptied.status_code == 422 and emptied.json()["errors"][0]["field"] == "owner"
    assert [(c["entity"], c["action"]) for c in await changes(risks_api)] == [
        ("assumption", "create"),
        ("assumption", "update"),
        ("raid_issue", "create"),
    ]


async def test_a_risk_materialises_into_an_issue_in_one_step(risks_api: httpx.AsyncClient) -> None:
    risk = await make_risk(risks_api)
    url = f"/risks/{risk['id']}/materialise"
    body = {"issue_code": "IRP-I09", "severity": "Critical", "priority": "Urgent"}
    blind = await risks_api.post(url, headers=EDITOR, json=body)
    assert blind.status_code == 428
    issue = await risks_api.post(url, headers={**EDITOR, "If-Match": '"1"'}, json=body)
    assert issue.status_code == 200, issue.text
    assert issue.json()["risk_id"] == risk["id"] and issue.json()["title"] == risk["title"]
    after = (await risks_api.get(f"/risks/{risk['id']}", headers=VIEWER)).json()
    assert after["status"] == "Materialised" and after["issue_id"] == issue.json()["id"]

    again = await risks_api.post(
        url, headers={**EDITOR, "If-Match": '"2"'}, json={**body, "issue_code": "IRP-I10"}
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "status"
    assert (await risks_api.get("/issues", headers=VIEWER)).json()["total"] == 1
    feed = [(c["entity"], c["action"]) for c in await changes(risks_api)]
    assert feed == [("risk", "create"), ("raid_issue", "create"), ("risk", "update")]

    # The issue code taken: nothing at all is written, the risk stays live.
    other = await make_risk(risks_api, "IRP-R02")
    taken = await risks_api.post(
        f"/risks/{other['id']}/materialise", headers={**EDITOR, "If-Match": '"1"'}, json=body
    )
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "issue_code"
    assert (await risks_api.get(f"/risks/{other['id']}", headers=VIEWER)).json()["status"] == "Open"


async def test_dependencies_refuse_self_and_flag_cycles(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    a = live_programme(live_programmes, "IRP-05")["id"]
    b = live_programme(live_programmes, "IRP-06")["id"]
    c = live_programme(live_programmes, "IRP-07")["id"]
    itself = await risks_api.post(
        "/dependencies",
        headers=EDITOR,
        json=dependency("D0", from_programme_id=a, to_programme_id=a),
    )
    assert itself.status_code == 422 and itself.json()["errors"][0]["field"] == "to_programme_id"
    nowhere = await risks_api.post("/dependencies", headers=EDITOR, json=dependency("D0"))
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "to_programme_id"
    unknown = await risks_api.post(
        "/dependencies",
        headers=EDITOR,
        json=dependency("D0", from_programme_id=999_999, to_programme_id=a),
    )
    assert (
        unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "from_programme_id"
    )

    first = await post(
        risks_api, "/dependencies", **dependency("D1", from_programme_id=a, to_programme_id=b)
    )
    assert first["cycle"] is None
    await post(
        risks_api, "/dependencies", **dependency("D2", from_programme_id=b, to_programme_id=c)
    )
    closing = await post(
        risks_api,
        "/dependencies",
        **dependency(
            "D3",
            from_programme_id=c,
            to_programme_id=a,
            needed_by="2024-09-01",
            identified_on="2024-06-03",  # known by the day it is judged late, below
        ),
    )
    assert closing["cycle"] == ["D1", "D2", "D3"]  # allowed, but the board sees it
    await post(
        risks_api,
        "/dependencies",
        **dependency(
            "D4",
            to_external="Government (MHCLG)",
            status="At risk",
            identified_on="2024-06-03",
        ),
    )

    graph = (await risks_api.get("/views/dependency-map", headers=VIEWER)).json()
    assert graph["cycles"] == [["D1", "D2", "D3"]]
    assert {e["code"]: e["in_cycle"] for e in graph["edges"]} == {
        "D1": True,
        "D2": True,
        "D3": True,
        "D4": False,
    }
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    assert labels[f"programme:{a}"].startswith("IRP-05")
    assert labels["other:Government (MHCLG)"] == "Government (MHCLG)"
    # The graph answers the same map with enums; the pack reads them back as REST's words.
    body = await gql(risks_api, "{ dependencyMap { nodes { id kind } edges { code status } } }")
    served = body["data"]["dependencyMap"]
    assert {e["code"]: e["status"] for e in served["edges"]}["D4"] == "AT_RISK"
    assert {n["id"]: n["kind"] for n in served["nodes"]}[f"programme:{a}"] == "PROGRAMME"
    assert in_council_words(body["data"])["dependencyMap"] == {
        "nodes": [{"id": n["id"], "kind": n["kind"]} for n in graph["nodes"]],
        "edges": [{"code": e["code"], "status": e["status"]} for e in graph["edges"]],
    }

    late = (
        await risks_api.get("/views/late", headers=VIEWER, params={"as_of": "2024-08-20"})
    ).json()
    assert [d["code"] for d in late["dependencies_at_risk"]] == ["D3", "D4"]

    picture = await risks_api.get("/views/dependency-map.svg", headers=VIEWER)
    assert picture.headers["content-type"].startswith("image/svg+xml")
    root = render(picture.text, "dependency-map")
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "D1" in text and "Government (MHCLG)" in text and "cycle" in text


async def test_heat_map_top_risks_and_whats_new(risks_api: httpx.AsyncClient) -> None:
    await make_risk(risks_api, "IRP-R01", target_likelihood=2, target_impact=2)  # 4x5 / 3x4
    await make_risk(risks_api, "IRP-R02", residual_likelihood=4, residual_impact=4)
    await make_risk(risks_api, "IRP-R03", status="Closed")

    heat = (await risks_api.get("/views/heat-map", headers=VIEWER)).json()
    assert len(heat["cells"]) == 25 and heat["matrix_version"] == 1
    filled = {(c["likelihood"], c["impact"]): c["codes"] for c in heat["cells"] if c["count"]}
    assert filled == {(3, 4): ["IRP-R01"], (4, 4): ["IRP-R02"]}
    cell = next(c for c in heat["cells"] if (c["likelihood"], c["impact"]) == (4, 4))
    assert (cell["band"], cell["score"]) == ("Very high", 16)
    inherent = (
        await risks_api.get("/views/heat-map", headers=VIEWER, params={"score": "inherent"})
    ).json()
    assert {
        (c["likelihood"], c["impact"]): c["count"] for c in inherent["cells"] if c["count"]
    } == {(4, 5): 2}
    target = (
        await risks_api.get("/views/heat-map", headers=VIEWER, params={"score": "target"})
    ).json()
    assert target["unscored"] == 1
    bad = await risks_api.get("/views/heat-map", headers=VIEWER, params={"score": "worst"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "score"

    top = (await risks_api.get("/views/top-risks?limit=1", headers=VIEWER)).json()
    assert [r["code"] for r in top] == ["IRP-R02"]
    since = (await risks_api.get("/views/since?since=2000-01-01", headers=VIEWER)).json()
    assert [r["code"] for r in since["new"]] == ["IRP-R01", "IRP-R02", "IRP-R03"]
    assert since["escalated"] == []
    assert (await risks_api.get("/views/since", headers=VIEWER)).status_code == 422

    picture = await risks_api.get("/views/heat-map.svg", headers=VIEWER)
    root = render(picture.text, "heat-map")
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any("IRP-R02" in t and "= 16" in t for t in titles)
    assert sum(1 for _ in root.iter("{http://www.w3.org/2000/svg}rect")) >= 75


async def test_items_link_to_each_other_from_either_end(risks_api: httpx.AsyncClient) -> None:
    risk = await make_risk(risks_api)
    assumption = await post(
        risks_api, "/assumptions", code="IRP-A01", title="EFS continues", owner="S151"
    )
    body = {"from_kind": "risk", "from_id": risk["id"], "to_kind": "assumption"}
    linked = await risks_api.post(
        "/raid/links", headers=EDITOR, json={**body, "to_id": assumption["id"], "note": "rests on"}
    )
    assert linked.status_code == 201, linked.text
    for extra, status, field in [
        ({"to_id": assumption["id"]}, 409, "to_id"),
        ({"to_id": 999}, 422, "to_id"),
        ({"to_kind": "risk", "to_id": risk["id"]}, 422, "to_id"),
        ({"to_kind": "rumour", "to_id": 1}, 422, "to_kind"),
    ]:
        bad = await risks_api.post("/raid/links", headers=EDITOR, json={**body, **extra})
        assert bad.status_code == status, (extra, bad.text)
        assert bad.json()["errors"][0]["field"] == field
    reverse = await risks_api.post(
        "/raid/links",
        headers=EDITOR,
        json={
            "from_kind": "assumption",
            "from_id": assumption["id"],
            "to_kind": "risk",
            "to_id": risk["id"],
        },
    )
    assert reverse.status_code == 409
    from_assumption = await risks_api.get(
        f"/raid/assumption/{assumption['id']}/links", headers=VIEWER
    )
    assert [(x["from_kind"], x["note"]) for x in from_assumption.json()] == [("risk", "rests on")]
    from_risk = await risks_api.get(f"/raid/risk/{risk['id']}/links", headers=VIEWER)
    assert len(from_risk.json()) == 1
    assert (await risks_api.get("/raid/issue/1/links", headers=VIEWER)).status_code == 404


async def test_a_months_dependency_map_and_at_risk_list_hold_what_was_known_by_then(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    """March's map and list: a dependency identified in May is not in them."""
    a = live_programme(live_programmes, "IRP-05")["id"]
    b = live_programme(live_programmes, "IRP-06")["id"]
    for code, identified in (("D-MAR", "2025-03-03"), ("D-MAY", "2025-05-02")):
        await post(
            risks_api,
            "/dependencies",
            **dependency(
                code,
                from_programme_id=a,
                to_programme_id=b,
                identified_on=identified,
                needed_by="2025-04-10",
            ),
        )
    query = """{ dependencyMap(asOf: "2025-03-31") { edges { code } }
      dependenciesAtRisk(asOf: "2025-03-31", horizonDays: 30) { code }
      all: dependencyMap { edges { code } } }"""
    found = (await risks_api.post("/graphql", headers=VIEWER, json={"query": query})).json()
    assert found["data"] == {
        "dependencyMap": {"edges": [{"code": "D-MAR"}]},
        "dependenciesAtRisk": [{"code": "D-MAR"}],
        "all": {"edges": [{"code": "D-MAR"}, {"code": "D-MAY"}]},
    }, found
    rest = await risks_api.get(
        "/views/dependency-map", headers=VIEWER, params={"as_of": "2025-03-31"}
    )
    assert [e["code"] for e in rest.json()["edges"]] == ["D-MAR"]


async def test_a_months_register_and_heat_map_hold_the_risks_identified_by_then(
    risks_api: httpx.AsyncClient,
) -> None:
    """A pack for March composed in June: a risk identified in May is not in March's register
    or heat map."""
    await make_risk(risks_api, "IRP-R01", identified_on="2025-03-03")
    await make_risk(risks_api, "IRP-R02", identified_on="2025-05-02")
    query = """{ risks(identifiedBy: "2025-03-31") { items { code } }
      heatMap(identifiedBy: "2025-03-31") { cells { codes } }
      all: heatMap { cells { codes } } }"""
    found = (await risks_api.post("/graphql", headers=VIEWER, json={"query": query})).json()
    assert found["data"]["risks"]["items"] == [{"code": "IRP-R01"}], found
    march = [c for cell in found["data"]["heatMap"]["cells"] for c in cell["codes"]]
    every = [c for cell in found["data"]["all"]["cells"] for c in cell["codes"]]
    assert (march, sorted(every)) == (["IRP-R01"], ["IRP-R01", "IRP-R02"])
