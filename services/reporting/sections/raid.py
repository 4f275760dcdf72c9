"""Section 5, RAID: the heat map (current beside inherent), new and escalated risks, each live
risk's current score against its target, issues past due, dependencies at risk and the map of
dependencies between programmes; and each programme's top open risks."""

from __future__ import annotations

from typing import Any

from services.reporting.sections.common import enum_word
from services.reporting.sources import rows


def top_risks(risks: Any) -> list[dict[str, Any]] | None:
    if risks is None:
        return None
    return [
        {
            "risk_id": r["id"],
            "code": r["code"],
            "title": r["title"],
            "owner": r["owner"],
            "residual_score": r["residualScore"],
            "inherent_score": r["inherentScore"],
            "status": r["status"],
        }
        for r in rows(risks)
    ]


# Risk statuses still being managed (the risks service's LIVE_RISK); closed ones are history.
LIVE = ("Open", "Treating", "Tolerated")


def board(
    data: dict[str, Any], programmes: dict[str, str], portfolio_code: str | None = None
) -> dict[str, Any]:
    """The plan's RAID picture for the month: the heat map (current beside inherent, per cell),
    what is new, escalated or past due, current against target score, dependencies at risk and
    the dependency map. ``programmes`` maps the pack's programme ids to their codes; a plan-wide
    risk is in the pack when it is its plan's (``portfolio_code``; every plan's in a pack of
    all). A read the gateway could not answer is None, so the pack says "unavailable" rather
    than "none"."""
    ids = set(programmes)
    return {
        "heat_map": heat_map(data.get("currentHeatMap"), data.get("inherentHeatMap")),
        "new_risks": _risks(data.get("newRisks"), ids, portfolio_code),
        "escalated_risks": _risks(data.get("escalatedRisks"), ids, portfolio_code),
        "issues_past_due": _issues(data.get("issuesPastDue"), ids),
        "current_vs_target": current_vs_target(
            live_risks(data.get("riskRegister"), ids, portfolio_code)
        ),
        "dependencies_at_risk": _dependencies(data.get("dependenciesAtRisk"), programmes),
        "dependency_map": dependency_map(data.get("dependencyMap"), programmes),
    }


def live_risks(
    register: Any, programme_ids: set[str], portfolio_code: str | None = None
) -> list[dict[str, Any]] | None:
    """The register's live risks in the pack's scope, highest current score first."""
    if register is None:
        return None
    return sorted(
        (
            r
            for r in rows(register)
            if r["status"] in LIVE and _risk_in_scope(r, programme_ids, portfolio_code)
        ),
        key=lambda r: (-r["residualScore"], r["code"]),
    )


def current_vs_target(live: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """Each live risk's current score beside its target: how far mitigation still has to go.
    Those above target come first (furthest first); risks with no target are listed apart,
    since a risk nobody has set a target for cannot be judged."""
    if live is None:
        return None
    risks = [
        {
            "risk_id": r["id"],
            "code": r["code"],
            "title": r["title"],
            "owner": r["owner"],
            "current": r["residualScore"],
            "target": r.get("targetScore"),
            "gap": None if r.get("targetScore") is None else r["residualScore"] - r["targetScore"],
            "programme_id": (r.get("programme") or {}).get("id"),
        }
        for r in live
    ]
    above = [r for r in risks if r["gap"] is not None and r["gap"] > 0]
    above.sort(key=lambda r: (-r["gap"], -r["current"], r["code"]))
    return {
        "above_target": above,
        "at_target": [r for r in risks if r["gap"] is not None and r["gap"] <= 0],
        "no_target": [r for r in risks if r["gap"] is None],
        "live": len(risks),
    }


def _dependencies(found: Any, programmes: dict[str, str]) -> list[dict[str, Any]] | None:
    if found is None:
        return None
    out = []
    for d in rows(found):
        source = (d.get("fromProgramme") or {}).get("id")
        target = (d.get("toProgramme") or {}).get("id")
        # in this pack if either end is one of its programmes, or the plan as a whole
        if source is not None and source not in programmes and target not in programmes:
            continue
        out.append(
            {
                "dependency_id": d["id"],
                "code": d["code"],
                "title": d["title"],
                "owner": d["owner"],
                "needed_by": d.get("neededBy"),
                "status": enum_word(d["status"]),
                "from_programme_id": source,
                "from": programmes.get(source, "Whole plan") if source else "Whole plan",
                "to_programme_id": target,
                "to": programmes.get(target, f"Programme #{target}")
                if target
                else d.get("toExternal") or d.get("toActivity") or "",
            }
        )
    return sorted(out, key=lambda d: (d["needed_by"] or "9999", d["code"]))


def dependency_map(found: Any, programmes: dict[str, str]) -> dict[str, Any] | None:
    """The risks service's dependency map, limited to edges touching the pack's programmes (or
    the plan as a whole), with programme nodes named by code and linkable by id."""
    if found is None:
        return None
    mine = {f"programme:{pid}" for pid in programmes} | {"plan"}
    edges = [
        {
            "code": e["code"],
            "source": e["source"],
            "target": e["target"],
            "status": e["status"],
            "in_cycle": e["inCycle"],
        }
        for e in found["edges"]
        if e["source"] in mine or e["target"] in mine
    ]
    used = {e["source"] for e in edges} | {e["target"] for e in edges}
    nodes = []
    for n in found["nodes"]:
        if n["id"] not in used:
            continue
        pid = n["id"].split(":", 1)[1] if n["kind"] == "programme" else None
        nodes.append(
            {
                "id": n["id"],
                "kind": n["kind"],
                "label": programmes.get(pid, n["label"]) if pid else n["label"],
                "programme_id": pid,
            }
        )
    return {
        "nodes": sorted(nodes, key=lambda n: (n["kind"] != "programme", n["label"])),
        "edges": sorted(edges, key=lambda e: e["code"]),
    }


def heat_map(current: Any, inherent: Any) -> dict[str, Any] | None:
    if current is None:
        return None
    before = {(c["likelihood"], c["impact"]): c for c in (inherent or {}).get("cells") or []}
    cells = [
        {
            "likelihood": c["likelihood"],
            "impact": c["impact"],
            "score": c["score"],
            "band": c["band"],
            "colour": c["colour"],
            "current": c["count"],
            "current_codes": sorted(c["codes"]),
            "inherent": None if inherent is None else before.get(key, {}).get("count", 0),
        }
        for c in current["cells"]
        for key in [(c["likelihood"], c["impact"])]
    ]
    return {
        "matrix_version": current["matrixVersion"],
        "unscored": current["unscored"],
        "cells": sorted(cells, key=lambda c: (-c["likelihood"], c["impact"])),
    }


def _in_scope(row: dict[str, Any], programme_ids: set[str]) -> bool:
    # plan-wide rows (no programme) belong in every pack; a programme's only in its portfolio's
    programme = row.get("programme")
    return programme is None or str(programme["id"]) in programme_ids


def _risk_in_scope(
    row: dict[str, Any], programme_ids: set[str], portfolio_code: str | None
) -> bool:
    """A programme's risk by its programme; a plan-wide risk by the plan it names (another
    plan's, or one naming none, is not this plan's)."""
    if row.get("programme") is not None or portfolio_code is None:
        return _in_scope(row, programme_ids)
    return row.get("portfolioCode") == portfolio_code


def _risks(
    risks: Any, programme_ids: set[str], portfolio_code: str | None = None
) -> list[dict[str, Any]] | None:
    if risks is None:
        return None
    return [
        {
            "risk_id": r["id"],
            "code": r["code"],
            "title": r["title"],
            "owner": r["owner"],
            "residual_score": r["residualScore"],
            "status": r["status"],
            "programme_id": (r.get("programme") or {}).get("id"),
        }
        for r in sorted(rows(risks), key=lambda r: (-r["residualScore"], r["code"]))
        if _risk_in_scope(r, programme_ids, portfolio_code)
    ]


def _issues(issues: Any, programme_ids: set[str]) -> list[dict[str, Any]] | None:
    if issues is None:
        return None
    return [
        {
            "issue_id": i["id"],
            "code": i["code"],
            "title": i["title"],
            "owner": i["owner"],
            "due_on": i["dueOn"],
            "severity": i["severity"].capitalize(),
            "programme_id": (i.get("programme") or {}).get("id"),
        }
        for i in sorted(rows(issues), key=lambda i: (i["dueOn"] or "", i["code"]))
        if _in_scope(i, programme_ids)
    ]
