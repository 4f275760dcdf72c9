"""Section 2, the headline: the position by aim and each programme's DCA this month and last."""

from __future__ import annotations

from collections import Counter
from typing import Any

from services.common.grouping import group_by
from services.reporting.sections.common import DCA_SCALE


def headline(
    programmes: list[dict[str, Any]],
    raid: dict[str, Any] | None = None,
    kpis: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``raid`` and ``kpis``: sections 5 and 6, whose headlines join the key messages."""
    by_aim = group_by(programmes, lambda p: p["aim"] or "No aim recorded")
    moves = Counter(p["dca_change"] for p in programmes)
    return {
        "by_aim": [
            {
                "aim": aim,
                "programme_count": len(group),
                "dca_counts": _counts(group),
                "worst": next(
                    (d for d in reversed(DCA_SCALE) if _counts(group).get(d)),
                    None,
                ),
            }
            for aim, group in sorted(by_aim.items())
        ],
        "dca_counts": _counts(programmes),
        "moves": {k: moves.get(k, 0) for k in ("improved", "worse", "same", "new", "none")},
        "key_messages": _messages(programmes) + _raid_messages(raid) + _kpi_messages(kpis),
    }


def _counts(group: list[dict[str, Any]]) -> dict[str, int]:
    found = Counter(p["dca"]["value"] for p in group if p["dca"])
    return {d: found[d] for d in DCA_SCALE if found[d]}


def _messages(programmes: list[dict[str, Any]]) -> list[str]:
    """Messages a board member should not miss, derived from the figures (no free text)."""
    messages = []
    worse = [p["code"] for p in programmes if p["dca_change"] == "worse"]
    if worse:
        messages.append(f"Delivery confidence fell for {', '.join(worse)}.")
    better = [p["code"] for p in programmes if p["dca_change"] == "improved"]
    if better:
        messages.append(f"Delivery confidence rose for {', '.join(better)}.")
    red = [p["code"] for p in programmes if p["dca"] and p["dca"]["rag"] == "Red"]
    if red:
        messages.append(f"{len(red)} programme(s) at Red or Amber/Red: {', '.join(red)}.")
    melons = [p["code"] for p in programmes if p["evidence"] and p["evidence"]["watermelon"]]
    if melons:
        messages.append(
            f"Declared confidence is greener than the evidence for {', '.join(melons)}."
        )
    silent = [p["code"] for p in programmes if not p["dca"]]
    if silent:
        messages.append(f"No highlight report yet from {', '.join(silent)}.")
    return messages


def _raid_messages(raid: dict[str, Any] | None) -> list[str]:
    messages = []
    escalated = (raid or {}).get("escalated_risks")
    if escalated:
        codes = ", ".join(r["code"] for r in escalated)
        many = "risks" if len(escalated) > 1 else "risk"
        messages.append(f"{len(escalated)} {many} escalated this month: {codes}.")
    dependencies = (raid or {}).get("dependencies_at_risk")
    if dependencies:
        codes = ", ".join(f"{d['code']} ({d['status']})" for d in dependencies)
        many = "dependencies" if len(dependencies) > 1 else "dependency"
        messages.append(f"{len(dependencies)} {many} at risk: {codes}.")
    return messages


def _kpi_messages(kpis: list[dict[str, Any]] | None) -> list[str]:
    members = [k for aim in kpis or [] for o in aim.get("outcomes") or [] for k in o["kpis"]]
    known = [k["latest"] for k in members if k["latest"]]
    if not known:
        return []
    red = sum(1 for m in known if m["colour"] == "Red")
    rest = f"{red} Red; {len(members) - len(known)} have no value yet."
    # on target is the KPI service's judgement: its aims' composites, which cover every KPI
    composites = [aim.get("composite") for aim in kpis or []]
    if any(c is None for c in composites):
        return [f"KPIs: {len(known)} with a value, {rest}"]
    on_target = sum(c["on_target"] for c in composites if c is not None)
    return [f"KPIs: {on_target} of {len(known)} with a value are on target, {rest}"]
