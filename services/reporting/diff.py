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
    risks_before, risks_after = _risks(before), _risks(after)
    was_k, now_k = _kpis(before), _kpis(after)
    colours = [
        {
            "programme_code": now_k[code].get("programme_code"),
            "kpi": code,
            "from": _colour(was_k[code]),
            "to": _colour(now_k[code]),
        }
        for code in sorted(was_k.keys() & now_k.keys())
        if _colour(was_k[code]) != _colour(now_k[code])
    ]
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


def _risks(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pack's live risks by id: its register (current against target) when it has one,
    else (older packs) each programme's top risks."""
    codes = {p["programme_id"]: p["code"] for p in content.get("programmes") or []}
    register = ((content.get("raid") or {}).get("current_vs_target")) or None
    if register is not None:
        return {
            r["risk_id"]: {
                "risk_id": r["risk_id"],
                "code": r["code"],
                "title": r["title"],
                "programme_code": codes.get(r["programme_id"] or ""),
                "residual_score": r["current"],
            }
            for key in ("above_target", "at_target", "no_target")
            for r in register[key]
        }
    return {
        r["risk_id"]: {**r, "programme_code": p["code"]}
        for p in content.get("programmes") or []
        for r in p.get("top_risks") or []
    }


def _kpis(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pack's KPIs by code: its scorecard by aim and outcome, else (older packs) each
    programme's table."""
    aims = content.get("kpis")
    if aims:
        return {
            k["code"]: k
            for aim in aims
            for group in aim.get("outcomes") or [{"kpis": aim.get("kpis") or []}]
            for k in group["kpis"]
        }
    return {
        k["code"]: {**k, "programme_code": p["code"]}
        for p in content.get("programmes") or []
        for k in p.get("kpi_scorecard") or []
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
