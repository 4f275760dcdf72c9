"""Section 3, programme summaries: who is accountable, the DCA with its reason and last month's,
evidence against it, milestones due, slipped and completed in the period."""

from __future__ import annotations

from typing import Any

from services.reporting.periods import Period
from services.reporting.sections import kpis, raid
from services.reporting.sections.common import dca_change, person
from services.reporting.sources import rows

COMPLETED = "Completed"


def summary(
    p: dict[str, Any],
    period: Period,
    confidence: dict[str, Any] | None,
    kpis_owned: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``kpis_owned``: the programme's KPIs from the plan-wide KPI read (None: unreadable);
    a programme's own ``kpis`` field is read when the sources carry it."""
    report = p.get("latestHighlightReport")
    previous = p.get("previousHighlightReport")
    dca = None if report is None or report["dca"] is None else report["dca"]
    before = None if previous is None else previous.get("dca")
    return {
        "programme_id": p["id"],
        "code": p["code"],
        "name": p["name"],
        "directorate": p.get("directorate"),
        "aim": (p.get("aim") or {}).get("name"),
        "aim_code": p.get("aimCode"),
        "sao": person(p.get("sao")),
        "rdl": person(p.get("rdl")),
        "lead_member": person(p.get("leadMember")),
        "dca": None
        if report is None or dca is None
        else {
            "value": dca,
            "rag": report["dcaRag"],
            "reason": report["dcaReason"],
            "period": report["period"],
            "highlight_report_id": report["id"],
            "stale": report["period"] != period.code,
        },
        "dca_previous": None
        if previous is None or before is None
        else {
            "value": before,
            "period": previous["period"],
            "highlight_report_id": previous["id"],
        },
        "dca_change": dca_change(dca, before),
        "highlights": None if report is None else report.get("highlights"),
        "decisions_needed": None if report is None else report.get("decisionsNeeded"),
        "next_steps": [
            {"what": s["what"], "when": s.get("when"), "who": s.get("who")}
            for s in (report or {}).get("nextSteps") or []
        ],
        "evidence": None
        if confidence is None
        else {
            "rag": confidence["evidence_rag"],
            "watermelon": confidence["watermelon"],
            "items": [
                {"kind": e["kind"], "item_id": str(e["item_id"]), "ref": e["ref"], "rag": e["rag"]}
                for e in confidence["evidence"]
            ],
        },
        "milestones": milestones(rows(p.get("keyActivities")), period),
        # Kept from the first pack's shape: the due list the e2e test reads.
        "key_activities_due": [
            {
                "key_activity_id": a["id"],
                "title": a["title"],
                "start": a["startText"],
                "end": a["endText"],
                "end_date": a["endDate"],
            }
            for a in rows(p.get("keyActivities"))
            if period.contains(a.get("endDate"))
        ],
        "top_risks": raid.top_risks(p.get("risks")),
        "kpi_scorecard": kpis.scorecard(p["kpis"] if "kpis" in p else kpis_owned),
    }


def milestones(activities: list[dict[str, Any]], period: Period) -> dict[str, list[Any]]:
    """Due: forecast (else baseline end) in the period and not done. Completed: done in the
    period. Slipped: not done and forecast past the baseline end, or due before the month's
    end and still open."""
    due, slipped, completed = [], [], []
    for a in sorted(activities, key=lambda a: (a.get("endDate") or "9999", int(a["id"]))):
        due_on = a.get("forecastDate") or a.get("endDate")
        row = {
            "key_activity_id": a["id"],
            "title": a["title"],
            "baseline": a.get("endDate"),
            "forecast": a.get("forecastDate"),
            "actual": a.get("actualDate"),
            "status": a.get("status"),
            "owner": a.get("owner"),
        }
        done = a.get("status") == COMPLETED
        if done:
            if period.contains(a.get("actualDate")):
                completed.append(row)
            continue
        if period.contains(due_on):
            due.append(row)
        late_forecast = bool(a.get("forecastDate") and a.get("endDate")) and (
            a["forecastDate"] > a["endDate"]
        )
        overdue = due_on is not None and due_on < period.first.isoformat()
        if late_forecast or overdue:
            slipped.append({**row, "overdue": overdue})
    return {"due": due, "slipped": slipped, "completed": completed}
