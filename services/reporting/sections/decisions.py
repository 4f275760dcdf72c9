"""Section 8, the decisions and escalations log for the period: decisions recorded by the
pack's programme boards and the boards above them, and escalations raised or resolved in the
month. Both go by business dates (the day raised, the day the board decided), never by when a
row was written: a month recorded late reads the same as one recorded on time."""

from __future__ import annotations

from typing import Any

from services.reporting.periods import Period
from services.reporting.sources import rows


def log(boards: Any, programmes_raw: list[dict[str, Any]], period: Period) -> dict[str, Any] | None:
    if boards is None:
        return None
    ids = {p["id"] for p in programmes_raw}
    decisions = [
        {
            "decision_id": d["id"],
            "board_id": b["id"],
            "board": b["code"],
            "board_name": b["name"],
            "decided_on": d["decidedOn"],
            "decision": d["decision"],
            "decided_by": d["decidedBy"],
            "reference": d.get("reference"),
            "escalation_id": d.get("escalationId"),
        }
        for b in rows(boards)
        if b.get("programmeId") is None or b.get("programmeId") in ids
        for d in rows(b.get("decisions"))
        if period.contains(d["decidedOn"])
    ]
    decisions.sort(key=lambda d: (d["decided_on"], int(d["decision_id"])))
    escalations = [
        {
            "escalation_id": e["id"],
            "programme_code": p["code"],
            "kind": e["kind"],
            "title": e["title"],
            "status": status_at(e, period),
            "board": (e.get("board") or {}).get("code"),
            "raised_on": e["raisedOn"],
            "resolved_on": _resolved_on(e, period),
            "resolution_decision_id": (e.get("resolutionDecision") or {}).get("id")
            if _resolved_on(e, period)
            else None,
        }
        for p in programmes_raw
        for e in rows(p.get("escalations"))
        if period.contains(e["raisedOn"]) or period.contains(_resolved_on(e, period))
    ]
    escalations.sort(key=lambda e: (e["raised_on"], int(e["escalation_id"])))
    return {"decisions": decisions, "escalations": escalations}


def _resolved_on(escalation: dict[str, Any], period: Period) -> str | None:
    """The day the board decided the escalation, if by the month's end."""
    decided = (escalation.get("resolutionDecision") or {}).get("decidedOn")
    return decided if decided is not None and decided <= period.last.isoformat() else None


def status_at(escalation: dict[str, Any], period: Period) -> str:
    """The escalation's status at the month's end, by business dates: one resolved by a later
    decision was still open then (the row knows no date for a closing, so closed stays closed)."""
    status = str(escalation["status"])
    if status == "resolved" and _resolved_on(escalation, period) is None:
        return "open"
    return status


def raised_by_end(escalation: dict[str, Any], period: Period) -> bool:
    """Raised by the month's end: one raised later is not in the month's pack at all."""
    return str(escalation["raisedOn"]) <= period.last.isoformat()
