"""Which version of each record the pack was composed from: every figure names its record's id
(``highlight_report_id``, ``risk_id``, ...); ``record_versions[kind][id]`` names its version.

Read from what the sources returned, by the field each record came under, so the sections need
not carry versions themselves and a record shown twice is listed once."""

from __future__ import annotations

from typing import Any

# The query's field -> the kind of record under it (the council's words, as the pack's ids say).
KINDS = {
    "programmes": "programme",
    "latestHighlightReport": "highlight_report",
    "previousHighlightReport": "highlight_report",
    "keyActivities": "key_activity",
    "escalations": "escalation",
    "risks": "risk",
    "newRisks": "risk",
    "escalatedRisks": "risk",
    "kpis": "kpi",
    "latest": "kpi_value",  # a KPI value's version is its revision
    "savingsInitiatives": "savings_initiative",
    "issuesPastDue": "issue",
    "boards": "board",
}
# A page's rows sit under ``items``: they are of the kind of the field holding the page.
TRANSPARENT = {"items"}


def record_versions(data: dict[str, Any]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}

    def walk(value: Any, field: str | None) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, field)
            return
        if not isinstance(value, dict):
            return
        kind = KINDS.get(field or "")
        version = value.get("version", value.get("revision"))
        if kind is not None and value.get("id") is not None and isinstance(version, int):
            found.setdefault(kind, {})[str(value["id"])] = version
        for key, child in value.items():
            walk(child, field if key in TRANSPARENT else key)

    walk(data, None)
    return {kind: dict(sorted(ids.items())) for kind, ids in sorted(found.items())}
