"""Section 1, purpose and asks: what the board is asked to note, endorse or decide. Asks
entered for the pack come first, then those raised by the data: escalations open before the
TIB."""

from __future__ import annotations

from typing import Any

from services.reporting.periods import Period
from services.reporting.sections.decisions import raised_by_end, status_at

BOARD = "TIB"


def purpose(
    asks: list[dict[str, Any]], programmes_raw: list[dict[str, Any]], title: str, period: Period
) -> dict[str, Any]:
    """Escalations awaiting the board at the month's end: raised by then and still open then."""
    awaiting = []
    for p in programmes_raw:
        for e in p.get("escalations") or []:
            board = e.get("board") or {}
            if not raised_by_end(e, period) or board.get("kind") != BOARD:
                continue
            if status_at(e, period) == "open":
                awaiting.append(
                    {
                        "escalation_id": e["id"],
                        "programme_code": p["code"],
                        "kind": e["kind"],
                        "title": e["title"],
                        "reason": e["reason"],
                        "raised_by": e["raisedBy"],
                        "raised_on": e["raisedOn"],
                        "board": board.get("code"),
                    }
                )
    awaiting.sort(key=lambda e: int(e["escalation_id"]))
    return {
        "purpose": (
            f"{title}: the position of each improvement programme for the board to hold its "
            "Senior Accountable Officer to account."
        ),
        "asks": [{**a, "source": "entered"} for a in asks]
        + [
            {
                "kind": "decide",
                "text": f"Escalation from {e['programme_code']}: {e['title']}",
                "source": "escalation",
                "escalation_id": e["escalation_id"],
            }
            for e in awaiting
        ],
        "escalations_awaiting": awaiting,
    }
