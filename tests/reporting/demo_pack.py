"""A demo reporting month for the 2024 plan, shaped as the pack's sources answer: the real
programmes, people and milestones of the IRP 2024 seed, with invented (labelled demo) DCAs,
savings summing to the plan's £149.8m for 2024/25, escalations and decisions."""

from __future__ import annotations

import calendar
import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from services.reporting.sections.pack import compose

SERVICES = Path(__file__).parents[2] / "services"
SEED = SERVICES / "programmes" / "seed_data" / "irp_2024.json"
KPI_SEED = SERVICES / "kpis" / "seed_data" / "irp_2024_kpis.json"
RISK_SEED = SERVICES / "risks" / "seed_data" / "irp_2024_risks.json"
PERIOD = "2024-07"
DCAS = ("Green", "Amber/Green", "Amber", "Amber/Red", "Red")
RAG = {"Green": "Green", "Amber/Green": "Amber", "Amber": "Amber"}
MONTHS = {m: n for n, m in enumerate(calendar.month_abbr) if m}
TOTAL_SAVINGS = Decimal("149800000")
DEMO_ASK = {
    "kind": "note",
    "text": "Demo data: DCAs, savings, escalations and decisions are invented.",
}


def _pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % n


def _month_end(text: str | None) -> str | None:
    words = (text or "").replace(",", " ").split()
    if len(words) == 2 and words[0][:3] in MONTHS and words[1].isdigit():
        year, month = int(words[1]), MONTHS[words[0][:3]]
        return date(year, month, calendar.monthrange(year, month)[1]).isoformat()
    return None


def data() -> dict[str, Any]:
    seed = json.loads(SEED.read_text())
    aims = {a["code"]: a for a in seed["aims"]}
    people: dict[str, str] = {}
    programmes, initiatives = [], []
    activity_id = 0
    share = TOTAL_SAVINGS / len(seed["programmes"])
    for n, p in enumerate(seed["programmes"], start=1):

        def who(name: str | None) -> dict[str, str] | None:
            if not name:
                return None
            return {"id": people.setdefault(name, str(len(people) + 1)), "name": name}

        now, before = DCAS[_pick(p["code"], 5)], DCAS[_pick(p["code"] + "-06", 5)]
        activities = []
        for a in p["key_activities"]:
            activity_id += 1
            end = _month_end(a.get("end"))
            slipped = end is not None and _pick(a["title"], 6) == 0
            # done by its end: all before the pack's month, half of those ending in it
            completed = (
                end is not None
                and not slipped
                and (end < "2024-07-01" or (end <= "2024-07-31" and _pick(a["title"], 2) == 0))
            )
            activities.append(
                {
                    "id": str(activity_id),
                    "title": a["title"],
                    "startText": a.get("start"),
                    "endText": a.get("end"),
                    "endDate": end,
                    "forecastDate": "2024-10-31" if slipped else None,
                    "actualDate": end if completed else None,
                    "status": "Completed" if completed else "In progress",
                    "owner": p.get("rdl"),
                }
            )
        programmes.append(
            {
                "id": str(n),
                "code": p["code"],
                "name": p["name"],
                "directorate": p.get("directorate"),
                "portfolioCode": "IRP-2024",
                "aimCode": p["aim_code"],
                "aim": {"code": p["aim_code"], "name": aims[p["aim_code"]]["name"]},
                "sao": who(p.get("sao")),
                "rdl": who(p.get("rdl")),
                "leadMember": who(p.get("lead_member")),
                "latestHighlightReport": None
                if n == 16
                else {
                    "id": str(100 + n),
                    "period": "2024-06" if n == 15 else PERIOD,
                    "dca": now,
                    "dcaRag": RAG.get(now, "Red"),
                    "dcaReason": f"Demo: {now} on the evidence of this month's milestones.",
                    "highlights": "Demo: the month's progress as the RDL reported it.",
                    "decisionsNeeded": None,
                    "nextSteps": [{"what": "Demo: next milestone", "when": "Q3", "who": "RDL"}],
                },
                "previousHighlightReport": {
                    "id": "115",
                    "period": "2024-06",
                    "dca": now,
                    "dcaRag": RAG.get(now, "Red"),
                }
                if n == 15
                else {
                    "id": str(200 + n),
                    "period": "2024-06",
                    "dca": before,
                    "dcaRag": RAG.get(before, "Red"),
                },
                "keyActivities": activities,
                "escalations": [
                    {
                        "id": str(n),
                        "kind": "programme_exception",
                        "title": f"Demo: {p['name']} needs a decision on resourcing",
                        "reason": "Demo: beyond the programme board's tolerance",
                        "status": "open",
                        "raisedBy": "demo",
                        "raisedOn": "2024-07-09",
                        "board": {
                            "id": "1",
                            "code": "TIB",
                            "name": "Transformation and Improvement Board",
                            "kind": "TIB",
                        },
                        "resolutionDecision": None,
                    }
                ]
                if now == "Red"
                else [],
                "risks": [
                    {
                        "id": str(n * 10 + k),
                        "code": f"R-{p['code']}-{k}",
                        "title": f"Demo risk {k} of {p['code']}",
                        "owner": p.get("sao"),
                        "residualScore": 20 - 4 * k,
                        "inherentScore": 30 - 5 * k,
                        "status": "Open",
                    }
                    for k in range(1, 3)
                ],
            }
        )
        for k, part in enumerate((Decimal("0.6"), Decimal("0.4")), start=1):
            target = (share * part).quantize(Decimal("1"))
            forecast = target * Decimal(("1", "0.95", "0.8")[_pick(p["code"] + str(k), 3)])
            initiatives.append(
                {
                    "id": str(n * 10 + k),
                    "code": f"SAV-{p['code']}-{k}",
                    "title": f"Demo saving {k} of {p['name']}",
                    "programmeId": str(n),
                    "directorate": ("Finance", "People", "Place", "Children")[n % 4],
                    "target": str(target),
                    "forecast": str(forecast.quantize(Decimal("1"))),
                    "delivered": str((forecast * Decimal("0.3")).quantize(Decimal("1"))),
                    "rag": "Green"
                    if forecast >= target
                    else ("Amber" if forecast >= target * Decimal("0.9") else "Red"),
                    "late": forecast < target,
                    "lateReason": None if forecast >= target else "forecast below target",
                }
            )
    return {
        "programmes": programmes,
        "savingsInitiatives": initiatives,
        **raid(programmes),
        **register(programmes),
        **kpi_reads(),
        "boards": [
            {
                "id": "1",
                "code": "TIB",
                "name": "Transformation and Improvement Board",
                "kind": "TIB",
                "programmeId": None,
                "decisions": [
                    {
                        "id": "1",
                        "decidedOn": "2024-07-18",
                        "decision": "Demo: endorse the revised savings profile",
                        "decidedBy": "TIB",
                        "reference": "TIB/2024/07/1",
                        "escalationId": None,
                    }
                ],
            }
        ],
    }


# Where each demo risk sits: (likelihood, impact) now, and before mitigation.
PLACES = {1: ((4, 4), (5, 5)), 2: ((3, 4), (4, 5))}


def _band(score: int) -> tuple[str, str]:
    if score >= 15:
        return "Very high", "#c62828"
    if score >= 8:
        return "High", "#ef6c00"
    return ("Medium", "#f9a825") if score >= 4 else ("Low", "#2e7d32")


def _heat_map(kind: str, places: dict[tuple[int, int], list[str]]) -> dict[str, Any]:
    cells = []
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            band, colour = _band(likelihood * impact)
            codes = places.get((likelihood, impact), [])
            cells.append(
                {
                    "likelihood": likelihood,
                    "impact": impact,
                    "score": likelihood * impact,
                    "band": band,
                    "colour": colour,
                    "count": len(codes),
                    "codes": codes,
                }
            )
    return {"scoreKind": kind, "matrixVersion": 1, "unscored": 0, "cells": cells}


def raid(programmes: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan's RAID reads for the month, from the demo risks above: two demo risks per
    programme, the first of each Red programme escalated, every fifth programme's new."""
    now: dict[tuple[int, int], list[str]] = {}
    before: dict[tuple[int, int], list[str]] = {}
    new, escalated = [], []
    for p in programmes:
        for risk in p["risks"]:
            k = int(risk["code"].rsplit("-", 1)[1])
            now.setdefault(PLACES[k][0], []).append(risk["code"])
            before.setdefault(PLACES[k][1], []).append(risk["code"])
            found = {**risk, "programme": {"id": p["id"]}}
            if int(p["id"]) % 5 == 0 and k == 2:
                new.append({**found, "identifiedOn": "2024-07-10"})
            if p["escalations"] and k == 1:
                escalated.append({**found, "escalationId": p["escalations"][0]["id"]})
    past_due = [
        {
            "id": "7",
            "code": "I-IRP-02-1",
            "title": "Demo: the finance system upgrade missed its go-live",
            "owner": "Demo owner",
            "dueOn": "2024-07-15",
            "severity": "HIGH",
            "status": "Open",
            "programme": {"id": "2"},
        },
        {
            "id": "3",
            "code": "I-PLAN-1",
            "title": "Demo: the plan-wide resourcing review is overdue",
            "owner": "Demo owner",
            "dueOn": "2024-06-30",
            "severity": "MEDIUM",
            "status": "Open",
            "programme": None,
        },
        {
            # another portfolio's: not in this pack
            "id": "9",
            "code": "I-OTHER-1",
            "title": "Demo: another portfolio's issue",
            "owner": "Demo owner",
            "dueOn": "2024-07-01",
            "severity": "LOW",
            "status": "Open",
            "programme": {"id": "999"},
        },
    ]
    return {
        "currentHeatMap": _heat_map("CURRENT", now),
        "inherentHeatMap": _heat_map("INHERENT", before),
        "newRisks": new,
        "escalatedRisks": escalated,
        "issuesPastDue": past_due,
    }


SMART: dict[str, Any] = {
    "as_of": "2024-07-31",
    "checked": {"key_activity": 188},
    "counts": {"no owner": 1},
    "failures": [
        {
            "test": "no owner",
            "item": "programme",
            "item_id": 3,
            "programme_id": 3,
            "programme_code": "IRP-03",
            "ref": "IRP-03",
            "detail": "no Responsible Delivery Lead",
        }
    ],
}


def confidence(found: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for p in found["programmes"]:
        slipped = [a for a in p["keyActivities"] if a["forecastDate"]]
        report = p["latestHighlightReport"]
        declared = report["dcaRag"] if report else None
        evidence = "Amber" if slipped else "Green"
        order = {"Green": 0, "Amber": 1, "Red": 2}
        checks.append(
            {
                "programme_id": int(p["id"]),
                "evidence_rag": evidence,
                "evidence": [
                    {
                        "kind": "slipped milestone",
                        "item_id": int(a["id"]),
                        "ref": a["title"][:80],
                        "rag": "Amber",
                    }
                    for a in slipped
                ],
                "watermelon": declared is not None and order[declared] < order[evidence],
            }
        )
    return checks


def content() -> dict[str, Any]:
    found = data()
    return compose(
        period=PERIOD,
        data=found,
        errors=[],
        portfolio_code="IRP-2024",
        asks=[
            DEMO_ASK,
            {"kind": "decide", "text": "Demo: approve the corrective plan for IRP-05."},
        ],
        smart=SMART,
        confidence=confidence(found),
    )


# The risk register, dependencies and the map ------------------------------------------------

# Demo statuses and needs for the plan's real overarching dependencies (the plan states none).
DEPENDENCY_STATE = {
    "IRP-D04": ("ON_TRACK", "2024-08-15"),  # needed within 30 days of the cut-off: at risk
    "IRP-D06": ("AT_RISK", "2024-10-31"),
    "IRP-D06b": ("BROKEN", None),
}
WORDS = {"ON_TRACK": "On track", "AT_RISK": "At risk", "BROKEN": "Broken", "MET": "Met"}


def register(programmes: list[dict[str, Any]]) -> dict[str, Any]:
    """The live register (each programme's two demo risks with a target, a review date and a
    mitigation; one vacancy, one closed risk), the seed's dependencies and their map."""
    risks = []
    for p in programmes:
        for r in p["risks"]:
            k = int(r["code"].rsplit("-", 1)[1])
            n = int(p["id"])
            risks.append(
                {
                    "id": r["id"],
                    "code": r["code"],
                    "title": r["title"],
                    "owner": "TBC" if (n, k) == (4, 2) else r["owner"],
                    "status": "Closed" if (n, k) == (6, 2) else "Open",
                    "residualScore": r["residualScore"],
                    # every third programme's first risk has no target set yet
                    "targetScore": None if n % 3 == 0 and k == 1 else (8 if k == 1 else 12),
                    "reviewOn": "2024-06-30" if n in (2, 9) and k == 1 else "2024-09-30",
                    "programme": {"id": p["id"]},
                    "mitigations": [
                        {
                            "id": r["id"] + "1",
                            "description": f"Demo mitigation of {r['code']}",
                            "owner": r["owner"] or "Demo owner",
                            "dueOn": "2024-07-12" if n in (3, 8) else "2024-12-31",
                            "status": "IN_PROGRESS" if k == 1 else "DONE",
                        }
                    ],
                }
            )
    ids = {p["code"]: p["id"] for p in programmes}
    seed = json.loads(RISK_SEED.read_text())["dependencies"]
    dependencies, edges, nodes = [], [], {"plan": ("plan", "Whole plan")}
    for n, d in enumerate(seed, start=1):
        status, needed = DEPENDENCY_STATE.get(d["code"], ("ON_TRACK", None))
        source, target = ids.get(d["from_programme_code"]), ids.get(d["to_programme_code"])
        source_node = f"programme:{source}" if source else "plan"
        target_node = f"programme:{target}" if target else f"other:{d['to_activity']}"
        for node, pid in ((source_node, source), (target_node, target)):
            if node != "plan":
                nodes[node] = (
                    ("programme", f"Programme #{pid}")
                    if pid
                    else (
                        "other",
                        d["to_activity"],
                    )
                )
        edges.append(
            {
                "code": d["code"],
                "source": source_node,
                "target": target_node,
                "status": WORDS[status],
                "inCycle": False,
            }
        )
        if status in ("AT_RISK", "BROKEN") or needed is not None:
            dependencies.append(
                {
                    "id": str(n),
                    "code": d["code"],
                    "title": d["title"],
                    "owner": d["owner"],
                    "neededBy": needed,
                    "status": status,
                    "toExternal": None,
                    "toActivity": d["to_activity"],
                    "fromProgramme": {"id": source} if source else None,
                    "toProgramme": {"id": target} if target else None,
                }
            )
    return {
        "riskRegister": risks,
        "dependenciesAtRisk": dependencies,
        "dependencyMap": {
            "nodes": [
                {"id": key, "kind": kind, "label": label}
                for key, (kind, label) in sorted(nodes.items())
            ],
            "edges": edges,
            "cycles": [],
        },
    }


# KPIs: the plan's real measures, invented values ----------------------------------------------

FREQUENCY_PERIODS = {
    # up to the pack's month, and one period after it (which the pack must ignore)
    "monthly": [*(f"2023-{m:02d}" for m in range(8, 13)), *(f"2024-{m:02d}" for m in range(1, 9))],
    "quarterly": [
        *(f"20{y}/{y + 1} Q{q}" for y in (22, 23) for q in (1, 2, 3, 4) if (y, q) != (22, 1)),
        "2024/25 Q1",
        "2024/25 Q2",
    ],
    "annual": ["2020/21", "2021/22", "2022/23", "2023/24"],
    "survey": ["2021", "2022", "2023"],
}
DEMO_SIGNALS = [
    {"rule": "RUN", "period": "2024-05", "detail": "demo run"},
    {"rule": "BEYOND_LIMITS", "period": "2024-07", "detail": "demo: above the upper limit"},
    {"rule": "TREND", "period": "2024-09", "detail": "later"},
]


def _colour(value: float, target: float, tolerance: float, sign: float) -> str:
    ahead = sign * (value - target)
    if ahead > tolerance:
        return "BLUE"
    if ahead >= 0:
        return "GREEN"
    return "AMBER" if ahead >= -tolerance else "RED"


def _kpi(n: int, k: dict[str, Any]) -> dict[str, Any]:
    target = float(k["target"]) if k.get("target") is not None else 50.0
    tolerance = float(k.get("tolerance") or max(abs(target) * 0.1, 1.0))
    sign = 1.0 if k["higher_is_better"] else -1.0
    points: list[dict[str, Any]] = []
    # every seventh KPI has no values yet: an exception in the pack
    for i, period in enumerate([] if n % 7 == 0 else FREQUENCY_PERIODS[k["frequency"]]):
        drift = (_pick(f"{k['code']}{i}", 9) - 4) / 3 + (i / 6 if n % 2 else -i / 8)
        value = round(target + sign * tolerance * drift, 2)
        before = points[-1]["value"] if points else None
        points.append(
            {
                "period": period,
                "value": value,
                "colour": _colour(value, target, tolerance, sign),
                "direction": None
                if before is None
                else "UNCHANGED"
                if value == before
                else ("IMPROVING" if sign * (value - before) > 0 else "WORSENING"),
            }
        )
    known = [p for p in points if p["period"] not in ("2024-08", "2024/25 Q2")]
    last = known[-1] if known else None
    return {
        "id": str(n),
        "code": k["code"],
        "name": k["name"],
        "aimCode": k["aim_code"],
        "outcome": k["outcome"],
        "unit": k["unit"],
        "target": k.get("target"),
        "tolerance": k.get("tolerance"),
        "higherIsBetter": k["higher_is_better"],
        "vitalSign": k["vital_sign"],
        "programmeCode": k.get("programme_code"),
        "directorate": k.get("directorate"),
        "latest": None
        if last is None
        else {
            "id": str(1000 + n),
            "period": last["period"],
            "periodEnd": None,
            "value": last["value"],
            "revision": 2 if n == 5 else 1,
            "colour": last["colour"],
            "direction": last["direction"],
        },
        "series": {
            "points": [{key: p[key] for key in ("period", "value", "colour")} for p in points],
            "signals": DEMO_SIGNALS if n == 1 else [],
        },
        "benchmarks": []
        if n % 5 or last is None
        else [
            {
                "comparatorGroup": "CIPFA nearest neighbours (demo)",
                "period": last["period"],
                "councilRank": 1 + _pick(k["code"], 16),
                "of": 16,
            }
        ],
    }


def kpi_reads() -> dict[str, Any]:
    seed = json.loads(KPI_SEED.read_text())["kpis"]
    kpis = [_kpi(n, k) for n, k in enumerate(seed, start=1)]
    silent = [k for k in kpis if k["latest"] is None and k["programmeCode"]]
    return {
        "kpis": {"items": kpis},
        **service_composites(kpis),
        "missingKpiValues": {
            "totalCount": 2 * len(silent),
            "items": [
                {"kpiCode": k["code"], "period": period, "due": due}
                for k in silent
                for period, due in (("2024-05", "2024-06-20"), ("2024-06", "2024-07-20"))
            ],
        },
        "lateKpiValues": {
            "totalCount": 2,
            "items": [
                # due in the pack's month, received late: listed
                {
                    "kpiCode": "KPI-01",
                    "period": "2024-06",
                    "due": "2024-07-20",
                    "receivedAt": "2024-07-26T09:00:00+00:00",
                },
                # due in an earlier month: history, not this month's exception
                {
                    "kpiCode": "KPI-03",
                    "period": "2024-04",
                    "due": "2024-05-20",
                    "receivedAt": "2024-05-28T09:00:00+00:00",
                },
            ],
        },
    }


def service_composites(kpis: list[dict[str, Any]]) -> dict[str, Any]:
    """The KPI service's answers to the pack's three ``kpiComposites(upToPeriod:)`` reads, as a
    canned gateway answer: per group, of each KPI's latest value up to the month."""

    def answer(key: Any) -> dict[str, Any]:
        groups: dict[str, list[dict[str, Any]]] = {}
        for k in kpis:
            for group in key(k):
                groups.setdefault(group, []).append(k)
        items = []
        for group, members in sorted(groups.items()):
            known = [k["latest"] for k in members if k["latest"]]
            on = sum(1 for m in known if m["colour"] in ("BLUE", "GREEN"))
            up = sum(1 for m in known if m["direction"] == "IMPROVING")
            items.append(
                {
                    "group": group,
                    "kpiCount": len(members),
                    "withData": len(known),
                    "onTarget": on,
                    "improving": up,
                    "onTargetPercent": round(100 * on / len(known), 1) if known else None,
                    "improvingPercent": round(100 * up / len(known), 1) if known else None,
                }
            )
        return {"items": items}

    return {
        "aimComposites": answer(lambda k: [k["aimCode"]]),
        "outcomeComposites": answer(lambda k: [k["outcome"]]),
        "vitalComposites": answer(
            lambda k: [k.get("directorate") or "(no directorate)"] if k["vitalSign"] else []
        ),
    }
