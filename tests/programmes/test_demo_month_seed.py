"""The demo reporting month `./cpmo up` loads: consistent with the plan it reports on, and
labelled demo wherever the plan gives nothing (loading it is tested end to end in
tests/e2e/test_stack.py)."""

from __future__ import annotations

import json
from decimal import Decimal

from services import demo, demo_month


def test_the_month_reports_on_the_plan_and_its_savings_are_the_plans_total() -> None:
    plan = json.loads(demo.PLAN.read_text())
    month = json.loads(demo_month.MONTH.read_text())
    codes = {p["code"] for p in plan["programmes"]}
    assert month["portfolio_code"] == plan["portfolio"]["code"] and month["period"] == "2025-03"
    reports = month["highlight_reports"]
    # Every programme reported last month; all but one this month (the pack's exception).
    assert {r["programme_code"] for r in reports if r["period"] == "2025-02"} == codes
    assert codes - {r["programme_code"] for r in reports if r["period"] == "2025-03"} == {"IRP-16"}
    assert all(r["dca_reason"].startswith("Demo:") for r in reports)
    savings = month["savings"]["initiatives"]
    assert sum(Decimal(i["target"]) for i in savings) == Decimal("149800000.00")
    assert {i["programme_code"] for i in savings} <= codes
    # The plan's top 12 are its own key activities under Deliver Savings & Balance the Budget.
    irp01 = next(p for p in plan["programmes"] if p["code"] == "IRP-01")
    titles = {a["title"] for a in irp01["key_activities"]}
    top = [i for i in savings if "top 12" in (i["notes"] or "")]
    assert len(top) == 12 and all(i["title"] in titles for i in top)
    assert all("demo" in i["notes"].lower() for i in savings)
    refs = {e["ref"] for e in month["escalations"]}
    assert {d["escalation_ref"] for d in month["decisions"] if "escalation_ref" in d} <= refs


def test_the_months_risks_are_the_plans() -> None:
    risks = json.loads(demo_month.MONTH_RISKS.read_text())
    seeded = {r["code"] for r in json.loads(demo.RISKS.read_text())["risks"]}
    assert {r["code"] for r in risks["escalate"]} <= seeded
    assert all(r["title"].startswith("DEMO") for r in risks["new_risks"])


def test_each_slipped_milestone_is_one_of_the_plans_due_by_the_month() -> None:
    plan = {p["code"]: p for p in json.loads(demo.PLAN.read_text())["programmes"]}
    progress = json.loads(demo_month.MONTH.read_text())["milestones"]
    for slip in progress["slipped"]:
        found = [
            a
            for a in plan[slip["programme_code"]]["key_activities"]
            if a["title"].startswith(slip["title_starts"])
        ]
        assert len(found) == 1, slip
        assert slip["forecast_date"] > progress["as_of"] and slip["why"].startswith("Demo:")
