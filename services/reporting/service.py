"""Composing an assurance pack: read across services through the gateway, build the content
deterministically, render it, store it whole."""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jinja2
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, UpstreamUnavailable
from services.common.http import bearer
from services.reporting.models import AuditEntry, Pack
from services.reporting.schemas import PackCreate

PACK_QUERY = """
query AssurancePack(
  $portfolioCode: String, $upToPeriod: String!, $dueFrom: Date!, $dueTo: Date!, $topRisks: Int!
) {
  programmes(limit: 500, portfolioCode: $portfolioCode) {
    items {
      id code name directorate portfolioCode aimCode
      sao { id name } rdl { id name } leadMember { id name }
      aim { code name }
      latestHighlightReport(upToPeriod: $upToPeriod) { id period dca dcaRag dcaReason }
      keyActivities(dueFrom: $dueFrom, dueTo: $dueTo) { id title startText endText endDate }
      risks(top: $topRisks, status: "Open") {
        id code title owner residualScore inherentScore status
      }
      kpis {
        id code name unit target tolerance higherIsBetter
        latest(upToPeriod: $upToPeriod) { id period value revision colour direction }
      }
    }
  }
}
"""

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def period_window(period: str) -> tuple[date, date]:
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


async def gather(
    *,
    http: httpx.AsyncClient,
    gateway_url: str,
    token: str,
    period: str,
    top_risks: int,
    portfolio_code: str | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One GraphQL query through the gateway; returns (data, errors). Partial data is kept:
    a service that is down blanks its fields, not the pack."""
    first, last = period_window(period)
    variables = {
        "portfolioCode": portfolio_code,
        "upToPeriod": period,
        "dueFrom": first.isoformat(),
        "dueTo": last.isoformat(),
        "topRisks": top_risks,
    }
    try:
        response = await http.post(
            gateway_url,
            json={"query": PACK_QUERY, "variables": variables},
            headers=bearer(token),
        )
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(f"the gateway did not answer: {exc}", field="gateway") from exc
    if response.status_code >= 500 or "application/json" not in response.headers.get(
        "content-type", ""
    ):
        raise UpstreamUnavailable(f"the gateway answered {response.status_code}", field="gateway")
    body = response.json()
    data = body.get("data") or {}
    # The pack reads the programmes' list as one page (500 is more than a plan holds).
    data = {**data, "programmes": (data.get("programmes") or {}).get("items")}
    if not data.get("programmes"):
        errors = body.get("errors") or [{"message": f"HTTP {response.status_code}"}]
        raise UpstreamUnavailable(
            f"the gateway returned no programmes: {errors[0].get('message')}", field="gateway"
        )
    return data, body.get("errors") or []


def compose(
    *,
    period: str,
    data: dict[str, Any],
    errors: Sequence[dict[str, Any]],
    portfolio_code: str | None = None,
) -> dict[str, Any]:
    """The pack's content: deterministic for the same inputs, every figure carrying the id
    of the record it came from."""
    programmes = []
    for p in sorted(data.get("programmes") or [], key=lambda p: p["code"]):
        report = p.get("latestHighlightReport")
        risks = p.get("risks")
        kpis = p.get("kpis")
        programmes.append(
            {
                "programme_id": p["id"],
                "code": p["code"],
                "name": p["name"],
                "directorate": p.get("directorate"),
                "aim": (p.get("aim") or {}).get("name"),
                "sao": _person(p.get("sao")),
                "rdl": _person(p.get("rdl")),
                "lead_member": _person(p.get("leadMember")),
                "dca": None
                if report is None or report["dca"] is None
                else {
                    "value": report["dca"],
                    "rag": report["dcaRag"],
                    "reason": report["dcaReason"],
                    "period": report["period"],
                    "highlight_report_id": report["id"],
                    "stale": report["period"] != period,
                },
                "key_activities_due": [
                    {
                        "key_activity_id": a["id"],
                        "title": a["title"],
                        "start": a["startText"],
                        "end": a["endText"],
                        "end_date": a["endDate"],
                    }
                    for a in p.get("keyActivities") or []
                ],
                "top_risks": None
                if risks is None
                else [
                    {
                        "risk_id": r["id"],
                        "code": r["code"],
                        "title": r["title"],
                        "owner": r["owner"],
                        "residual_score": r["residualScore"],
                        "inherent_score": r["inherentScore"],
                        "status": r["status"],
                    }
                    for r in risks
                ],
                "kpi_scorecard": None
                if kpis is None
                else [_scorecard_row(k) for k in sorted(kpis, key=lambda k: k["code"])],
            }
        )
    unavailable = sorted(
        {".".join(str(part) for part in e.get("path", [])[2:3]) or "query" for e in errors}
    )
    return {
        "title": f"CPMO assurance pack, {portfolio_code + ', ' if portfolio_code else ''}{period}",
        "period": period,
        "portfolio_code": portfolio_code,
        "programme_count": len(programmes),
        "unavailable_sections": unavailable,
        "programmes": programmes,
    }


def _person(person: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if person is None else {"person_id": person["id"], "name": person["name"]}


def _scorecard_row(kpi: dict[str, Any]) -> dict[str, Any]:
    latest = kpi.get("latest")
    return {
        "kpi_id": kpi["id"],
        "code": kpi["code"],
        "name": kpi["name"],
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
            "colour": latest.get("colour"),
            "direction": latest.get("direction"),
        },
    }


def canonical_sha256(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def render_html(content: dict[str, Any]) -> str:
    return TEMPLATES.get_template("pack.html").render(pack=content)


async def create(
    *,
    session: AsyncSession,
    actor: Principal,
    data: PackCreate,
    http: httpx.AsyncClient,
    gateway_url: str,
    top_risks: int,
) -> Pack:
    found, errors = await gather(
        http=http,
        gateway_url=gateway_url,
        token=actor.token,
        period=data.period,
        top_risks=top_risks,
        portfolio_code=data.portfolio_code,
    )
    content = compose(
        period=data.period, data=found, errors=errors, portfolio_code=data.portfolio_code
    )
    pack = Pack(
        portfolio_code=data.portfolio_code,
        period=data.period,
        generated_by=actor.subject,
        content=content,
        html=render_html(content),
        content_sha256=canonical_sha256(content),
        complete=not errors,
    )
    session.add(pack)
    await session.flush()
    await audit.record(
        session,
        AuditEntry,
        actor=actor.subject,
        action="create",
        entity="pack",
        entity_id=pack.id,
        before=None,
        after={
            "period": pack.period,
            "content_sha256": pack.content_sha256,
            "complete": pack.complete,
        },
    )
    return pack


async def list_packs(*, session: AsyncSession, period: str | None = None) -> Sequence[Pack]:
    statement = select(Pack).order_by(col(Pack.period).desc(), col(Pack.id).desc())
    if period is not None:
        statement = statement.where(Pack.period == period)
    return (await session.exec(statement)).all()


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Pack]:
    """Packs by id, in one query (what a DataLoader batches)."""
    rows = (await session.exec(select(Pack).where(col(Pack.id).in_(ids)))).all()
    return {row.id: row for row in rows if row.id is not None}


async def get(*, session: AsyncSession, pack_id: int) -> Pack:
    pack = await session.get(Pack, pack_id)
    if pack is None:
        raise NotFound(f"no pack with id {pack_id}", field="pack_id")
    return pack


async def sign_off(
    *,
    session: AsyncSession,
    actor: Principal,
    pack_id: int,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> Pack:
    """The board has accepted the pack: record who and when, and lock the period's highlight
    reports in the programmes service (a later change there becomes a new revision)."""
    pack = await get(session=session, pack_id=pack_id)
    if pack.signed_off_at is not None:
        raise Conflict(f"pack {pack_id} was signed off by {pack.signed_off_by}", field="pack_id")
    if not pack.complete:
        missing = ", ".join(pack.content.get("unavailable_sections", []))
        raise Conflict(
            f"pack {pack_id} is incomplete ({missing} could not be read); "
            "compose it again before signing it off",
            field="pack_id",
        )
    twin = (
        await session.exec(
            select(Pack).where(
                Pack.period == pack.period,
                Pack.portfolio_code == pack.portfolio_code,
                col(Pack.signed_off_at).is_not(None),
            )
        )
    ).first()
    if twin is not None:
        raise Conflict(
            f"pack {twin.id} is already the signed-off pack for {pack.period}", field="pack_id"
        )
    await _lock_period(
        http=http, programmes_url=programmes_url, token=actor.token, period=pack.period
    )
    before = {"signed_off_by": None, "signed_off_at": None}
    signed_at = utcnow()
    await update_versioned(
        session,
        pack,
        {"signed_off_by": actor.subject, "signed_off_at": signed_at},
        expected_version=pack.version,
    )
    await audit.record(
        session,
        AuditEntry,
        actor=actor.subject,
        action="update",
        entity="pack",
        entity_id=pack.id,
        before=before,
        after={"signed_off_by": actor.subject, "signed_off_at": signed_at.isoformat()},
    )
    return pack


async def _lock_period(
    *, http: httpx.AsyncClient, programmes_url: str, token: str, period: str
) -> None:
    try:
        response = await http.post(
            f"{programmes_url}/periods/{period}/sign-off", headers=bearer(token)
        )
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(
            f"the programmes service did not answer: {exc}", field="programmes"
        ) from exc
    # 409: the period is already signed off (another portfolio's pack, or a retry): locked.
    if response.status_code in (200, 201, 409):
        return
    if response.status_code in (401, 403):
        raise Forbidden(response.json().get("detail", "refused by the programmes service"))
    raise UpstreamUnavailable(
        f"the programmes service answered {response.status_code} to the sign-off",
        field="programmes",
    )
