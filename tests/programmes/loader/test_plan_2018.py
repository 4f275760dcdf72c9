"""The 2018 governance plan beside the 2015 and 2024 plans: extracted from its seed text, loaded
with its own RAG scale, its hierarchy walkable through REST and GraphQL."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.programmes.seed_data import extract_2018
from services.stack import ROOT
from tests.conftest import ADMIN, EDITOR, RAG_SCALE, VIEWER
from tests.programmes.loader.test_loader import load
from tests.support import changes

SEEDS = ROOT / "services/programmes/seed_data"
PLAN_2018 = json.loads((SEEDS / "gov_2018.json").read_text())
PLAN_2015 = json.loads((SEEDS / "ap_2015.json").read_text())
PLAN_2024 = json.loads((SEEDS / "irp_2024.json").read_text())


def test_the_extractor_is_re_runnable_byte_for_byte(tmp_path: Path) -> None:
    if not extract_2018.seeds_folders(SEEDS):
        pytest.skip("the council's seed texts are not beside this checkout; set CPMO_SEEDS")
    done = subprocess.run(
        [sys.executable, str(SEEDS / "extract_2018.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "7 items" in done.stdout
    assert (tmp_path / "gov_2018.json").read_bytes() == (SEEDS / "gov_2018.json").read_bytes()


def test_the_extraction_keeps_what_the_text_says_and_reports_the_rest() -> None:
    actions = {a["number"]: a for p in PLAN_2018["programmes"] for a in p["actions"]}
    assert set(actions) == {"1.line50", "1.line56", "1.10", "2.1", "6.1", "6.5", "7.3"}
    comms = actions["7.3"]
    assert comms["improvement_aim"] == "Effective Communications and Marketing"
    assert comms["timescale"] == "August 2018"
    assert comms["responsible"] == "Assistant Director Communications; Chief Operating Officer"
    assert comms["current_status"].startswith("Communications functions in process")
    assert comms["required_action"].startswith("Finalise Communications and Marketing strategy")
    assert actions["2.1"]["improvement_aim"] == "Tackling defensiveness"
    # Rows whose number fell off the page are placed by the line-keyed fixes, and say so.
    assert actions["1.line56"]["alignment"] == "manual"
    assert actions["1.line56"]["measures"] == "Reduced paper arrangements in place (September 2018)"
    # No item's RAG survives in the text: reported, not guessed.
    assert all(a["rag"] is None for a in actions.values())
    reasons = [u["reason"] for u in PLAN_2018["unparsed"]]
    assert any(r.startswith("item 7.3: no RAG status") for r in reasons)
    assert any(r.startswith("theme 5: no page of it") for r in reasons)
    themes = {a["code"]: a for a in PLAN_2018["aims"]}
    assert set(themes) == {"T1", "T2", "T3", "T4", "T6", "T7"}
    assert themes["T4"]["outcomes"] == [
        "Effective corporate and financial framework to ensure strategic focus, transparency "
        "and governance."
    ]
    scale = PLAN_2018["portfolio"]["rag_scale"]
    assert [(g["code"], g["meaning"], g["common"]) for g in scale] == [
        ("Green", "complete / evaluated", "Green"),
        ("Amber", "on track", "Green"),
        ("Red", "off track", "Red"),
    ]


async def test_three_plans_load_side_by_side_each_with_its_rag(
    programmes_api: httpx.AsyncClient,
) -> None:
    await load(programmes_api, "/imports/plan", PLAN_2024)
    await load(programmes_api, "/imports/plan", PLAN_2015)
    report = await load(programmes_api, "/imports/plan", PLAN_2018)
    assert report["created"]["programmes"] == 6
    assert report["created"]["actions"] == 7
    assert report["created"]["outcome links"] == 5
    assert any(u["reason"].startswith("theme 5") for u in report["unparsed"])
    portfolios = {
        p["code"]: p for p in (await programmes_api.get("/portfolios", headers=VIEWER)).json()
    }
    assert set(portfolios) == {"IRP-2024", "OIAP-2015", "CGIP-2018"}
    amber = {p: [g for g in portfolios[p]["rag_scale"] if g["code"] == "Amber"] for p in portfolios}
    # The same word, three meanings: each plan's definition travels with it.
    assert amber["CGIP-2018"][0]["meaning"] == "on track"
    assert amber["CGIP-2018"][0]["common"] == "Green"
    assert amber["IRP-2024"][0]["dca"] == "Amber" and amber["IRP-2024"][0]["common"] == "Amber"
    assert amber["OIAP-2015"] == []
    again = await load(programmes_api, "/imports/plan", PLAN_2018)
    assert again["created"] == {}


async def test_a_plan_without_a_rag_scale_or_with_a_rag_off_its_scale_is_refused(
    programmes_api: httpx.AsyncClient,
) -> None:
    before = await changes(programmes_api)
    bare = copy.deepcopy(PLAN_2018)
    del bare["portfolio"]["rag_scale"]
    response = await programmes_api.post("/imports/plan", headers=ADMIN, json=bare)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "portfolio.rag_scale" in response.text

    off_scale = copy.deepcopy(PLAN_2018)
    off_scale["programmes"][6 - 1]["actions"][0]["rag"] = "Amber/Green"
    response = await programmes_api.post("/imports/plan", headers=ADMIN, json=off_scale)
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["programmes[5].actions[0].rag"]
    assert "Green, Amber, Red" in response.text
    assert await changes(programmes_api) == before
    assert (await programmes_api.get("/portfolios", headers=VIEWER)).json() == []

    rated = copy.deepcopy(PLAN_2018)
    rated["programmes"][5]["actions"][0]["rag"] = "amber"
    await load(programmes_api, "/imports/plan", rated)
    comms = (await programmes_api.get("/programmes/by-code/CGIP-7", headers=VIEWER)).json()
    listed = await programmes_api.get(
        "/actions", headers=VIEWER, params={"programme_id": comms["id"], "limit": 5}
    )
    items = [a for a in listed.json()["items"] if a["number"] == "7.3"]
    # The plan's Amber means on track: that is the status the item carries.
    assert items and items[0]["status"] == "On track"


async def test_a_portfolio_without_a_rag_scale_is_refused(
    programmes_api: httpx.AsyncClient,
) -> None:
    for body, field in [
        ({"code": "X", "name": "X"}, "rag_scale"),
        ({"code": "X", "name": "X", "rag_scale": []}, "rag_scale"),
        (
            {"code": "X", "name": "X", "rag_scale": [{**RAG_SCALE[0], "colour": "green"}]},
            "rag_scale.0.colour",
        ),
        (
            {"code": "X", "name": "X", "rag_scale": [{**RAG_SCALE[0], "common": "Purple"}]},
            "rag_scale.0.common",
        ),
        ({"code": "X", "name": "X", "rag_scale": [RAG_SCALE[0], RAG_SCALE[0]]}, "rag_scale"),
    ]:
        response = await programmes_api.post("/portfolios", headers=EDITOR, json=body)
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert len(await changes(programmes_api)) == 0


async def test_outcomes_are_records_that_programmes_serve(
    programmes_api: httpx.AsyncClient,
) -> None:
    await load(programmes_api, "/imports/plan", PLAN_2015)
    await load(programmes_api, "/imports/plan", PLAN_2024)
    ap1 = (await programmes_api.get("/programmes/by-code/AP-1", headers=VIEWER)).json()
    outcomes = (
        await programmes_api.get("/outcomes", headers=VIEWER, params={"aim_id": ap1["aim_id"]})
    ).json()
    assert [o["text"] for o in outcomes] == PLAN_2015["aims"][0]["outcomes"]
    assert all(o["programme_ids"] == [ap1["id"]] for o in outcomes)

    irp = (await programmes_api.get("/programmes/by-code/IRP-01", headers=VIEWER)).json()
    aim_1 = (
        await programmes_api.get("/outcomes", headers=VIEWER, params={"aim_id": irp["aim_id"]})
    ).json()
    # The 2024 plan places programmes against their aim's outcomes as a whole.
    assert all(irp["id"] in o["programme_ids"] for o in aim_1)
    path = f"/programmes/{irp['id']}/outcomes"
    # Another plan's outcome, a missing one, a stale version: refused, naming what is wrong.
    wrong = await programmes_api.put(
        path,
        headers={**EDITOR, "If-Match": f'"{irp["version"]}"'},
        json={"outcome_ids": [aim_1[0]["id"], outcomes[0]["id"]]},
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "outcome_ids[1]"
    missing = await programmes_api.put(
        path,
        headers={**EDITOR, "If-Match": f'"{irp["version"]}"'},
        json={"outcome_ids": [2**31 - 1]},
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "outcome_ids[0]"
    served = await programmes_api.put(
        path,
        headers={**EDITOR, "If-Match": f'"{irp["version"]}"'},
        json={"outcome_ids": [aim_1[0]["id"], aim_1[3]["id"]]},
    )
    assert served.status_code == 200, served.text
    stale = await programmes_api.put(
        path,
        headers={**EDITOR, "If-Match": f'"{irp["version"]}"'},
        json={"outcome_ids": [aim_1[1]["id"]]},
    )
    assert stale.status_code == 412
    after = (
        await programmes_api.get("/outcomes", headers=VIEWER, params={"aim_id": irp["aim_id"]})
    ).json()
    assert [irp["id"] in o["programme_ids"] for o in after][:4] == [True, False, False, True]
    feed = (await programmes_api.get("/changes", headers=VIEWER, params={"limit": 1000})).json()
    audited = [
        c
        for c in feed["changes"]
        if c.get("entity") == "programme" and c.get("entity_id") in (irp["id"], str(irp["id"]))
    ]
    assert audited, "serving outcomes is audited on the programme"


QUERY = """
{
  portfolios {
    items {
      code
      ragScale { code meaning common dca }
      aims {
        code
        outcomes { id text programmes { code } }
        programmes { code outcomes { text } portfolio { code ragScale { code } } }
      }
    }
  }
}
"""


async def test_graphql_walks_the_whole_plan(programmes_api: httpx.AsyncClient) -> None:
    for plan in (PLAN_2024, PLAN_2015, PLAN_2018):
        await load(programmes_api, "/imports/plan", plan)
    response = await programmes_api.post("/graphql", headers=VIEWER, json={"query": QUERY})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    plans = {p["code"]: p for p in body["data"]["portfolios"]["items"]}
    gov = plans["CGIP-2018"]
    assert [g["code"] for g in gov["ragScale"]] == ["Green", "Amber", "Red"]
    t7 = next(a for a in gov["aims"] if a["code"] == "T7")
    assert t7["outcomes"] == [] and [p["code"] for p in t7["programmes"]] == ["CGIP-7"]
    t4 = next(a for a in gov["aims"] if a["code"] == "T4")
    assert t4["outcomes"][0]["programmes"] == [{"code": "CGIP-4"}]
    programme = t4["programmes"][0]
    assert programme["outcomes"] == [{"text": t4["outcomes"][0]["text"]}]
    assert programme["portfolio"]["code"] == "CGIP-2018"
    ap1 = next(a for a in plans["OIAP-2015"]["aims"] if a["code"] == "AP1")
    assert len(ap1["outcomes"]) == 4
    assert [g["dca"] for g in plans["IRP-2024"]["ragScale"]] == [
        "GREEN",
        "AMBER_GREEN",
        "AMBER",
        "AMBER_RED",
        "RED",
    ]

    one = await programmes_api.post(
        "/graphql",
        headers=VIEWER,
        json={
            "query": "query($id: ID!) { outcome(id: $id) { text aim { code } } }",
            "variables": {"id": t4["outcomes"][0]["id"]},
        },
    )
    assert one.json()["data"]["outcome"]["aim"]["code"] == "T4"
    for bad in ("abc", "-1", "99999999999"):
        refused = await programmes_api.post(
            "/graphql",
            headers=VIEWER,
            json={
                "query": "query($id: ID!) { outcome(id: $id) { text } }",
                "variables": {"id": bad},
            },
        )
        error = refused.json()["errors"][0]["extensions"]
        assert error["status"] == 422 and error["errors"][0]["field"] == "id"


async def test_a_portfolio_loaded_before_scales_gets_its_plans_own(
    programmes_api: httpx.AsyncClient,
) -> None:
    # As the migration left a portfolio that had no scale: the common one, saying so.
    marker = "(common scale: the plan defined none)"
    default = [{**g, "meaning": f"{g['meaning']} {marker}"} for g in RAG_SCALE]
    for code, scale in (("CGIP-2018", default), ("IRP-2024", RAG_SCALE)):
        created = await programmes_api.post(
            "/portfolios",
            headers=ADMIN,
            json={"code": code, "name": code, "financial_year_start": 2018, "rag_scale": scale},
        )
        assert created.status_code == 201, created.text
    report = await load(programmes_api, "/imports/plan", PLAN_2018)
    assert report["created"]["RAG scales"] == 1
    portfolios = {
        p["code"]: p for p in (await programmes_api.get("/portfolios", headers=VIEWER)).json()
    }
    assert [g["meaning"] for g in portfolios["CGIP-2018"]["rag_scale"]] == [
        "complete / evaluated",
        "on track",
        "off track",
    ]
    # A scale someone chose is kept, and the difference reported.
    kept = await load(programmes_api, "/imports/plan", PLAN_2024)
    assert "RAG scales" not in kept["created"]
    assert any(u["where"] == "IRP-2024 RAG scale" for u in kept["unparsed"])
    again = await load(programmes_api, "/imports/plan", PLAN_2018)
    assert "RAG scales" not in again["created"]
    assert not any(u["where"].endswith("RAG scale") for u in again["unparsed"])


async def test_a_timescale_is_read_in_its_plans_terms(programmes_api: httpx.AsyncClient) -> None:
    await load(programmes_api, "/imports/plan", PLAN_2024)

    async def read(**params: str) -> httpx.Response:
        return await programmes_api.get("/timescales/read", headers=VIEWER, params=params)

    years = (await read(text="Year 2 & 3", as_of="2025-01-01", portfolio="IRP-2024")).json()
    assert (years["start"], years["end"], years["precision"]) == (
        "2025-04-01",
        "2027-03-31",
        "year",
    )
    # Counted from the plan's start (1 April 2024) unless told when it began.
    weekly = (await read(text="Every 6 weeks", as_of="2024-05-14", portfolio="IRP-2024")).json()
    assert (weekly["every"], weekly["unit"], weekly["since"], weekly["next_due"]) == (
        6,
        "week",
        "2024-04-01",
        "2024-06-24",
    )
    begun = (await read(text="6 monthly", as_of="2025-01-10", since="2024-09-01")).json()
    assert begun["next_due"] == "2025-03-01"
    unknown = (await read(text="TBC", as_of="2025-01-01")).json()
    assert unknown["precision"] == "unknown" and unknown["reason"]

    for params, field in [
        ({"text": "every 3 blorps", "as_of": "2025-01-01"}, "text"),
        ({"text": "every 0 weeks", "as_of": "2025-01-01", "since": "2024-01-01"}, "text"),
        ({"text": "0 monthly", "as_of": "2025-01-01", "since": "2024-01-01"}, "text"),
        ({"text": "every 99 years", "as_of": "9999-12-30", "since": "2024-01-01"}, "as_of"),
        ({"text": "Monthly", "as_of": "2025-01-01", "since": "0001-01-01"}, "since"),
        ({"text": "Monthly", "as_of": "2025-01-01"}, "since"),
        ({"text": "May\x002024", "as_of": "2025-01-01"}, "text"),
        ({"text": "x" * 201, "as_of": "2025-01-01"}, "text"),
        ({"text": "Monthly", "as_of": "2025-02-30", "since": "2024-01-01"}, "as_of"),
    ]:
        refused = await read(**params)
        assert refused.status_code == 422, (params, refused.text)
        assert field in [e["field"] for e in refused.json()["errors"]], refused.text
    missing = await read(text="Year 2", as_of="2025-01-01", portfolio="NOPE")
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "portfolio"


REPORT_2015 = json.loads((SEEDS / "ap_2015_highlight_2015-04.json").read_text())


async def test_the_three_plans_compare_on_one_common_scale(
    programmes_api: httpx.AsyncClient,
) -> None:
    rated = copy.deepcopy(PLAN_2018)
    comms = next(p for p in rated["programmes"] if p["code"] == "CGIP-7")
    comms["actions"][0]["rag"] = "Amber"  # demo: the text carries no RAG for 7.3
    for document in (PLAN_2024, PLAN_2015, rated):
        await load(programmes_api, "/imports/plan", document)
    await load(programmes_api, "/imports/highlight-reports", REPORT_2015)
    irp = (await programmes_api.get("/programmes/by-code/IRP-01", headers=VIEWER)).json()
    dca = await programmes_api.post(
        f"/programmes/{irp['id']}/dca",
        headers=EDITOR,
        json={"dca": "Amber/Red", "reason": "demo: savings at risk", "assessed_on": "2024-07-01"},
    )
    assert dca.status_code == 201, dca.text

    response = await programmes_api.get("/portfolios/comparison", headers=VIEWER)
    assert response.status_code == 200, response.text
    plans = {p["portfolio"]: p for p in response.json()["plans"]}
    assert set(plans) == {"IRP-2024", "OIAP-2015", "CGIP-2018"}

    def item(plan: str, code: str) -> dict:
        return next(i for i in plans[plan]["items"] if i["code"] == code)

    # The 2018 plan's Amber is "on track": Green on the common scale, and it says so.
    action = item("CGIP-2018", "CGIP-7 7.3")
    assert (action["rated"], action["common"]) == ("Amber", "Green")
    assert "on track" in action["mapped"] and "CGIP-2018" in action["mapped"]
    assert item("CGIP-2018", "CGIP-2 2.1")["common"] is None
    # The 2024 plan's Amber/Red DCA is Red for the board.
    assert (item("IRP-2024", "IRP-01")["rated"], item("IRP-2024", "IRP-01")["common"]) == (
        "Amber/Red",
        "Red",
    )
    # The 2015 report's confidence, read through that plan's scale.
    report_confidences = {
        r["programme_code"]: {i["confidence"] for i in r["items"] if i["confidence"]}
        for r in REPORT_2015["reports"]
    }
    rated_2015 = [i for i in plans["OIAP-2015"]["items"] if i["rated"]]
    assert rated_2015 and all("confidence" in i["rated_from"] for i in rated_2015)
    assert {i["code"] for i in rated_2015} <= set(report_confidences)
    for plan in plans.values():
        assert sum(plan["counts"].values()) == len(plan["items"])
    assert plans["CGIP-2018"]["counts"]["Green"] == 1

    only = await programmes_api.get(
        "/portfolios/comparison", headers=VIEWER, params={"portfolio": "CGIP-2018"}
    )
    assert [p["portfolio"] for p in only.json()["plans"]] == ["CGIP-2018"]
    graph = await programmes_api.post(
        "/graphql",
        headers=VIEWER,
        json={
            "query": '{ planComparison(portfolioCodes: ["CGIP-2018"]) { portfolioCode '
            "counts { grade items } items { code rated common mapped } } }"
        },
    )
    body = graph.json()
    assert "errors" not in body, body
    [gov] = body["data"]["planComparison"]
    assert {"code": "CGIP-7 7.3", "rated": "Amber", "common": "GREEN"} == {
        k: v
        for k, v in next(i for i in gov["items"] if i["code"] == "CGIP-7 7.3").items()
        if k != "mapped"
    }


SERVE = """mutation($id: ID!, $version: Int!, $outcomes: [ID!]!) {
  setServedOutcomes(programmeId: $id, version: $version, outcomeIds: $outcomes) {
    code version outcomes { text }
  }
}"""


async def test_graphql_says_which_outcomes_a_programme_serves(
    programmes_api: httpx.AsyncClient,
) -> None:
    await load(programmes_api, "/imports/plan", PLAN_2018)
    gov = (await programmes_api.get("/programmes/by-code/CGIP-1", headers=VIEWER)).json()
    [outcome] = (
        await programmes_api.get("/outcomes", headers=VIEWER, params={"aim_id": gov["aim_id"]})
    ).json()

    async def serve(version: int, outcomes: list[str]) -> dict:
        response = await programmes_api.post(
            "/graphql",
            headers=EDITOR,
            json={
                "query": SERVE,
                "variables": {"id": str(gov["id"]), "version": version, "outcomes": outcomes},
            },
        )
        assert response.status_code == 200, response.text
        return response.json()

    cleared = await serve(gov["version"], [])
    assert cleared["data"]["setServedOutcomes"]["outcomes"] == []
    version = cleared["data"]["setServedOutcomes"]["version"]
    assert version == gov["version"] + 1
    stale = await serve(gov["version"], [str(outcome["id"])])
    assert stale["errors"][0]["extensions"]["status"] == 412
    bad = await serve(version, ["x"])
    assert bad["errors"][0]["extensions"]["errors"][0]["field"] == "outcomeIds[0]"
    served = await serve(version, [str(outcome["id"])])
    assert served["data"]["setServedOutcomes"]["outcomes"] == [{"text": outcome["text"]}]


async def test_a_programme_serving_an_outcome_its_aim_lacks_is_refused(
    programmes_api: httpx.AsyncClient,
) -> None:
    wrong = copy.deepcopy(PLAN_2018)
    wrong["programmes"][0]["outcomes"] = [1, 9]
    response = await programmes_api.post("/imports/plan", headers=ADMIN, json=wrong)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["programmes[0].outcomes[1]"]
    assert len(await changes(programmes_api)) == 0


async def test_graphql_reads_a_timescale_too(programmes_api: httpx.AsyncClient) -> None:
    await load(programmes_api, "/imports/plan", PLAN_2024)
    query = """query($text: String!, $asOf: Date!, $plan: String) {
      timescale(text: $text, asOf: $asOf, portfolioCode: $plan) {
        precision start end every unit since nextDue reason } }"""

    async def read(text: str, plan: str | None = "IRP-2024") -> dict:
        response = await programmes_api.post(
            "/graphql",
            headers=VIEWER,
            json={"query": query, "variables": {"text": text, "asOf": "2024-05-14", "plan": plan}},
        )
        return response.json()

    weekly = (await read("Every 6 weeks"))["data"]["timescale"]
    assert (weekly["every"], weekly["unit"], weekly["nextDue"]) == (6, "WEEK", "2024-06-24")
    years = (await read("Year 2 & 3"))["data"]["timescale"]
    assert (years["start"], years["end"]) == ("2025-04-01", "2027-03-31")
    refused = await read("every 3 blorps")
    assert refused["errors"][0]["extensions"]["errors"][0]["field"] == "text"
    unanchored = await read("Monthly", plan=None)
    assert unanchored["errors"][0]["extensions"]["errors"][0]["field"] == "since"
