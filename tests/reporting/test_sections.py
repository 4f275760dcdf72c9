"""Each section of the pack from what the sources answer: the demo month, and edge cases."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from graphql import GraphQLEnumType, build_schema, parse, validate

from services.reporting.diff import diff
from services.reporting.periods import Period
from services.reporting.sections.common import COUNCIL_WORDS, READ_AS, dca_change
from services.reporting.sections.pack import compose
from services.reporting.sections.programmes import milestones
from services.reporting.service import canonical_sha256
from services.reporting.sources import PACK_QUERY
from services.stack import GATEWAY_DIR
from tests.reporting import demo_pack


def test_demo_pack_has_every_section_with_content() -> None:
    content = demo_pack.content()
    assert [s["key"] for s in content["sections"]] == [
        "purpose", "headline", "programmes", "savings", "raid", "kpis", "exceptions", "decisions",
    ]  # fmt: skip
    assert content["programme_count"] == 16 and content["unavailable_sections"] == []
    asks = content["purpose"]["asks"]
    assert asks[0] == {**demo_pack.DEMO_ASK, "source": "entered"}
    raised = [a for a in asks if a["source"] == "escalation"]
    red = [p["code"] for p in content["programmes"] if (p["dca"] or {}).get("value") == "Red"]
    assert raised and len(raised) == len(red)
    assert content["headline"]["key_messages"]
    assert sum(a["programme_count"] for a in content["headline"]["by_aim"]) == 16
    assert content["savings"]["total"]["target"] == "149800000.00"
    assert content["exceptions"]["missing_reports"][0]["code"] == "IRP-16"
    assert [s["code"] for s in content["exceptions"]["stale_reports"]] == ["IRP-15"]
    assert content["exceptions"]["smart_failures"][0]["programme_code"] == "IRP-03"
    assert content["decisions"]["decisions"][0]["decided_on"] == "2024-07-18"
    assert content["decisions"]["escalations"]


def test_composed_again_the_demo_pack_says_the_same() -> None:
    assert canonical_sha256(demo_pack.content()) == canonical_sha256(demo_pack.content())


def test_raid_heat_map_counts_current_beside_inherent() -> None:
    cells = {
        (c["likelihood"], c["impact"]): c for c in demo_pack.content()["raid"]["heat_map"]["cells"]
    }
    assert len(cells) == 25
    # 16 programmes, two demo risks each: mitigation moved all 32 down one likelihood level
    assert (cells[4, 4]["current"], cells[4, 4]["inherent"]) == (16, 0)
    assert (cells[5, 5]["current"], cells[5, 5]["inherent"]) == (0, 16)
    assert (cells[3, 4]["current"], cells[4, 5]["inherent"]) == (16, 16)
    assert cells[4, 4]["current_codes"][0] == "R-IRP-01-1" and cells[4, 4]["band"] == "Very high"
    assert sum(c["current"] for c in cells.values()) == 32
    assert sum(c["inherent"] for c in cells.values()) == 32


def test_raid_new_escalated_and_past_due_for_the_packs_programmes() -> None:
    raid = demo_pack.content()["raid"]
    assert [r["code"] for r in raid["new_risks"]] == ["R-IRP-05-2", "R-IRP-10-2", "R-IRP-15-2"]
    red = [
        p["code"]
        for p in demo_pack.content()["programmes"]
        if (p["dca"] or {}).get("value") == "Red"
    ]
    assert [r["code"] for r in raid["escalated_risks"]] == [f"R-{c}-1" for c in red]
    assert raid["escalated_risks"][0]["residual_score"] == 16
    assert raid["escalated_risks"][0]["status"] == "Open"  # the enum's OPEN, as packs print it
    # oldest first; plan-wide kept, another portfolio's programme left out
    assert [(i["code"], i["due_on"], i["severity"]) for i in raid["issues_past_due"]] == [
        ("I-PLAN-1", "2024-06-30", "Medium"),
        ("I-IRP-02-1", "2024-07-15", "High"),
    ]


def test_raid_reads_the_gateway_could_not_answer_are_none_not_empty() -> None:
    found = demo_pack.data()
    for key in ("currentHeatMap", "inherentHeatMap", "newRisks", "escalatedRisks", "issuesPastDue"):
        found[key] = None
    raid = compose(period=demo_pack.PERIOD, data=found, errors=[])["raid"]
    assert raid == {
        "heat_map": None,
        "new_risks": None,
        "escalated_risks": None,
        "issues_past_due": None,
    }


def test_kpi_scorecard_by_aim_with_colour_direction_and_signal() -> None:
    scorecard = demo_pack.content()["kpis"]
    assert [(a["aim_code"], [k["code"] for k in a["kpis"]]) for a in scorecard] == [
        ("AIM-1", ["KPI-01", "KPI-04"]),
        ("AIM-2", ["KPI-07", "KPI-10"]),
        ("AIM-3", ["KPI-13", "KPI-16"]),
    ]
    first = scorecard[0]["kpis"][0]
    assert scorecard[0]["aim_name"] == "A Financially Sustainable Council"
    assert (first["latest"]["value"], first["latest"]["colour"]) == (80.0, "Red")
    assert first["latest"]["direction"] == "Steady"
    # the latest signal up to the pack's month; September's is not yet known in July's pack
    assert first["signal"] == {
        "rule": "Beyond limits",
        "period": "2024-07",
        "detail": "demo: above the upper limit",
    }
    assert scorecard[1]["kpis"][0]["signal"] is None


def test_dca_change_is_marked() -> None:
    assert dca_change("Amber", "Red") == "improved"
    assert dca_change("Red", "Amber/Red") == "worse"
    assert dca_change("Amber", "Amber") == "same"
    assert dca_change("Amber", None) == "new"
    assert dca_change(None, "Green") == "none"
    content = demo_pack.content()
    for p in content["programmes"]:
        now, before = (p["dca"] or {}).get("value"), (p["dca_previous"] or {}).get("value")
        assert p["dca_change"] == dca_change(now, before)
    worse = [p["code"] for p in content["programmes"] if p["dca_change"] == "worse"]
    assert (
        worse
        and f"Delivery confidence fell for {', '.join(worse)}."
        in (content["headline"]["key_messages"])
    )


def activity(id: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(id),
        "title": f"m{id}",
        "endDate": None,
        "forecastDate": None,
        "actualDate": None,
        "status": "In progress",
        **fields,
    }


def test_milestones_due_slipped_completed_in_the_period() -> None:
    july = Period.parse("2024-07")
    found = milestones(
        [
            activity(1, endDate="2024-07-15"),
            activity(2, endDate="2024-07-15", forecastDate="2024-09-30"),
            activity(3, endDate="2024-05-31"),
            activity(4, endDate="2024-07-10", actualDate="2024-07-09", status="Completed"),
            activity(5, endDate="2024-06-10", actualDate="2024-06-09", status="Completed"),
            activity(6, endDate="2024-08-31"),
        ],
        july,
    )
    assert [m["key_activity_id"] for m in found["due"]] == ["1"]
    assert [(m["key_activity_id"], m["overdue"]) for m in found["slipped"]] == [
        ("3", True),
        ("2", False),
    ]
    assert [m["key_activity_id"] for m in found["completed"]] == ["4"]


def test_savings_by_programme_and_directorate_add_up() -> None:
    savings = demo_pack.content()["savings"]
    for key in ("target", "forecast", "delivered", "at_risk"):
        total = Decimal(savings["total"][key])
        assert sum(Decimal(g[key]) for g in savings["by_programme"]) == total
        assert sum(Decimal(g[key]) for g in savings["by_directorate"]) == total
    for i in savings["initiatives"]:
        if i["rag"] == "Green":
            assert i["at_risk"] == "0.00"
        else:
            assert Decimal(i["at_risk"]) == Decimal(i["target"]) - Decimal(i["delivered"])
    assert Decimal(savings["total"]["at_risk"]) > 0


def test_only_the_packs_programmes_and_this_board_and_month() -> None:
    data = demo_pack.data()
    first = data["programmes"][0]
    first["escalations"] = [
        {
            **escalation,
            "id": str(900 + n),
            "status": status,
            "board": {**escalation["board"], "kind": kind},
            "createdAt": created,
            "updatedAt": created,
        }
        for n, (status, kind, created) in enumerate(
            [
                ("open", "TIB", "2024-07-02T09:00:00+00:00"),
                ("resolved", "TIB", "2024-07-03T09:00:00+00:00"),
                ("open", "Programme Board", "2024-05-03T09:00:00+00:00"),
            ]
        )
        for escalation in [data["programmes"][2]["escalations"][0]]
    ]
    data["boards"][0]["decisions"].append(
        {**data["boards"][0]["decisions"][0], "id": "2", "decidedOn": "2024-06-30"}
    )
    smart = {**demo_pack.SMART, "failures": [
        {**demo_pack.SMART["failures"][0], "programme_id": 99, "programme_code": "AP-1"}
    ]}  # fmt: skip
    content = compose(period="2024-07", data=data, errors=[], smart=smart)
    awaiting = [e["escalation_id"] for e in content["purpose"]["escalations_awaiting"]]
    assert "900" in awaiting and "901" not in awaiting and "902" not in awaiting
    logged = [e["escalation_id"] for e in content["decisions"]["escalations"]]
    assert "900" in logged and "901" in logged and "902" not in logged
    assert [d["decision_id"] for d in content["decisions"]["decisions"]] == ["1"]
    assert content["exceptions"]["smart_failures"] == []


def test_a_section_that_could_not_be_read_is_named() -> None:
    data = demo_pack.data()
    data["savingsInitiatives"] = None
    errors: list[dict[str, Any]] = [
        {"message": "down", "path": ["savingsInitiatives"]},
        {"message": "down", "path": ["programmes", 3, "risks"]},
        {"message": "assurance/smart unreadable", "path": ["assurance"]},
        {"message": "risks unavailable", "path": ["currentHeatMap"]},
    ]
    data["currentHeatMap"] = None
    content = compose(period="2024-07", data=data, errors=errors)
    assert content["unavailable_sections"] == ["assurance", "raid", "risks", "savingsInitiatives"]
    assert content["raid"]["heat_map"] is None and content["raid"]["new_risks"]
    assert content["savings"] is None
    assert content["exceptions"]["smart_failures"] is None


def test_diff_names_dca_moves_and_new_risks() -> None:
    before = demo_pack.content()
    data = demo_pack.data()
    data["programmes"][0]["latestHighlightReport"]["dca"] = "Green"
    data["programmes"][1]["risks"].append(
        {
            "id": "999",
            "code": "R-NEW",
            "title": "New risk",
            "owner": "x",
            "residualScore": 25,
            "inherentScore": 25,
            "status": "Open",
        }
    )
    after = compose(period="2024-07", data=data, errors=[])
    changed = diff(before, after)
    was = before["programmes"][0]["dca"]["value"]
    assert was != "Green", "the demo's IRP-01 must start from another DCA"
    assert changed["dca_moves"] == [{"code": "IRP-01", "from": was, "to": "Green"}]
    assert [r["risk_id"] for r in changed["new_risks"]] == ["999"]
    assert changed["programmes_added"] == changed["programmes_removed"] == []
    assert diff(before, before)["dca_moves"] == []


def test_the_pack_query_is_valid_against_the_supergraph() -> None:
    """The one query a pack sends stays valid as the subgraphs change (e.g. list shapes)."""
    schema = build_schema((GATEWAY_DIR / "supergraph.graphql").read_text())
    errors = validate(schema, parse(PACK_QUERY))
    assert not errors, [e.message for e in errors]


def test_council_words_cover_each_programmes_enum_the_pack_reads() -> None:
    """A status or kind added to the graph without its words would print as AMBER_GREEN."""
    schema = build_schema((GATEWAY_DIR / "supergraph.graphql").read_text())
    for name, words in COUNCIL_WORDS.items():
        enum = schema.type_map[name]
        assert isinstance(enum, GraphQLEnumType), name
        assert set(words) == set(enum.values), name


def test_the_pack_prints_the_graphs_enum_names_in_the_councils_words() -> None:
    """What the gateway answers now (enum names) composes the same pack as the words did."""
    words = demo_pack.data()
    as_names = json.loads(json.dumps(words))
    names = {word: name for table in COUNCIL_WORDS.values() for name, word in table.items()}
    renamed = 0
    for parent, fields in READ_AS.items():
        for row in _objects_under(as_names, parent):
            for field in fields:
                if isinstance(row.get(field), str):
                    row[field] = names[row[field]]
                    renamed += row[field] not in COUNCIL_WORDS["BoardKind"]  # TIB is TIB
    assert renamed > 50 and "AMBER_GREEN" in json.dumps(as_names)
    composed = [
        compose(period=demo_pack.PERIOD, data=data, errors=[], smart=demo_pack.SMART,
                confidence=demo_pack.confidence(words), asks=[demo_pack.DEMO_ASK])
        for data in (words, as_names)
    ]  # fmt: skip
    assert canonical_sha256(composed[0]) == canonical_sha256(composed[1])
    assert composed[1]["programmes"][0]["dca"]["value"] in COUNCIL_WORDS["DCA"].values()


def _objects_under(value: Any, parent: str, here: str = "") -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [o for item in value for o in _objects_under(item, parent, here)]
    if not isinstance(value, dict):
        return []
    found = [value] if here == parent else []
    for key, item in value.items():
        found += _objects_under(item, parent, here if key == "items" else key)
    return found
