"""The pack's content from what the sources read: deterministic for the same inputs (sorted,
no clock), every figure carrying the id of the record it came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.reporting.periods import Period
from services.reporting.sections import (
    decisions,
    exceptions,
    headline,
    kpis,
    programmes,
    purpose,
    raid,
)
from services.reporting.sections import savings as savings_section
from services.reporting.sections.common import in_council_words
from services.reporting.sources import rows

SECTIONS = (
    ("purpose", "1. Purpose and asks"),
    ("headline", "2. Headline"),
    ("programmes", "3. Programme summaries"),
    ("savings", "4. Savings"),
    ("raid", "5. RAID"),
    ("kpis", "6. KPI scorecard"),
    ("exceptions", "7. Exceptions"),
    ("decisions", "8. Decisions and escalations"),
)

# the plan-wide reads behind section 5: any of them blank is the RAID section unavailable
RAID_READS = {
    "currentHeatMap",
    "inherentHeatMap",
    "newRisks",
    "escalatedRisks",
    "issuesPastDue",
    "riskRegister",
    "dependenciesAtRisk",
    "dependencyMap",
}
# and behind section 6, the KPI scorecard
KPI_READS = {
    "kpis",
    "missingKpiValues",
    "lateKpiValues",
    "aimComposites",
    "outcomeComposites",
    "vitalComposites",
}


def compose(
    *,
    period: str,
    data: dict[str, Any],
    errors: Sequence[dict[str, Any]],
    portfolio_code: str | None = None,
    asks: Sequence[dict[str, Any]] = (),
    smart: dict[str, Any] | None = None,
    confidence: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    month = Period.parse(period)
    data = in_council_words(data)
    raw = sorted(rows(data.get("programmes")), key=lambda p: p["code"])
    checks = {str(c["programme_id"]): c for c in confidence or []}
    own = kpis.owned(data.get("kpis"))
    summaries = [
        programmes.summary(
            p, month, checks.get(str(p["id"])), None if own is None else own.get(p["code"], [])
        )
        for p in raw
    ]
    aims = {p["aim"]["code"]: p["aim"]["name"] for p in raw if p.get("aim")}
    composites = kpis.composites(data)
    scorecard = kpis.by_aim(data.get("kpis"), aims, period, composites)
    raid_board = raid.board(data, {str(p["id"]): p["code"] for p in raw}, portfolio_code)
    title = f"CPMO assurance pack, {portfolio_code + ', ' if portfolio_code else ''}{period}"
    return {
        "title": title,
        "period": period,
        "previous_period": month.previous().code,
        "as_of": month.as_of.isoformat(),
        "portfolio_code": portfolio_code,
        "programme_count": len(summaries),
        "unavailable_sections": sorted({_section(e) for e in errors}),
        "sections": [{"key": k, "title": t} for k, t in SECTIONS],
        "purpose": purpose.purpose([dict(a) for a in asks], raw, title, month),
        "headline": headline.headline(summaries, raid_board, scorecard),
        "programmes": summaries,
        "savings": savings_section.savings(
            data.get("savingsInitiatives"), summaries, month.financial_year
        ),
        "kpis": scorecard,
        "vital_signs": kpis.vital_signs(data.get("kpis"), period, composites["vital"]),
        "raid": raid_board,
        "exceptions": exceptions.exceptions(
            summaries,
            smart,
            period,
            live_risks=raid.live_risks(
                data.get("riskRegister"), {str(p["id"]) for p in raw}, portfolio_code
            ),
            kpis=kpis.flat(scorecard),
            missing=data.get("missingKpiValues"),
            late=data.get("lateKpiValues"),
        ),
        "decisions": decisions.log(data.get("boards"), raw, month),
    }


def _section(error: dict[str, Any]) -> str:
    """The part of the pack an error blanked: a programme's field (risks, kpis; the gateway's path
    may or may not carry the list index), a top-level read (savingsInitiatives, boards,
    assurance), else the service the gateway named."""
    # a page's ``items`` is the list, not a section: programmes.items.0.risks is "risks"
    fields = [p for p in error.get("path") or [] if isinstance(p, str) and p != "items"]
    if fields and fields[0] in RAID_READS:
        return "raid"
    if fields and fields[0] in KPI_READS:
        return "kpis"
    if len(fields) > 1:
        return fields[1]
    if fields and fields[0] != "programmes":
        return fields[0]
    return str((error.get("extensions") or {}).get("service") or "query")
