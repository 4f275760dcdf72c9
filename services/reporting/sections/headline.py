"""Section 2, the headline: the position by aim and each programme's DCA this month and last."""

from __future__ import annotations

from collections import Counter
from typing import Any

from services.reporting.sections.common import DCA_SCALE


def headline(programmes: list[dict[str, Any]]) -> dict[str, Any]:
    by_aim: dict[str, list[dict[str, Any]]] = {}
    for p in programmes:
        by_aim.setdefault(p["aim"] or "No aim recorded", []).append(p)
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
        "key_messages": _messages(programmes),
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
