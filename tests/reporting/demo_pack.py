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

SEED = Path(__file__).parents[2] / "services" / "programmes" / "seed_data" / "irp_2024.json"
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
            completed = end is not None and end < "2024-07-01" and not slipped
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
                        "createdAt": "2024-07-09T10:00:00+00:00",
                        "updatedAt": "2024-07-09T10:00:00+00:00",
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
                        "status": "OPEN",
                    }
                    for k in range(1, 3)
                ],
                "kpis": [
                    {
                        "id": str(n),
                        "code": f"KPI-{n:02d}",
                        "name": f"Demo measure of {p['name']}",
                        "aimCode": p["aim_code"],
                        "unit": "%",
                        "target": 90.0,
                        "tolerance": 5.0,
                        "higherIsBetter": True,
                        "latest": {
                            "id": str(1000 + n),
                            "period": PERIOD,
                            "value": 80.0 + _pick(p["code"] + "kpi", 15),
                            "revision": 1,
                            "colour": ("Red", "Amber", "Green")[_pick(p["code"] + "kpi", 3)],
                            "direction": ("Improving", "Worsening", "Steady")[_pick(p["code"], 3)],
                        },
                        # demo signals: one before the pack's month, one after it (ignored)
                        "series": {
                            "signals": [
                                {"rule": "RUN", "period": "2024-05", "detail": "demo run"},
                                {
                                    "rule": "BEYOND_LIMITS",
                                    "period": "2024-07",
                                    "detail": "demo: above the upper limit",
                                },
                                {"rule": "TREND", "period": "2024-09", "detail": "later"},
                            ]
                            if n == 1
                            else []
                        },
                    }
                ]
                if n % 3 == 1
                else [],
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
