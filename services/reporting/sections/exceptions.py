"""Section 7, exceptions: what is missing or failing, so the board sees it without hunting:
highlight reports stale or missing, slipped milestones, programmes without an RDL, unowned
risks, overdue mitigations and reviews, KPIs without data or late, SMART failures."""

from __future__ import annotations

from typing import Any

from services.common.grouping import group_by
from services.reporting.periods import Period
from services.reporting.sources import rows

# An owner field holding one of these names nobody: the risks service requires the field, so
# a register marks a vacancy with a placeholder. Our reading; the list is the council's usage.
NOBODY = {"", "tbc", "tbd", "to be confirmed", "unassigned", "unknown", "none", "vacant", "n/a"}
# Mitigation statuses still to be done (the risks service's OPEN_MITIGATION).
OPEN_MITIGATION = ("PLANNED", "IN_PROGRESS")


def exceptions(
    programmes: list[dict[str, Any]],
    smart: dict[str, Any] | None,
    period: str,
    *,
    live_risks: list[dict[str, Any]] | None = None,
    kpis: list[dict[str, Any]] | None = None,
    missing: Any = None,
    late: Any = None,
) -> dict[str, Any]:
    """``live_risks`` as the RAID section read them (None: unavailable); ``kpis`` the pack's
    scorecard rows; ``missing`` and ``late`` the KPI service's submissions as of the cut-off."""
    ids = {p["programme_id"] for p in programmes}
    month = Period.parse(period)
    as_of = month.as_of.isoformat()
    return {
        **risk_exceptions(live_risks, as_of),
        **kpi_exceptions(kpis, missing, late, month),
        "missing_reports": [_ref(p) for p in programmes if not p["dca"]],
        "stale_reports": [
            {
                **_ref(p),
                "last_period": p["dca"]["period"],
                "highlight_report_id": p["dca"]["highlight_report_id"],
            }
            for p in programmes
            if p["dca"] and p["dca"]["period"] != period
        ],
        "slipped_milestones": [
            {**m, "programme_code": p["code"]}
            for p in programmes
            for m in p["milestones"]["slipped"]
        ],
        "no_rdl": [_ref(p) for p in programmes if p["rdl"] is None],
        "smart_failures": None
        if smart is None
        else [
            {
                "test": f["test"],
                "item": f["item"],
                "item_id": str(f["item_id"]),
                "programme_code": f["programme_code"],
                "ref": f["ref"],
                "detail": f["detail"],
            }
            for f in smart["failures"]
            if str(f["programme_id"]) in ids
        ],
    }


def risk_exceptions(live: list[dict[str, Any]] | None, as_of: str) -> dict[str, Any]:
    """Unowned risks, mitigations past due and not done, live risks past their review date."""
    if live is None:
        return {"unowned_risks": None, "overdue_mitigations": None, "overdue_reviews": None}
    return {
        "unowned_risks": [_risk(r) for r in live if (r["owner"] or "").strip().lower() in NOBODY],
        "overdue_mitigations": sorted(
            (
                {
                    "mitigation_id": m["id"],
                    "description": m["description"],
                    "owner": m["owner"],
                    "due_on": m["dueOn"],
                    "risk_id": r["id"],
                    "risk_code": r["code"],
                }
                for r in live
                for m in r.get("mitigations") or []
                if m["status"] in OPEN_MITIGATION and m["dueOn"] < as_of
            ),
            key=lambda m: (m["due_on"], m["risk_code"], int(m["mitigation_id"])),
        ),
        "overdue_reviews": sorted(
            (
                {**_risk(r), "review_on": r["reviewOn"]}
                for r in live
                if r.get("reviewOn") and r["reviewOn"] < as_of
            ),
            key=lambda r: (r["review_on"], r["code"]),
        ),
    }


def _risk(r: dict[str, Any]) -> dict[str, Any]:
    return {"risk_id": r["id"], "code": r["code"], "title": r["title"], "owner": r["owner"]}


def kpi_exceptions(
    kpis: list[dict[str, Any]] | None, missing: Any, late: Any, month: Period
) -> dict[str, Any]:
    """KPIs with no value up to the pack's month, every period due by the cut-off that never
    came (per KPI), and the values due in the month that came in late."""
    if kpis is None:
        return {"kpis_without_data": None, "kpi_values_missing": None, "kpi_values_late": None}
    names = {k["code"]: k for k in kpis}
    overdue = group_by([s for s in rows(missing) if s["kpiCode"] in names], lambda s: s["kpiCode"])
    return {
        "kpis_without_data": [
            {"kpi_id": k["kpi_id"], "code": k["code"], "name": k["name"]}
            for k in kpis
            if k["latest"] is None
        ],
        "kpi_values_missing": None
        if missing is None
        else [
            {
                "code": code,
                "name": names[code]["name"],
                "periods": [s["period"] for s in sorted(found, key=lambda s: s["due"])],
                "oldest_due": min(s["due"] for s in found),
            }
            for code, found in sorted(overdue.items())
        ],
        "kpi_values_late": None
        if late is None
        else [
            {
                "code": s["kpiCode"],
                "name": names[s["kpiCode"]]["name"],
                "period": s["period"],
                "due": s["due"],
                "received_on": s["receivedAt"][:10],
            }
            for s in sorted(rows(late), key=lambda s: (s["due"], s["kpiCode"]))
            if s["kpiCode"] in names and month.contains(s["due"])
        ],
    }


def _ref(p: dict[str, Any]) -> dict[str, Any]:
    return {"programme_id": p["programme_id"], "code": p["code"], "name": p["name"]}
