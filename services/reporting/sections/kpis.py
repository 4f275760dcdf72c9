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


def _word(value: str | None) -> str | None:
    return None if value is None else value.replace("_", " ").capitalize()


def by_aim(programmes: list[dict[str, Any]], period: str) -> list[dict[str, Any]] | None:
    """The scorecard the board reads: each KPI once, under its aim, with colour, direction and
    its latest SPC signal up to the pack's month (a later signal would change an old pack).
    None when no programme's KPIs could be read."""
    read = [p for p in programmes if p.get("kpis") is not None]
    if programmes and not read:
        return None
    aims = {p["aim"]["code"]: p["aim"]["name"] for p in programmes if p.get("aim")}
    found: dict[str, dict[str, Any]] = {}
    for p in read:
        for kpi in rows(p["kpis"]):
            found.setdefault(kpi["code"], {**row(kpi), "signal": _signal(kpi, period)})
    groups: dict[str, list[dict[str, Any]]] = {}
    for code in sorted(found):
        kpi = found[code]
        groups.setdefault(kpi["aim_code"] or "", []).append(kpi)
    return [
        {"aim_code": aim, "aim_name": aims.get(aim, aim or "No aim"), "kpis": kpis}
        for aim, kpis in sorted(groups.items())
    ]


def _signal(kpi: dict[str, Any], period: str) -> dict[str, str] | None:
    signals = [s for s in ((kpi.get("series") or {}).get("signals") or []) if s["period"] <= period]
    if not signals:
        return None
    last = max(signals, key=lambda s: s["period"])
    return {"rule": _word(last["rule"]) or "", "period": last["period"], "detail": last["detail"]}


def row(kpi: dict[str, Any]) -> dict[str, Any]:
    latest = kpi.get("latest")
    return {
        "kpi_id": kpi["id"],
        "code": kpi["code"],
        "name": kpi["name"],
        "aim_code": kpi.get("aimCode"),
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
            # GraphQL enums are UPPER_SNAKE; the pack prints the council's words (Blue).
            "colour": _word(latest.get("colour")),
            "direction": _word(latest.get("direction")),
        },
    }
