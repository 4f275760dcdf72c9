"""Section 6, the KPI scorecard by aim and outcome: each KPI's colour, direction of travel, a
sparkline of its values up to the pack's month, its latest SPC signal and benchmark rank; the
composites (% on target, % improving) per aim, outcome and vital signs.

The composites are the KPI service's (``kpiComposites(upToPeriod:)``, one read per grouping):
it owns the rule, and up to the pack's month it judges the same value per KPI as the
scorecard's ``latest(upToPeriod:)``. The pack adds only which of its rows each counts."""

from __future__ import annotations

import re
from typing import Any

from services.reporting.sections.common import enum_word
from services.reporting.sources import rows

# How many points a sparkline shows: two years of a monthly KPI, all of a quarterly one's.
SPARK_POINTS = 24

# The KPI service's period formats (services/kpis/periods.py) and the month each ends in:
# 2024-07; a financial quarter 2024/25 Q1 (April-June); a financial year 2024/25; a survey 2024.
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})/\d{2} Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})/\d{2}$")
_SURVEY = re.compile(r"^(\d{4})$")


def ends_in(text: str) -> str | None:
    """The month (YYYY-MM) a KPI period ends in, to judge it against the pack's month."""
    if _MONTH.match(text):
        return text
    if found := _QUARTER.match(text):
        months = int(found.group(1)) * 12 + 3 + 3 * int(found.group(2)) - 1
        return f"{months // 12}-{months % 12 + 1:02d}"
    if found := _YEAR.match(text):
        return f"{int(found.group(1)) + 1}-03"
    if found := _SURVEY.match(text):
        return f"{found.group(1)}-12"
    return None


def _known_by(text: str, period: str) -> bool:
    end = ends_in(text)
    return end is not None and end <= period


def scorecard(kpis: Any) -> list[dict[str, Any]] | None:
    """A programme's own KPIs with their latest value (the per-programme tables)."""
    if kpis is None:
        return None
    return [row(k) for k in sorted(rows(kpis), key=lambda k: k["code"])]


def owned(kpis: Any) -> dict[str, list[dict[str, Any]]] | None:
    """The plan's KPIs by the programme that owns them; None when KPIs could not be read."""
    if kpis is None:
        return None
    found: dict[str, list[dict[str, Any]]] = {}
    for k in rows(kpis):
        if k.get("programmeCode"):
            found.setdefault(k["programmeCode"], []).append(k)
    return found


# The pack's composite reads, by the KPI service's grouping they answer.
COMPOSITE_READS = {
    "aim": "aimComposites",
    "outcome": "outcomeComposites",
    "vital": "vitalComposites",
}


def composites(data: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]] | None]:
    """The KPI service's composites by grouping, then group; a grouping it could not answer is
    None (its composites print as unavailable)."""
    found: dict[str, dict[str, dict[str, Any]] | None] = {}
    for grouping, read in COMPOSITE_READS.items():
        answer = data.get(read)
        found[grouping] = None if answer is None else {c["group"]: c for c in rows(answer)}
    return found


def by_aim(
    kpis: Any,
    aims: dict[str, str],
    period: str,
    service: dict[str, dict[str, dict[str, Any]] | None] | None = None,
) -> list[dict[str, Any]] | None:
    """Each KPI once, under its aim and outcome, with each group's composite as the KPI service
    computed it. None when the KPIs could not be read."""
    if kpis is None:
        return None
    service = service or {}
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for kpi in sorted(rows(kpis), key=lambda k: k["code"]):
        line = full_row(kpi, period)
        groups.setdefault(line["aim_code"] or "", {}).setdefault(line["outcome"] or "", []).append(
            line
        )
    return [
        {
            "aim_code": aim,
            "aim_name": aims.get(aim, aim or "No aim"),
            "composite": composite(
                aim, [k for ks in outcomes.values() for k in ks], service.get("aim")
            ),
            "outcomes": [
                {
                    "outcome": outcome,
                    "composite": composite(outcome, members, service.get("outcome")),
                    "kpis": members,
                }
                for outcome, members in sorted(outcomes.items())
            ],
        }
        for aim, outcomes in sorted(groups.items())
    ]


def vital_signs(
    kpis: Any, period: str, service: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any] | None:
    """The vital signs: the KPIs a directorate watches most closely, and each directorate's
    composite as the KPI service computed it (it groups vital signs by directorate)."""
    if kpis is None:
        return None
    vital = [k for k in sorted(rows(kpis), key=lambda k: k["code"]) if k.get("vitalSign")]
    by_directorate: dict[str, list[dict[str, Any]]] = {}
    for k in vital:
        by_directorate.setdefault(k.get("directorate") or "(no directorate)", []).append(
            full_row(k, period)
        )
    return {
        "composites": None
        if service is None
        else [
            c
            for d, ks in sorted(by_directorate.items())
            if (c := composite(d, ks, service)) is not None
        ],
        "kpis": [full_row(k, period) for k in vital],
    }


def flat(scorecard: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The scorecard's KPI rows in code order, whatever their aim and outcome."""
    if scorecard is None:
        return None
    found = [k for aim in scorecard for o in aim.get("outcomes", []) for k in o["kpis"]]
    return sorted(found + [k for aim in scorecard for k in aim.get("kpis", [])], key=_code)


def _code(k: dict[str, Any]) -> str:
    return str(k["code"])


def composite(
    group: str, members: list[dict[str, Any]], service: dict[str, dict[str, Any]] | None
) -> dict[str, Any] | None:
    """The KPI service's % on target and % improving for a group, with the ids of the pack's
    rows it counts; None when the service's composites could not be read (or it has none for
    the group)."""
    found = None if service is None else service.get(group)
    if found is None:
        return None
    return {
        "group": group,
        "kpi_count": found["kpiCount"],
        "with_data": found["withData"],
        "on_target": found["onTarget"],
        "improving": found["improving"],
        "on_target_percent": found["onTargetPercent"],
        "improving_percent": found["improvingPercent"],
        "kpi_ids": [k["kpi_id"] for k in members],
    }


def full_row(kpi: dict[str, Any], period: str) -> dict[str, Any]:
    """A scorecard line: the KPI's latest value with colour and direction, its sparkline and
    latest SPC signal up to the pack's month (a later one would change an old pack) and its
    rank in each comparator group."""
    series = kpi.get("series") or {}
    points = [p for p in series.get("points") or [] if _known_by(p["period"], period)]
    return {
        **row(kpi),
        "outcome": kpi.get("outcome"),
        "vital_sign": bool(kpi.get("vitalSign")),
        "programme_code": kpi.get("programmeCode"),
        "signal": _signal(series.get("signals") or [], period),
        "sparkline": [
            {"period": p["period"], "value": p["value"], "colour": enum_word(p.get("colour"))}
            for p in points[-SPARK_POINTS:]
        ],
        "benchmarks": [
            {
                "group": b["comparatorGroup"],
                "period": b["period"],
                "rank": b["councilRank"],
                "of": b["of"],
            }
            for b in sorted(kpi.get("benchmarks") or [], key=lambda b: b["comparatorGroup"])
            if _known_by(b["period"], period)
        ],
    }


def _signal(signals: list[dict[str, Any]], period: str) -> dict[str, str] | None:
    known = [s for s in signals if _known_by(s["period"], period)]
    if not known:
        return None
    last = max(known, key=lambda s: ends_in(s["period"]) or "")
    return {
        "rule": enum_word(last["rule"]) or "",
        "period": last["period"],
        "detail": last["detail"],
    }


def row(kpi: dict[str, Any]) -> dict[str, Any]:
    latest = kpi.get("latest")
    return {
        "kpi_id": kpi["id"],
        "code": kpi["code"],
        "name": kpi["name"],
        "aim_code": kpi.get("aimCode"),
        "unit": kpi["unit"],
        "target": kpi.get("target"),
        "tolerance": kpi.get("tolerance"),
        "higher_is_better": kpi.get("higherIsBetter"),
        "latest": None
        if latest is None
        else {
            "measurement_id": latest["id"],
            "period": latest["period"],
            "value": latest["value"],
            "revision": latest["revision"],
            # GraphQL enums are UPPER_SNAKE; the pack prints the council's words (Blue).
            "colour": enum_word(latest.get("colour")),
            "direction": enum_word(latest.get("direction")),
        },
    }
