"""Section 7, exceptions: what is missing or failing, so the board sees it without hunting.
Unowned risks, overdue mitigations and KPIs without data slot in with the RAID and KPI work."""

from __future__ import annotations

from typing import Any


def exceptions(
    programmes: list[dict[str, Any]], smart: dict[str, Any] | None, period: str
) -> dict[str, Any]:
    ids = {p["programme_id"] for p in programmes}
    return {
        "missing_reports": [_ref(p) for p in programmes if not p["dca"]],
        "stale_reports": [
            {
                **_ref(p),
                "last_period": p["dca"]["period"],
                "highlight_report_id": p["dca"]["highlight_report_id"],
            }
            for p in programmes
            if p["dca"] and p["dca"]["period"] != period
        ],
        "slipped_milestones": [
            {**m, "programme_code": p["code"]}
            for p in programmes
            for m in p["milestones"]["slipped"]
        ],
        "no_rdl": [_ref(p) for p in programmes if p["rdl"] is None],
        "smart_failures": None
        if smart is None
        else [
            {
                "test": f["test"],
                "item": f["item"],
                "item_id": str(f["item_id"]),
                "programme_code": f["programme_code"],
                "ref": f["ref"],
                "detail": f["detail"],
            }
            for f in smart["failures"]
            if str(f["programme_id"]) in ids
        ],
    }


def _ref(p: dict[str, Any]) -> dict[str, Any]:
    return {"programme_id": p["programme_id"], "code": p["code"], "name": p["name"]}
