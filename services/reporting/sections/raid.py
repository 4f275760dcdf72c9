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
            "status": r["status"],
        }
        for r in rows(risks)
    ]
