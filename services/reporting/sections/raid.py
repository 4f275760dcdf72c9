"""Section 5, RAID. For now each programme's top open risks by residual score; the heat map,
new and escalated risks and the dependency map slot in here when the risks service offers
them."""

from __future__ import annotations

from typing import Any

from services.reporting.sources import rows


def top_risks(risks: Any) -> list[dict[str, Any]] | None:
    if risks is None:
        return None
    return [
        {
            "risk_id": r["id"],
            "code": r["code"],
            "title": r["title"],
            "owner": r["owner"],
            "residual_score": r["residualScore"],
            "inherent_score": r["inherentScore"],
            "status": r["status"].capitalize(),  # RiskStatus names one word each: OPEN
        }
        for r in rows(risks)
    ]


def board(data: dict[str, Any], programme_ids: set[str]) -> dict[str, Any]:
    """The plan's RAID picture for the month: the heat map (current beside inherent, per cell)
    and what is new, escalated or past due. A read the gateway could not answer is None, so the
    pack says "unavailable" rather than "none"."""
    return {
        "heat_map": heat_map(data.get("currentHeatMap"), data.get("inherentHeatMap")),
        "new_risks": _risks(data.get("newRisks"), programme_ids),
        "escalated_risks": _risks(data.get("escalatedRisks"), programme_ids),
        "issues_past_due": _issues(data.get("issuesPastDue"), programme_ids),
    }


def heat_map(current: Any, inherent: Any) -> dict[str, Any] | None:
    if current is None:
        return None
    before = {(c["likelihood"], c["impact"]): c for c in (inherent or {}).get("cells") or []}
    cells = [
        {
            "likelihood": c["likelihood"],
            "impact": c["impact"],
            "score": c["score"],
            "band": c["band"],
            "colour": c["colour"],
            "current": c["count"],
            "current_codes": sorted(c["codes"]),
            "inherent": None if inherent is None else before.get(key, {}).get("count", 0),
        }
        for c in current["cells"]
        for key in [(c["likelihood"], c["impact"])]
    ]
    return {
        "matrix_version": current["matrixVersion"],
        "unscored": current["unscored"],
        "cells": sorted(cells, key=lambda c: (-c["likelihood"], c["impact"])),
    }


def _in_scope(row: dict[str, Any], programme_ids: set[str]) -> bool:
    # plan-wide rows (no programme) belong in every pack; a programme's only in its portfolio's
    programme = row.get("programme")
    return programme is None or str(programme["id"]) in programme_ids


def _risks(risks: Any, programme_ids: set[str]) -> list[dict[str, Any]] | None:
    if risks is None:
        return None
    return [
        {
            "risk_id": r["id"],
            "code": r["code"],
            "title": r["title"],
            "owner": r["owner"],
            "residual_score": r["residualScore"],
            "status": r["status"].capitalize(),  # RiskStatus names one word each: OPEN
            "programme_id": (r.get("programme") or {}).get("id"),
        }
        for r in sorted(rows(risks), key=lambda r: (-r["residualScore"], r["code"]))
        if _in_scope(r, programme_ids)
    ]


def _issues(issues: Any, programme_ids: set[str]) -> list[dict[str, Any]] | None:
    if issues is None:
        return None
    return [
        {
            "issue_id": i["id"],
            "code": i["code"],
            "title": i["title"],
            "owner": i["owner"],
            "due_on": i["dueOn"],
            "severity": i["severity"].capitalize(),
            "programme_id": (i.get("programme") or {}).get("id"),
        }
        for i in sorted(rows(issues), key=lambda i: (i["dueOn"] or "", i["code"]))
        if _in_scope(i, programme_ids)
    ]
