"""What changed between two packs: DCA moves, programmes in or out, new and closed risks,
KPI colour changes, savings totals. Read from the stored content, so any two packs compare."""

from __future__ import annotations

from typing import Any


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    old = {p["code"]: p for p in before.get("programmes") or []}
    new = {p["code"]: p for p in after.get("programmes") or []}
    both = sorted(old.keys() & new.keys())
    dca_moves = []
    for code in both:
        was, now = _dca(old[code]), _dca(new[code])
        if was != now:
            dca_moves.append({"code": code, "from": was, "to": now})
    risks_before = {r["risk_id"]: r for p in old.values() for r in p.get("top_risks") or []}
    risks_after = {
        r["risk_id"]: {**r, "programme_code": p["code"]}
        for p in new.values()
        for r in p.get("top_risks") or []
    }
    colours = []
    for code in both:
        was_k = {k["code"]: _colour(k) for k in old[code].get("kpi_scorecard") or []}
        for k in new[code].get("kpi_scorecard") or []:
            if k["code"] in was_k and was_k[k["code"]] != _colour(k):
                colours.append(
                    {
                        "programme_code": code,
                        "kpi": k["code"],
                        "from": was_k[k["code"]],
                        "to": _colour(k),
                    }
                )
    return {
        "periods": [before.get("period"), after.get("period")],
        "dca_moves": dca_moves,
        "programmes_added": sorted(new.keys() - old.keys()),
        "programmes_removed": sorted(old.keys() - new.keys()),
        "new_risks": [
            {k: r[k] for k in ("risk_id", "code", "title", "programme_code", "residual_score")}
            for rid, r in sorted(risks_after.items())
            if rid not in risks_before
        ],
        "risks_gone": sorted(risks_before.keys() - risks_after.keys()),
        "kpi_colour_changes": colours,
        "savings_total": {"before": _savings(before), "after": _savings(after)},
    }


def _dca(p: dict[str, Any]) -> str | None:
    return (p.get("dca") or {}).get("value")


def _colour(kpi: dict[str, Any]) -> str | None:
    return (kpi.get("latest") or {}).get("colour")


def _savings(content: dict[str, Any]) -> dict[str, Any] | None:
    total = (content.get("savings") or {}).get("total")
    if total is None:
        return None
    return {k: total[k] for k in ("target", "forecast", "delivered", "at_risk")}
