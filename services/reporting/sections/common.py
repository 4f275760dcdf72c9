"""Small pieces every section uses: people, money, the DCA scale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# The five-point Delivery Confidence Assessment, greenest first: a lower index is better.
DCA_SCALE = ("Green", "Amber/Green", "Amber", "Amber/Red", "Red")


def person(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else {"person_id": value["id"], "name": value["name"]}


def money(value: Any) -> str:
    """Money as an exact decimal string: JSON floats would make the pack's hash depend on
    rounding."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def dca_change(now: str | None, before: str | None) -> str:
    """How the DCA moved since last month: improved, worse, same, new or none."""
    if now is None or now not in DCA_SCALE:
        return "none"
    if before is None or before not in DCA_SCALE:
        return "new"
    step = DCA_SCALE.index(now) - DCA_SCALE.index(before)
    return "same" if step == 0 else ("improved" if step < 0 else "worse")


# The programmes and risks graphs answer statuses and kinds as GraphQL enum names (AMBER_GREEN); the
# pack prints the council's words, as it always has. One table per enum the pack reads (the
# tests hold each to the supergraph's values), and where the pack's query reads each: a field
# of the object under that parent field (a page's ``items`` is passed through).
COUNCIL_WORDS: dict[str, dict[str, str]] = {
    "DCA": {
        "GREEN": "Green",
        "AMBER_GREEN": "Amber/Green",
        "AMBER": "Amber",
        "AMBER_RED": "Amber/Red",
        "RED": "Red",
    },
    "CommonRag": {"GREEN": "Green", "AMBER": "Amber", "RED": "Red"},
    "SavingsRag": {"GREEN": "Green", "AMBER": "Amber", "RED": "Red"},
    "DeliveryStatus": {
        "NOT_STARTED": "Not started",
        "IN_PROGRESS": "In progress",
        "ON_TRACK": "On track",
        "AT_RISK": "At risk",
        "LATE": "Late",
        "COMPLETED": "Completed",
    },
    "EscalationKind": {
        "PROGRAMME_EXCEPTION": "programme_exception",
        "RISK": "risk",
        "ISSUE": "issue",
    },
    "EscalationStatus": {"OPEN": "open", "RESOLVED": "resolved", "CLOSED": "closed"},
    "RiskStatus": {
        "OPEN": "Open",
        "TREATING": "Treating",
        "TOLERATED": "Tolerated",
        "CLOSED": "Closed",
        "MATERIALISED": "Materialised",
    },
    "BoardKind": {
        "PROGRAMME_BOARD": "Programme Board",
        "DIRECTORATE_BOARD": "Directorate Board",
        "TIB": "TIB",
        "IRB": "IRB",
        "COMMITTEE": "Committee",
    },
}
READ_AS: dict[str, dict[str, str]] = {
    "latestHighlightReport": {"dca": "DCA", "dcaRag": "CommonRag"},
    "previousHighlightReport": {"dca": "DCA", "dcaRag": "CommonRag"},
    "keyActivities": {"status": "DeliveryStatus"},
    "escalations": {"kind": "EscalationKind", "status": "EscalationStatus"},
    "board": {"kind": "BoardKind"},
    "boards": {"kind": "BoardKind"},
    "savingsInitiatives": {"rag": "SavingsRag"},
    "risks": {"status": "RiskStatus"},
    "riskRegister": {"status": "RiskStatus"},
    "newRisks": {"status": "RiskStatus"},
    "escalatedRisks": {"status": "RiskStatus"},
}


def in_council_words(value: Any, parent: str = "") -> Any:
    """What the pack's query answered, each enum name it reads put back into the council's
    words. Words already (a pack's stored data, a test's) and anything else stay as they are."""
    if isinstance(value, list):
        return [in_council_words(item, parent) for item in value]
    if not isinstance(value, dict):
        return value
    enums = READ_AS.get(parent, {})
    return {
        key: COUNCIL_WORDS[enums[key]].get(item, item)
        if key in enums and isinstance(item, str)
        else in_council_words(item, parent if key == "items" else key)
        for key, item in value.items()
    }
