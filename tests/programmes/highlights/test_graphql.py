"""Highlight reports, periods and delivery confidence in the programmes subgraph: the wired
mutations and Programme fields over HTTP, and HighlightsQuery / dca_history_for through a
schema that merges them the way the root schema will."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN, EDITOR, VIEWER
from tests.programmes.highlights.helpers import APRIL_2015, programmes, submitted
from tests.support import changes
from tests.support.graphql import entities, gql, problems, refs, status_of
from tests.support.statements import statements

REPORT_FIELDS = """id programmeId period revision current superseded supersedesId supersededById
  locked dca dcaRag dcaReason highlights confidence decisionsNeeded revisionReason author
  submittedAt version nextSteps { what when who whenStart whenEnd whenPrecision }"""

SUBMIT = f"""mutation($programme: ID!, $input: HighlightReportInput!) {{
  submitHighlightReport(programmeId: $programme, input: $input) {{ {REPORT_FIELDS} }} }}"""

REVISE = f"""mutation($id: ID!, $version: Int!, $input: HighlightReportRevisionInput!) {{
  reviseHighlightReport(id: $id, version: $version, input: $input) {{
    {REPORT_FIELDS} revisions {{ id revision current dca }} }} }}"""

RECORD = """mutation($programme: ID!, $input: DcaInput!) {
  recordDca(programmeId: $programme, input: $input) {
    id programmeId assessedOn dca dcaRag reason author highlightReportId createdAt } }"""

SIGN_OFF = """mutation($period: String!) {
  signOffPeriod(period: $period) { period status signedOffBy signedOffAt locked version } }"""


# The graph takes the scales' enum names; REST (and the report as written) their words.
ENUM_NAMES = {"Amber/Green": "AMBER_GREEN", "Med": "MEDIUM", "High": "HIGH", "high": "HIGH"}


def graphql_input(report: dict[str, Any]) -> dict[str, Any]:
    names = {"dca_reason": "dcaReason", "next_steps": "nextSteps"}
    names["decisions_needed"] = "decisionsNeeded"
    found: dict[str, Any] = {
        names.get(k, k): ENUM_NAMES.get(v, v) if isinstance(v, str) else v
        for k, v in report.items()
    }
    found["nextSteps"] = [
        {k: ENUM_NAMES.get(v, v) if k == "confidence" and v else v for k, v in step.items()}
        for step in found.get("nextSteps") or []
    ]
    return found


def field_of(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["errors"][0]["field"])


async def test_mutations_over_http(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    pid = str(programme["id"])
    before = len(await changes(programmes_api))

    denied = await gql(
        programmes_api, SUBMIT, VIEWER, programme=pid, input=graphql_input(APRIL_2015)
    )
    assert status_of(denied) == 403
    off_scale = await gql(
        programmes_api,
        SUBMIT,
        EDITOR,
        programme=pid,
        input={**graphql_input(APRIL_2015), "dca": "Blue"},
    )
    assert status_of(off_scale) == 422 and field_of(off_scale) == "dca"
    unknown = await gql(
        programmes_api, SUBMIT, EDITOR, programme="999", input=graphql_input(APRIL_2015)
    )
    assert status_of(unknown) == 404 and field_of(unknown) == "programme_id"
    assert len(await changes(programmes_api)) == before

    body = await gql(programmes_api, SUBMIT, EDITOR, programme=pid, input=graphql_input(APRIL_2015))
    report = body["data"]["submitHighlightReport"]
    assert report["programmeId"] == pid and report["period"] == "2015-04"
    assert (report["dca"], report["dcaRag"], report["confidence"]) == (
        "AMBER_GREEN",
        "AMBER",
        "MEDIUM",
    )
    assert (report["revision"], report["current"], report["locked"], report["version"]) == (
        1,
        True,
        False,
        1,
    )
    assert report["nextSteps"][0] == {
        "what": APRIL_2015["next_steps"][0]["what"],
        "when": "Q1",
        "who": "Director Delivery",
        "whenStart": "2015-04-01",
        "whenEnd": "2015-06-30",
        "whenPrecision": "QUARTER",
    }
    duplicate = await gql(
        programmes_api, SUBMIT, EDITOR, programme=pid, input=graphql_input(APRIL_2015)
    )
    assert status_of(duplicate) == 409 and field_of(duplicate) == "period"

    # Open period: revise edits in place; a stale version is 412.
    edited = await gql(
        programmes_api, REVISE, EDITOR, id=report["id"], version=1, input={"confidence": "HIGH"}
    )
    assert edited["data"]["reviseHighlightReport"]["version"] == 2
    assert edited["data"]["reviseHighlightReport"]["revision"] == 1
    stale = await gql(
        programmes_api, REVISE, EDITOR, id=report["id"], version=1, input={"dca": "RED"}
    )
    assert status_of(stale) == 412 and field_of(stale) == "If-Match"
    viewer = await gql(programmes_api, REVISE, VIEWER, id=report["id"], version=2, input={})
    assert status_of(viewer) == 403

    # Sign-off: admins only.
    for headers in (EDITOR, VIEWER):
        assert status_of(await gql(programmes_api, SIGN_OFF, headers, period="2015-04")) == 403
    bad = await gql(programmes_api, SIGN_OFF, ADMIN, period="April 2015")
    assert status_of(bad) == 422 and field_of(bad) == "period"
    signed = (await gql(programmes_api, SIGN_OFF, ADMIN, period="2015-04"))["data"]
    assert signed["signOffPeriod"]["status"] == "SIGNED_OFF"
    assert signed["signOffPeriod"]["locked"] and signed["signOffPeriod"]["signedOffBy"] == (
        "test-admin"
    )
    twice = await gql(programmes_api, SIGN_OFF, ADMIN, period="2015-04")
    assert status_of(twice) == 409

    # Locked: revising makes revision 2 beside the original.
    revised = await gql(
        programmes_api,
        REVISE,
        EDITOR,
        id=report["id"],
        version=2,
        input={
            "dca": "AMBER",
            "dcaReason": "Induction slipped",
            "nextSteps": [{"what": "Induction", "when": "Q2", "who": "HR"}],
            "revisionReason": "Corrected after TIB",
        },
    )
    second = revised["data"]["reviseHighlightReport"]
    assert (second["revision"], second["version"], second["locked"]) == (2, 3, True)
    assert second["supersedesId"] == report["id"] and second["id"] != report["id"]
    assert second["nextSteps"][0]["whenStart"] == "2015-07-01"
    assert [(r["revision"], r["current"], r["dca"]) for r in second["revisions"]] == [
        (1, False, "AMBER_GREEN"),
        (2, True, "AMBER"),
    ]

    recorded = await gql(
        programmes_api,
        RECORD,
        EDITOR,
        programme=pid,
        input={"dca": "AMBER_RED", "reason": "Gateway review", "assessedOn": "2024-03-15"},
    )
    assessment = recorded["data"]["recordDca"]
    assert (assessment["dca"], assessment["dcaRag"], assessment["assessedOn"]) == (
        "AMBER_RED",
        "RED",
        "2024-03-15",
    )
    assert assessment["author"] == "test-editor" and assessment["highlightReportId"] is None
    off = await gql(
        programmes_api, RECORD, EDITOR, programme=pid, input={"dca": "Purple", "reason": "x"}
    )
    assert status_of(off) == 422 and field_of(off) == "dca"

    # The Programme fields the reporting service reads.
    read = await gql(
        programmes_api,
        """query { programmes { items {
            latestHighlightReport { id period dca dcaRag dcaReason revision locked confidence
              decisionsNeeded nextSteps { what when who } }
            before: latestHighlightReport(upToPeriod: "2015-03") { id }
            highlightReports { id revision } } } }""",
        VIEWER,
    )
    (listed,) = read["data"]["programmes"]["items"]
    latest = listed["latestHighlightReport"]
    assert (latest["id"], latest["dca"], latest["dcaRag"], latest["revision"]) == (
        second["id"],
        "AMBER",
        "AMBER",
        2,
    )
    assert latest["locked"] and latest["confidence"] == "HIGH"
    assert latest["nextSteps"] == [{"what": "Induction", "when": "Q2", "who": "HR"}]
    assert listed["before"] is None
    assert listed["highlightReports"] == [{"id": second["id"], "revision": 2}]
    wrong = await gql(
        programmes_api,
        'query { programmes { items { latestHighlightReport(upToPeriod: "July") { id } } } }',
        VIEWER,
    )
    assert status_of(wrong) == 422 and field_of(wrong) == "upToPeriod"


async def test_highlights_query(programmes_api: httpx.AsyncClient) -> None:
    first, second, _ = await programmes(programmes_api, 3)
    a = await submitted(programmes_api, first["id"], period="2024-06", confidence="High")
    b = await submitted(programmes_api, first["id"], period="2024-07", confidence="Med")
    c = await submitted(programmes_api, second["id"], period="2024-07", confidence="Low")
    await programmes_api.post("/periods/2024-06/sign-off", headers=ADMIN)
    revised = await programmes_api.patch(
        f"/highlight-reports/{a['id']}",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"dca": "Red", "dca_reason": "Budget gap"},
    )
    assert revised.status_code == 200

    result = await gql(
        programmes_api,
        """query($programme: ID, $a: ID!) {
          all: highlightReports { items { id period programmeId revision } }
          july: highlightReports(period: "2024-07") { items { id } }
          mine: highlightReports(programmeId: $programme) { items { period revision locked } }
          medium: highlightReports(confidence: MEDIUM) { items { id confidence } }
          paged: highlightReports(limit: 1, offset: 1) { items { id } }
          periods: reportingPeriods { items { period status signedOffBy locked } }
          open: reportingPeriods(status: OPEN) { items { period } }
          original: highlightReport(id: $a, revision: 1) { revision superseded dca }
          current: highlightReport(id: $a) { revision dca revisions { revision } }
          missing: highlightReport(id: "999") { id }
        }""",
        programme=str(first["id"]),
        a=str(a["id"]),
    )
    assert "errors" not in result, result
    data = result["data"]
    assert [(r["period"], r["programmeId"], r["revision"]) for r in data["all"]["items"]] == [
        ("2024-07", str(first["id"]), 1),
        ("2024-07", str(second["id"]), 1),
        ("2024-06", str(first["id"]), 2),
    ]
    assert [r["id"] for r in data["july"]["items"]] == [str(b["id"]), str(c["id"])]
    assert data["mine"]["items"] == [
        {"period": "2024-07", "revision": 1, "locked": False},
        {"period": "2024-06", "revision": 2, "locked": True},
    ]
    assert data["medium"]["items"] == [{"id": str(b["id"]), "confidence": "MEDIUM"}]
    assert data["paged"]["items"] == [{"id": str(c["id"])}]
    assert data["periods"]["items"] == [
        {"period": "2024-07", "status": "OPEN", "signedOffBy": None, "locked": False},
        {"period": "2024-06", "status": "SIGNED_OFF", "signedOffBy": "test-admin", "locked": True},
    ]
    assert data["open"]["items"] == [{"period": "2024-07"}]
    assert data["original"] == {"revision": 1, "superseded": True, "dca": "AMBER"}
    assert data["current"] == {
        "revision": 2,
        "dca": "RED",
        "revisions": [{"revision": 1}, {"revision": 2}],
    }
    assert data["missing"] is None

    for query, status, field in (
        ('{ highlightReports(confidence: "Sure") { items { id } } }', 422, "confidence"),
        ('{ highlightReports(dca: "Blue") { items { id } } }', 422, "dca"),
        ('{ highlightReports(period: "2024") { items { id } } }', 422, "period"),
        ('{ highlightReports(programmeId: "999") { items { id } } }', 404, "programme_id"),
        ('{ reportingPeriods(status: "closed") { items { period } } }', 422, "status"),
        (f'{{ highlightReport(id: "{a["id"]}", revision: 5) {{ id }} }}', 404, "revision"),
    ):
        failed = problems(await gql(programmes_api, query))
        assert failed, query
        assert failed[0]["status"] == status, query
        assert failed[0]["errors"][0]["field"] == field, query


async def test_dca_history_and_loaders_batch(programmes_api: httpx.AsyncClient) -> None:
    listed = await programmes(programmes_api, 3)
    for n, programme in enumerate(listed):
        await submitted(programmes_api, programme["id"], period="2024-06", dca="Green")
        await submitted(
            programmes_api,
            programme["id"],
            period="2024-07",
            dca=["Amber", "Red", "Amber/Green"][n],
        )
    await programmes_api.post(
        f"/programmes/{listed[0]['id']}/dca",
        headers=EDITOR,
        json={"dca": "Amber/Red", "reason": "Gateway review", "assessed_on": "2020-01-31"},
    )

    history = await gql(
        programmes_api,
        entities(
            "Programme", "{ dcaHistory { dca dcaRag reason author assessedOn highlightReportId } }"
        ),
        refs=refs("Programme", [listed[0]["id"]]),
    )
    assert "errors" not in history, history
    rows = history["data"]["_entities"][0]["dcaHistory"]
    assert [r["dca"] for r in rows] == ["AMBER", "GREEN", "AMBER_RED"]  # newest first
    assert rows[-1] == {
        "dca": "AMBER_RED",
        "dcaRag": "RED",
        "reason": "Gateway review",
        "author": "test-editor",
        "assessedOn": "2020-01-31",
        "highlightReportId": None,
    }
    assert rows[0]["highlightReportId"] is not None
    unknown = await gql(
        programmes_api,
        entities("Programme", "{ dcaHistory { dca } }"),
        refs=refs("Programme", [999]),
    )
    assert "errors" not in unknown and unknown["data"]["_entities"] == [None]

    # Per-programme fields load in one batch for all programmes: as many queries for three
    # programmes as for one.
    query = """query($limit: Int!) { programmes(limit: $limit) { items {
         highlightReports { id revisions { id } }
         latestHighlightReport { dca locked }
         earlier: latestHighlightReport(upToPeriod: "2024-06") { dca } } } }"""
    counts = []
    for limit in (1, 3):
        with statements(programmes_api) as selects:
            batched = await gql(programmes_api, query, limit=limit)
        assert "errors" not in batched, batched
        counts.append(len(selects))
    assert counts[0] == counts[1], selects
    batched = batched["data"]
    assert [p["latestHighlightReport"]["dca"] for p in batched["programmes"]["items"]] == [
        "AMBER",
        "RED",
        "AMBER_GREEN",
    ]
    assert [p["earlier"]["dca"] for p in batched["programmes"]["items"]] == ["GREEN"] * 3
    assert all(len(p["highlightReports"]) == 2 for p in batched["programmes"]["items"])
