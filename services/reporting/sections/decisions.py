"""Section 8, the decisions and escalations log for the period: decisions recorded by the
pack's programme boards and the boards above them, and escalations raised, moved or resolved
in the month."""

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
            "status": e["status"],
            "board": (e.get("board") or {}).get("code"),
            "raised_on": e["createdAt"][:10],
            "updated_on": e["updatedAt"][:10],
            "resolution_decision_id": (e.get("resolutionDecision") or {}).get("id"),
        }
        for p in programmes_raw
        for e in rows(p.get("escalations"))
        if period.contains(e["createdAt"][:10]) or period.contains(e["updatedAt"][:10])
    ]
    escalations.sort(key=lambda e: int(e["escalation_id"]))
    return {"decisions": decisions, "escalations": escalations}
