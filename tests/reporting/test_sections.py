"""Each section of the pack from what the sources answer: the demo month, and edge cases."""

from __future__ import annotations

import importlib
import json
from decimal import Decimal
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    OperationDefinitionNode,
    Source,
    TokenKind,
    TypeInfo,
    ValidationContext,
    build_schema,
    parse,
    validate,
)
from graphql.language import Lexer

from services.common.graphql_limits import GraphQLLimits, query_cost
from services.reporting.diff import diff
from services.reporting.periods import Period
from services.reporting.sections.common import COUNCIL_WORDS, READ_AS, dca_change
from services.reporting.sections.kpis import ends_in, flat
from services.reporting.sections.pack import RAID_READS, compose
from services.reporting.sections.programmes import milestones
from services.reporting.service import canonical_sha256
from services.reporting.sources import PACK_QUERY, rows
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
    messages = content["headline"]["key_messages"]
    at_risk = "IRP-D04 (On track), IRP-D06 (At risk), IRP-D06b (Broken)"
    assert f"3 dependencies at risk: {at_risk}." in messages
    escalated = [r["code"] for r in content["raid"]["escalated_risks"]]
    assert f"5 risks escalated this month: {', '.join(escalated)}." in messages
    known = [k["latest"] for k in flat(content["kpis"]) or [] if k["latest"]]
    on_target = sum(1 for m in known if m["colour"] in ("Blue", "Green"))
    reds = sum(1 for m in known if m["colour"] == "Red")
    assert len(known) == 53 and 0 < on_target < 53 and 0 < reds < 53
    kpis = f"KPIs: {on_target} of 53 with a value are on target, {reds} Red; 8 have no value yet."
    assert kpis in messages
    assert sum(a["programme_count"] for a in content["headline"]["by_aim"]) == 16
    assert content["savings"]["total"]["target"] == "149800000.00"
    assert content["exceptions"]["missing_reports"][0]["code"] == "IRP-16"
    assert [s["code"] for s in content["exceptions"]["stale_reports"]] == ["IRP-15"]
    assert content["exceptions"]["smart_failures"][0]["programme_code"] == "IRP-03"
    assert content["decisions"]["decisions"][0]["decided_on"] == "2024-07-18"
    assert content["decisions"]["escalations"]
    # section 3: milestones due, slipped and completed in July, per programme
    states = {
        state: sum(len(p["milestones"][state]) for p in content["programmes"])
        for state in ("due", "slipped", "completed")
    }
    assert states == {"due": 2, "slipped": 12, "completed": 3}
    irp04 = content["programmes"][3]["milestones"]["completed"]
    assert [m["actual"][:7] for m in irp04] == ["2024-07", "2024-07"]


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
    for key in RAID_READS:
        found[key] = None
    content = compose(period=demo_pack.PERIOD, data=found, errors=[])
    assert content["raid"] == {
        "heat_map": None,
        "new_risks": None,
        "escalated_risks": None,
        "issues_past_due": None,
        "current_vs_target": None,
        "dependencies_at_risk": None,
        "dependency_map": None,
    }
    blank = {k: content["exceptions"][k] for k in ("unowned_risks", "overdue_reviews")}
    assert blank == {"unowned_risks": None, "overdue_reviews": None}


def test_kpi_scorecard_by_aim_and_outcome_with_colour_direction_and_signal() -> None:
    data = demo_pack.data()
    scorecard = demo_pack.content()["kpis"]
    seed = data["kpis"]["items"]
    # each of the plan's 61 KPIs once, under its aim and outcome
    assert [a["aim_code"] for a in scorecard] == ["AIM-1", "AIM-2", "AIM-3"]
    assert sorted(k["code"] for k in flat(scorecard) or []) == sorted(k["code"] for k in seed)
    budget = scorecard[0]["outcomes"][0]
    assert budget["outcome"] == "A balanced budget"
    assert [k["code"] for k in budget["kpis"]] == ["KPI-01", "KPI-02"]
    first = budget["kpis"][0]
    assert scorecard[0]["aim_name"] == "A Financially Sustainable Council"
    raw = seed[0]["latest"]
    assert first["latest"]["value"] == raw["value"] and first["latest"]["period"] == "2024-07"
    assert first["latest"]["colour"] == raw["colour"].capitalize()
    # the latest signal up to the pack's month; September's is not yet known in July's pack
    assert first["signal"] == {
        "rule": "Beyond limits",
        "period": "2024-07",
        "detail": "demo: above the upper limit",
    }
    assert budget["kpis"][1]["signal"] is None
    # the sparkline: values up to July (August's point is left out), in order
    points = seed[0]["series"]["points"]
    assert [p["period"] for p in first["sparkline"]][-1] == "2024-07"
    assert [p["value"] for p in first["sparkline"]] == [p["value"] for p in points[:-1]]
    # a quarterly KPI's Q2 ends in September: not yet known; Q1 (April-June) is
    quarterly = budget["kpis"][1]
    assert quarterly["latest"]["period"] == "2024/25 Q1"
    assert quarterly["sparkline"][-1]["period"] == "2024/25 Q1"
    # composites are the KPI service's (its rule: Blue or Green of those with a value, up to
    # July), per aim and outcome, beside the pack's rows they count
    aim_1 = [k["latest"] for k in seed if k["aimCode"] == "AIM-1"]
    known = [m for m in aim_1 if m]
    on_target = sum(1 for m in known if m["colour"] in ("BLUE", "GREEN"))
    improving = sum(1 for m in known if m["direction"] == "IMPROVING")
    assert scorecard[0]["composite"] == {
        "group": "AIM-1",
        "kpi_count": 14,
        "with_data": 12,  # KPI-07 and KPI-14 have no values
        "on_target": on_target,
        "improving": improving,
        "on_target_percent": round(100 * on_target / len(known), 1),
        "improving_percent": round(100 * improving / len(known), 1),
        "kpi_ids": [k["id"] for k in seed if k["aimCode"] == "AIM-1"],
    }
    assert len(known) == 12 and 0 < on_target < 12 and 0 < improving < 12
    assert budget["composite"]["kpi_count"] == budget["composite"]["with_data"] == 2
    # the service's figures are what the pack prints, not a count of its own
    judged = sum(c["onTarget"] for c in data["aimComposites"]["items"])
    data["aimComposites"]["items"][0]["onTarget"] = 11
    changed = compose(period=demo_pack.PERIOD, data=data, errors=[])
    assert changed["kpis"][0]["composite"]["on_target"] == 11
    # and the headline's count is the service's too
    again = judged - on_target + 11
    assert any(
        f"KPIs: {again} of 53 with a value" in m for m in changed["headline"]["key_messages"]
    )
    # composites the service could not answer are unavailable, the scorecard still there
    for read in ("aimComposites", "outcomeComposites", "vitalComposites"):
        data[read] = None
    blank = compose(period=demo_pack.PERIOD, data=data, errors=[])
    assert blank["kpis"][0]["composite"] is None and flat(blank["kpis"])
    assert blank["vital_signs"]["composites"] is None
    assert any(m.startswith("KPIs: 53 with a value, ") for m in blank["headline"]["key_messages"])


def test_kpi_benchmark_rank_and_vital_signs() -> None:
    content = demo_pack.content()
    ranked = {k["code"]: k["benchmarks"] for k in flat(content["kpis"]) or [] if k["benchmarks"]}
    assert ranked["KPI-05"] == [
        {"group": "CIPFA nearest neighbours (demo)", "period": "2024-07", "rank": 14, "of": 16}
    ]
    vital = content["vital_signs"]
    assert [k["code"] for k in vital["kpis"]] == [
        k["code"] for k in demo_pack.data()["kpis"]["items"] if k["vitalSign"]
    ]
    assert len(vital["kpis"]) == 10
    assert sum(c["kpi_count"] for c in vital["composites"]) == 10
    assert [(c["group"], c["kpi_count"]) for c in vital["composites"]] == [
        ("Customer Services", 4), ("Finance", 4), ("HR and Organisational Development", 2)
    ]  # fmt: skip
    # the per-programme tables come from the same read, by the programme owning each KPI
    irp01 = content["programmes"][0]
    owned = [k["code"] for k in demo_pack.data()["kpis"]["items"] if k["programmeCode"] == "IRP-01"]
    assert [k["code"] for k in irp01["kpi_scorecard"]] == owned and "KPI-01" in owned


def test_kpi_periods_end_in_their_month() -> None:
    assert ends_in("2024-07") == "2024-07"
    assert ends_in("2024/25 Q1") == "2024-06" and ends_in("2024/25 Q4") == "2025-03"
    assert ends_in("2023/24") == "2024-03" and ends_in("2023") == "2023-12"
    assert ends_in("July") is None


def test_raid_current_against_target_and_dependencies() -> None:
    raid = demo_pack.content()["raid"]
    target = raid["current_vs_target"]
    # 32 demo risks, one closed; targets 8 (first) and 12 (second), none for every third
    # programme's first risk
    assert target["live"] == 31
    assert [r["code"] for r in target["no_target"]] == [
        "R-IRP-03-1", "R-IRP-06-1", "R-IRP-09-1", "R-IRP-12-1", "R-IRP-15-1",
    ]  # fmt: skip
    assert len(target["above_target"]) == 11 and len(target["at_target"]) == 15
    assert target["above_target"][0] == {
        "risk_id": "11",
        "code": "R-IRP-01-1",
        "title": "Demo risk 1 of IRP-01",
        "owner": "Director of Finance and Section 151 Officer",
        "current": 16,
        "target": 8,
        "gap": 8,
        "programme_id": "1",
    }
    at_risk = raid["dependencies_at_risk"]
    assert [(d["code"], d["status"], d["from"], d["to"]) for d in at_risk] == [
        ("IRP-D04", "On track", "Whole plan", "IRP-01"),
        ("IRP-D06", "At risk", "IRP-16", "IRP-07"),
        ("IRP-D06b", "Broken", "IRP-16", "IRP-06"),
    ]
    graph = raid["dependency_map"]
    assert len(graph["edges"]) == 7
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    assert labels["programme:16"] == "IRP-16" and labels["plan"] == "Whole plan"
    assert {n["programme_id"] for n in graph["nodes"] if n["kind"] == "programme"} == {
        "1", "5", "6", "7", "10", "16",
    }  # fmt: skip


def test_a_portfolio_pack_keeps_other_programmes_dependencies_out() -> None:
    data = demo_pack.data()
    data["dependencyMap"]["edges"].append(
        {"code": "X-1", "source": "programme:998", "target": "programme:999",
         "status": "Broken", "inCycle": False}
    )  # fmt: skip
    data["dependencyMap"]["nodes"] += [
        {"id": f"programme:{n}", "kind": "programme", "label": f"Programme #{n}"}
        for n in (998, 999)
    ]
    data["dependenciesAtRisk"].append(
        {**data["dependenciesAtRisk"][-1], "id": "99", "code": "X-1",
         "fromProgramme": {"id": "998"}, "toProgramme": {"id": "999"}}
    )  # fmt: skip
    raid = compose(period=demo_pack.PERIOD, data=data, errors=[])["raid"]
    assert "X-1" not in {e["code"] for e in raid["dependency_map"]["edges"]}
    assert "programme:999" not in {n["id"] for n in raid["dependency_map"]["nodes"]}
    assert "X-1" not in {d["code"] for d in raid["dependencies_at_risk"]}


def test_a_plan_wide_risk_is_in_its_own_plans_pack_only() -> None:
    """The 2015 plan's plan-wide risks are not the 2024 plan's: a portfolio's pack keeps the
    plan-wide risks naming it, and a pack of every plan keeps them all."""
    data = demo_pack.data()
    mine = {**rows(data["riskRegister"])[0], "programme": None, "portfolioCode": "IRP-2024"}
    theirs = {
        **mine,
        "id": "777",
        "code": "FCP-2015-R01",
        "residualScore": 25,
        "portfolioCode": "OIAP-2015",
    }
    unplanned = {**theirs, "id": "778", "code": "NO-PLAN-1", "portfolioCode": None}
    mine = {**mine, "id": "776", "code": "IRP-R99"}
    for read in ("newRisks", "escalatedRisks"):
        data[read] = [*data[read], mine, theirs, unplanned]
    data["riskRegister"] = {"items": [*rows(data["riskRegister"]), mine, theirs, unplanned]}

    def codes(portfolio: str | None) -> dict[str, set[str]]:
        content = compose(period=demo_pack.PERIOD, data=data, errors=[], portfolio_code=portfolio)
        raid = content["raid"]
        live = raid["current_vs_target"]
        return {
            "new": {r["code"] for r in raid["new_risks"]},
            "escalated": {r["code"] for r in raid["escalated_risks"]},
            "register": {r["code"] for k in ("above_target", "at_target", "no_target")
                         for r in live[k]},
        }  # fmt: skip

    for found in codes("IRP-2024").values():
        assert "IRP-R99" in found and not {"FCP-2015-R01", "NO-PLAN-1"} & found
    for found in codes(None).values():
        assert {"IRP-R99", "FCP-2015-R01", "NO-PLAN-1"} <= found


def test_exceptions_for_risks_and_kpis() -> None:
    x = demo_pack.content()["exceptions"]
    assert [r["code"] for r in x["unowned_risks"]] == ["R-IRP-04-2"]
    assert [(m["risk_code"], m["due_on"]) for m in x["overdue_mitigations"]] == [
        ("R-IRP-03-1", "2024-07-12"),
        ("R-IRP-08-1", "2024-07-12"),
    ]
    assert [(r["code"], r["review_on"]) for r in x["overdue_reviews"]] == [
        ("R-IRP-02-1", "2024-06-30"),
        ("R-IRP-09-1", "2024-06-30"),
    ]
    # every seventh demo KPI has no values
    assert [k["code"] for k in x["kpis_without_data"]] == [f"KPI-{n:02d}" for n in range(7, 62, 7)]
    assert x["kpi_values_missing"][0] == {
        "code": "KPI-07",
        "name": "Sickness absence rates",
        "periods": ["2024-05", "2024-06"],
        "oldest_due": "2024-06-20",
    }
    # late: only what fell due in the pack's month (KPI-03's May lateness is history)
    assert x["kpi_values_late"] == [
        {
            "code": "KPI-01",
            "name": "Budget on target (within agreed tolerances)",
            "period": "2024-06",
            "due": "2024-07-20",
            "received_on": "2024-07-26",
        }
    ]


def test_kpis_unreadable_blank_the_scorecard_and_its_exceptions() -> None:
    data = demo_pack.data()
    data["kpis"] = None
    errors: list[dict[str, Any]] = [{"message": "kpis unavailable", "path": ["kpis"]}]
    content = compose(period=demo_pack.PERIOD, data=data, errors=errors)
    assert content["kpis"] is None and content["vital_signs"] is None
    assert content["exceptions"]["kpis_without_data"] is None
    assert content["programmes"][0]["kpi_scorecard"] is None
    assert content["unavailable_sections"] == ["kpis"]


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
    """Escalations go by business dates: raised in the month (whenever the row was written),
    or resolved by a decision of the month; one raised or resolved after the month's end is
    not what the board saw at it."""
    data = demo_pack.data()
    first = data["programmes"][0]
    first["escalations"] = [
        {
            **escalation,
            "id": str(900 + n),
            "status": status,
            "board": {**escalation["board"], "kind": kind},
            "raisedOn": raised,
            "resolutionDecision": None if decided is None else {"id": "7", "decidedOn": decided},
        }
        for n, (status, kind, raised, decided) in enumerate(
            [
                ("open", "TIB", "2024-07-02", None),
                ("resolved", "TIB", "2024-07-03", "2024-07-18"),
                ("open", "Programme Board", "2024-05-03", None),
                ("open", "TIB", "2024-08-01", None),  # raised after the month
                ("resolved", "TIB", "2024-06-20", "2024-08-15"),  # open at the month's end
                ("resolved", "TIB", "2024-06-21", "2024-07-18"),  # resolved in the month
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
    assert [a for a in awaiting if a.startswith("90")] == ["900", "904"]
    logged = {
        e["escalation_id"]: (e["raised_on"], e["status"], e["resolved_on"])
        for e in content["decisions"]["escalations"]
        if e["escalation_id"].startswith("90")
    }
    assert logged == {
        "900": ("2024-07-02", "open", None),
        "901": ("2024-07-03", "resolved", "2024-07-18"),
        "905": ("2024-06-21", "resolved", "2024-07-18"),
    }
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


def test_diff_names_new_and_gone_risks_and_kpi_colour_changes() -> None:
    before = demo_pack.content()
    data = demo_pack.data()
    register = data["riskRegister"]
    gone = register.pop(0)
    register.append({**register[0], "id": "777", "code": "R-NEW-1", "title": "A new risk"})
    kpi = data["kpis"]["items"][0]
    kpi["latest"] = {
        **kpi["latest"],
        "colour": "RED" if kpi["latest"]["colour"] != "RED" else "BLUE",
    }
    after = compose(period="2024-07", data=data, errors=[])
    changed = diff(before, after)
    assert changed["risks_gone"] == [gone["id"]]
    assert changed["new_risks"] == [
        {
            "risk_id": "777",
            "code": "R-NEW-1",
            "title": "A new risk",
            "programme_code": "IRP-01",
            "residual_score": register[0]["residualScore"],
        }
    ]
    (moved,) = changed["kpi_colour_changes"]
    assert moved["kpi"] == "KPI-01" and moved["programme_code"] == "IRP-01"
    assert moved["from"] == before["kpis"][0]["outcomes"][0]["kpis"][0]["latest"]["colour"]
    assert moved["to"] == kpi["latest"]["colour"].capitalize()


def test_diff_names_dca_moves() -> None:
    before = demo_pack.content()
    data = demo_pack.data()
    data["programmes"][0]["latestHighlightReport"]["dca"] = "Green"
    after = compose(period="2024-07", data=data, errors=[])
    changed = diff(before, after)
    was = before["programmes"][0]["dca"]["value"]
    assert was != "Green", "the demo's IRP-01 must start from another DCA"
    assert changed["dca_moves"] == [{"code": "IRP-01", "from": was, "to": "Green"}]
    assert changed["new_risks"] == changed["risks_gone"] == []
    assert changed["programmes_added"] == changed["programmes_removed"] == []
    assert diff(before, before)["dca_moves"] == []


def test_diff_of_packs_stored_before_the_register_reads_top_risks() -> None:
    before = {**demo_pack.content(), "raid": None, "kpis": None}
    after = {**before, "programmes": [dict(p) for p in before["programmes"]]}
    after["programmes"][1]["top_risks"] = [
        *after["programmes"][1]["top_risks"],
        {"risk_id": "999", "code": "R-NEW", "title": "New risk", "residual_score": 25},
    ]
    assert [r["risk_id"] for r in diff(before, after)["new_risks"]] == ["999"]


def test_the_pack_query_is_valid_against_the_supergraph() -> None:
    """The one query a pack sends stays valid as the subgraphs change (e.g. list shapes)."""
    schema = build_schema((GATEWAY_DIR / "supergraph.graphql").read_text())
    errors = validate(schema, parse(PACK_QUERY))
    assert not errors, [e.message for e in errors]


def test_council_words_cover_each_enum_the_pack_reads() -> None:
    """A status or kind added to the graph without its words would print as AMBER_GREEN."""
    schema = build_schema((GATEWAY_DIR / "supergraph.graphql").read_text())
    read = {enum for fields in READ_AS.values() for enum in fields.values()}
    assert set(COUNCIL_WORDS) == read
    for name, words in COUNCIL_WORDS.items():
        enum = schema.type_map[name]
        assert isinstance(enum, GraphQLEnumType), name
        assert set(words) == set(enum.values), name


def test_council_words_are_the_services_own() -> None:
    """The pack's words are the values of the services' own enums (the words they store and
    REST answers), as each service's graph serves them today."""
    served: dict[str, dict[str, str]] = {}
    for subgraph in sorted((GATEWAY_DIR / "subgraphs").glob("*.graphql")):
        service = subgraph.stem
        schema = importlib.import_module(f"services.{service}.graphql").schema._schema
        for name in COUNCIL_WORDS:
            if isinstance(enum := schema.type_map.get(name), GraphQLEnumType):
                served[name] = {n: value.value for n, value in enum.values.items()}
    assert served == COUNCIL_WORDS
    assert COUNCIL_WORDS["DCA"]["AMBER_GREEN"] == "Amber/Green"


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


def _depth(node: Any) -> int:
    selections = getattr(getattr(node, "selection_set", None), "selections", None) or []
    return 1 + max((_depth(s) for s in selections), default=0) if selections else 0


def test_the_pack_query_is_inside_the_graphql_limits() -> None:
    """The gateway refuses a query over its cost, depth, alias or token limits (the production
    test sends this one through it); here the margins are measured, so a field added to the
    pack that would break them fails fast."""
    schema = build_schema((GATEWAY_DIR / "supergraph.graphql").read_text())
    document = parse(PACK_QUERY)
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    context = ValidationContext(schema, document, TypeInfo(schema), lambda _: None)
    limits = GraphQLLimits()
    cost = query_cost(operation, context)
    assert 600 < cost <= limits.max_cost - 200, cost  # room for a few more fields
    assert _depth(operation) - 1 <= limits.max_depth - 2
    aliases = [n for n in _fields(operation) if n.alias is not None]
    assert 0 < len(aliases) <= limits.max_aliases
    lexer, tokens = Lexer(Source(PACK_QUERY)), 0
    while lexer.advance().kind != TokenKind.EOF:
        tokens += 1
    assert tokens <= limits.max_tokens // 2


def _fields(node: Any) -> list[FieldNode]:
    found = []
    for child in getattr(getattr(node, "selection_set", None), "selections", None) or []:
        if isinstance(child, FieldNode):
            found.append(child)
        found += _fields(child)
    return found
