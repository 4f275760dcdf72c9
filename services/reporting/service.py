"""Composing an assurance pack: read across services through the gateway, build the content
deterministically, render it, store it whole."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, UpstreamUnavailable
from services.common.http import bearer
from services.reporting import cuts, diff, lifecycle, sources, versions
from services.reporting.models import AuditEntry, Pack
from services.reporting.periods import Period, reportable
from services.reporting.render import html
from services.reporting.render import pdf as pdf_render
from services.reporting.render import xlsx as xlsx_render
from services.reporting.render.links import Links
from services.reporting.schemas import PackCreate, PackRead, PackStatus, PackSummary, Verification
from services.reporting.sections.pack import compose
from services.reporting.settings import ReportingSettings, get_settings

__all__ = ["canonical_sha256", "compose", "period_window", "render_html"]


def period_window(period: str) -> tuple[date, date]:
    month = Period.parse(period)
    return month.first, month.last


def render_html(content: dict[str, Any], links: Links | None = None) -> str:
    return html.render(content, links or Links.from_settings(get_settings()))


def canonical_sha256(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _compose_at(
    *,
    http: httpx.AsyncClient,
    settings: ReportingSettings,
    token: str,
    period: str,
    portfolio_code: str | None,
    inputs: dict[str, Any],
    taken: cuts.Cuts,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The pack's content read at ``taken``, and the reads that failed."""
    found = await sources.gather(
        http=http,
        gateway_url=settings.gateway_url,
        programmes_url=settings.programmes_url,
        token=token,
        period=Period.parse(period),
        top_risks=inputs["top_risks"],
        portfolio_code=portfolio_code,
        cuts=taken,
    )
    content = compose(
        period=period,
        data=found.data,
        errors=found.errors,
        portfolio_code=portfolio_code,
        asks=inputs["asks"],
        smart=found.smart,
        confidence=found.confidence,
    )
    content["record_versions"] = versions.record_versions(found.data)
    return {**content, **cuts.described(taken)}, found.errors


async def create(
    *,
    session: AsyncSession,
    actor: Principal,
    data: PackCreate,
    http: httpx.AsyncClient,
    settings: ReportingSettings,
    top_risks: int,
) -> Pack:
    """Compose a draft at a cut of every service it reads: everything is checked and read
    before anything is written."""
    reportable(data.period)
    await lifecycle.check_correction(session=session, data=data)
    taken = await cuts.take(http=http, urls=cuts.urls(settings), token=actor.token)
    inputs = {"asks": [a.model_dump(mode="json") for a in data.asks], "top_risks": top_risks}
    content, errors = await _compose_at(
        http=http,
        settings=settings,
        token=actor.token,
        period=data.period,
        portfolio_code=data.portfolio_code,
        inputs=inputs,
        taken=taken,
    )
    pack = Pack(
        portfolio_code=data.portfolio_code,
        period=data.period,
        generated_by=actor.subject,
        content=content,
        html=render_html(content, Links.from_settings(settings)),
        content_sha256=canonical_sha256(content),
        complete=not errors,
        supersedes_id=data.supersedes_id,
        cuts=taken,
        inputs=inputs,
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
            "supersedes_id": pack.supersedes_id,
            "cuts": taken,
        },
    )
    return pack


async def verify(
    *,
    session: AsyncSession,
    actor: Principal,
    pack_id: int,
    http: httpx.AsyncClient,
    settings: ReportingSettings,
) -> Verification:
    """Compose the pack again from its stored cuts and compare hashes; nothing is written.
    A service down is 503 naming it; a cut a service no longer has is 410 naming it."""
    pack = await get(session=session, pack_id=pack_id)
    if pack.cuts is None or pack.inputs is None:
        raise Conflict(
            f"pack {pack.id} was composed before packs stored their cuts: it cannot be "
            "composed again as of them",
            field="pack_id",
        )
    urls = cuts.urls(settings)
    await cuts.check(http=http, urls=urls, token=actor.token, cuts=pack.cuts)
    content, errors = await _compose_at(
        http=http,
        settings=settings,
        token=actor.token,
        period=pack.period,
        portfolio_code=pack.portfolio_code,
        inputs=pack.inputs,
        taken=pack.cuts,
    )
    if errors and pack.complete:
        failed = ", ".join(sorted(set(content.get("unavailable_sections") or [])))
        raise UpstreamUnavailable(
            f"reading the pack again failed for {failed}: {errors[0].get('message')}",
            field=_service_of(errors[0]),
        )
    regenerated = canonical_sha256(content)
    # The stored content must still be what was hashed (and signed), and say the same again.
    intact = canonical_sha256(pack.content) == pack.content_sha256
    match = intact and regenerated == pack.content_sha256
    return Verification(
        pack_id=pack.id or pack_id,
        stored_sha256=pack.content_sha256,
        regenerated_sha256=regenerated,
        stored_content_intact=intact,
        match=match,
        differences=[] if match else differences(pack.content, content),
        cuts=pack.cuts,
        read_live=cuts.read_live(pack.cuts),
    )


def _service_of(error: dict[str, Any]) -> str:
    service = (error.get("extensions") or {}).get("service")
    return str(service) if service else "gateway"


def differences(before: Any, after: Any, path: str = "", limit: int = 20) -> list[str]:
    """The first ``limit`` paths (``programmes[2].dca``) where two JSON values differ."""
    found: list[str] = []

    def walk(a: Any, b: Any, at: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key, _MISSING), b.get(key, _MISSING), f"{at}.{key}" if at else key)
        elif isinstance(a, list) and isinstance(b, list):
            for i in range(max(len(a), len(b))):
                walk(
                    a[i] if i < len(a) else _MISSING, b[i] if i < len(b) else _MISSING, f"{at}[{i}]"
                )
        elif a != b or type(a) is not type(b):
            found.append(at or "$")

    walk(before, after, path)
    return found


_MISSING = object()


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
    await lifecycle.lock_period(session=session, pack=pack)
    # The pack as it is once the lock is ours: another sign-off may have committed meanwhile.
    await session.refresh(pack)
    await lifecycle.check_sign_off(session=session, pack=pack)
    await _lock_period(
        http=http, programmes_url=programmes_url, token=actor.token, period=pack.period
    )
    before = {"signed_off_by": None, "signed_off_at": None}
    signed_at = utcnow()
    await update_versioned(
        session,
        pack,
        {
            "signed_off_by": actor.subject,
            "signed_off_at": signed_at,
            "status": PackStatus.signed_off.value,
        },
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


async def review(*, session: AsyncSession, actor: Principal, pack_id: int) -> Pack:
    """An editor or admin has read the draft: it may now be signed off."""
    pack = await get(session=session, pack_id=pack_id)
    return await lifecycle.review(session=session, actor=actor, pack=pack)


async def compare(*, session: AsyncSession, pack_id: int, against_id: int) -> dict[str, Any]:
    """What changed from pack ``against_id`` to pack ``pack_id``."""
    after = await get(session=session, pack_id=pack_id)
    try:
        before = await get(session=session, pack_id=against_id)
    except NotFound as exc:
        raise NotFound(str(exc), field="against") from exc
    return {"from_pack": before.id, "to_pack": after.id, **diff.diff(before.content, after.content)}


async def pdf(pack: Pack) -> bytes:
    """Laying out pages takes seconds: off the event loop, so other requests keep flowing."""
    return await asyncio.to_thread(pdf_render.render, pack.html)


def xlsx(pack: Pack) -> bytes:
    return xlsx_render.render(pack.content)


# Read models: a pack as REST shows it, built here rather than in the router ----------------


def pack_read(pack: Pack) -> PackRead:
    """A pack with its content."""
    return PackRead.model_validate(pack, from_attributes=True)


def pack_summary(pack: Pack) -> PackSummary:
    """A pack in a list, without its content."""
    return PackSummary.model_validate(pack, from_attributes=True)
