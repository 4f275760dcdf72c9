"""Section 4, savings against the year's target, by programme and by directorate.

At risk is the undelivered part of the target of every initiative not rated Green (Red or
Amber by the savings service's rule): money the plan counts on that is not on track."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.reporting.sections.common import money
from services.reporting.sources import rows

FIGURES = ("target", "forecast", "delivered", "at_risk")


def savings(
    initiatives: Any, programmes: list[dict[str, Any]], financial_year: str
) -> dict[str, Any] | None:
    if initiatives is None:
        return None
    codes = {p["programme_id"]: p for p in programmes}
    chosen = [i for i in rows(initiatives) if i["programmeId"] in codes]
    by_programme: dict[str, dict[str, Any]] = {}
    by_directorate: dict[str, dict[str, Any]] = {}
    total = _group("All programmes")
    items = []
    for i in sorted(chosen, key=lambda i: i["code"]):
        programme = codes[i["programmeId"]]
        figures = _figures(i)
        p_group = by_programme.setdefault(
            programme["code"],
            {
                **_group(f"{programme['code']} {programme['name']}"),
                "programme_id": programme["programme_id"],
            },
        )
        directorate = i.get("directorate") or programme.get("directorate") or "Not recorded"
        d_group = by_directorate.setdefault(directorate, _group(directorate))
        for group in (p_group, d_group, total):
            group["initiative_ids"].append(i["id"])
            for key in FIGURES:
                group["_sum"][key] += figures[key]
        items.append(
            {
                "savings_id": i["id"],
                "code": i["code"],
                "title": i["title"],
                "programme_code": programme["code"],
                "directorate": directorate,
                "rag": i["rag"],
                "late_reason": i.get("lateReason"),
                **{key: money(figures[key]) for key in FIGURES},
            }
        )
    return {
        "financial_year": financial_year,
        "by_programme": [_close(g) for _, g in sorted(by_programme.items())],
        "by_directorate": [_close(g) for _, g in sorted(by_directorate.items())],
        "total": _close(total),
        "initiatives": items,
    }


def _figures(i: dict[str, Any]) -> dict[str, Decimal]:
    target, forecast, delivered = (Decimal(str(i[k])) for k in ("target", "forecast", "delivered"))
    at_risk = max(target - delivered, Decimal(0)) if i["rag"] != "Green" else Decimal(0)
    return {"target": target, "forecast": forecast, "delivered": delivered, "at_risk": at_risk}


def _group(label: str) -> dict[str, Any]:
    return {"label": label, "initiative_ids": [], "_sum": {k: Decimal(0) for k in FIGURES}}


def _close(group: dict[str, Any]) -> dict[str, Any]:
    sums = group.pop("_sum")
    return {**group, **{k: money(v) for k, v in sums.items()}}
