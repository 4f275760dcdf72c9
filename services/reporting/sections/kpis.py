"""Section 6, the KPI scorecard. For now each programme's KPIs with their latest value; the
scorecard by aim and outcome (sparklines, SPC signals, composites) slots in here when the KPI
service offers them."""

from __future__ import annotations

from typing import Any

from services.reporting.sources import rows


def scorecard(kpis: Any) -> list[dict[str, Any]] | None:
    if kpis is None:
        return None
    return [row(k) for k in sorted(rows(kpis), key=lambda k: k["code"])]


def row(kpi: dict[str, Any]) -> dict[str, Any]:
    latest = kpi.get("latest")
    return {
        "kpi_id": kpi["id"],
        "code": kpi["code"],
        "name": kpi["name"],
        "unit": kpi["unit"],
        "target": kpi.get("target"),
        "tolerance": kpi.get("tolerance"),
        "higher_is_better": kpi.get("higherIsBetter"),
        "latest": None
        if latest is None
        else {
            "measurement_id": latest["id"],
            "period": latest["period"],
            "value": latest["value"],
            "revision": latest["revision"],
            "colour": latest.get("colour"),
            "direction": latest.get("direction"),
        },
    }
