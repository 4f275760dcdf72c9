"""Key risk indicators: a risk linked to a KPI, flagged for review when the KPI's trigger fires.

The contract with the kpis service is small and HTTP only:
- ``GET /kpis/{code}``: does the KPI exist (linking an unknown code is 422 on ``kpi_code``);
- ``GET /changes?after=N``: its change feed; entries with ``entity == "measurement"`` carry the
  pushed value in ``after.value`` and the KPI in ``after.kpi_id``;
- ``GET /kpis/{code}/latest``: the KPI's current colour, asked only for "goes Red" triggers.

A sync pass reads the feed from the stored cursor and, in one transaction, records each fired
trigger (unique per trigger and feed entry), flags the risk and stores the new cursor: a crash
or restart re-reads from the last stored cursor, so no event is missed or counted twice.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.errors import Conflict, FieldError, UpstreamUnavailable
from services.common.http import bearer
from services.risks import audit
from services.risks.models import FeedCursor, KeyRiskIndicator, KriEvent, Risk
from services.risks.schemas import KriCreate, KriSyncRead
from services.risks.service import get as get_risk
from services.risks.vocabulary import KriTrigger

SOURCE = "kpis"
BATCH = 500


async def _get(http: httpx.AsyncClient, url: str, token: str, what: str) -> httpx.Response:
    try:
        return await http.get(url, headers=bearer(token))
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(
            f"the kpis service did not answer ({type(exc).__name__}) for {what}; try again later",
            field="kpi_code",
        ) from exc


async def link(
    *,
    session: AsyncSession,
    actor: Principal,
    risk_id: int,
    data: KriCreate,
    http: httpx.AsyncClient,
    kpis_url: str,
) -> KeyRiskIndicator:
    if data.trigger is KriTrigger.goes_red and data.threshold is not None:
        raise FieldError("a goes-Red trigger takes no threshold", field="threshold")
    if data.trigger is not KriTrigger.goes_red and data.threshold is None:
        raise FieldError(f"an {data.trigger.value} trigger needs a threshold", field="threshold")
    response = await _get(
        http, f"{kpis_url.rstrip('/')}/kpis/{data.kpi_code}", actor.token, data.kpi_code
    )
    if response.status_code == 404:
        raise FieldError(f"no KPI with code {data.kpi_code!r}", field="kpi_code")
    if response.status_code != 200:
        raise UpstreamUnavailable(
            f"the kpis service answered {response.status_code} for {data.kpi_code}",
            field="kpi_code",
        )
    await get_risk(session=session, risk_id=risk_id)
    existing = await session.exec(
        select(KeyRiskIndicator.id).where(
            KeyRiskIndicator.risk_id == risk_id,
            KeyRiskIndicator.kpi_code == data.kpi_code,
            KeyRiskIndicator.trigger == data.trigger,
        )
    )
    if existing.first() is not None and data.trigger is KriTrigger.goes_red:
        raise Conflict(
            f"risk {risk_id} already follows {data.kpi_code} going Red", field="kpi_code"
        )
    row = KeyRiskIndicator(risk_id=risk_id, **data.model_dump())
    session.add(row)
    await session.flush()
    await audit.record(session, actor, "create", row, None)
    return row


async def of_risk(*, session: AsyncSession, risk_id: int) -> list[KeyRiskIndicator]:
    await get_risk(session=session, risk_id=risk_id)
    statement = select(KeyRiskIndicator).where(KeyRiskIndicator.risk_id == risk_id)
    return list((await session.exec(statement.order_by(col(KeyRiskIndicator.id)))).all())


async def _cursor(session: AsyncSession) -> FeedCursor:
    """The stored cursor, its row locked for this pass: created first if missing, in a way two
    first passes at once cannot both do (ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await session.exec(
        insert(FeedCursor).values(source=SOURCE, cursor=0).on_conflict_do_nothing()  # type: ignore[call-overload]
    )
    row = await session.get(FeedCursor, SOURCE, with_for_update=True, populate_existing=True)
    assert row is not None  # inserted above, and never deleted
    return row


def _fires(kri: KeyRiskIndicator, value: float | None, colour: str | None) -> str | None:
    if kri.trigger is KriTrigger.goes_red or kri.trigger == KriTrigger.goes_red.value:
        return f"{kri.kpi_code} is Red" if colour == "Red" else None
    if value is None or kri.threshold is None:
        return None
    if KriTrigger(kri.trigger) is KriTrigger.above and value > kri.threshold:
        return f"{kri.kpi_code} at {value:g}, above {kri.threshold:g}"
    if KriTrigger(kri.trigger) is KriTrigger.below and value < kri.threshold:
        return f"{kri.kpi_code} at {value:g}, below {kri.threshold:g}"
    return None


async def sync(
    *, session: AsyncSession, actor: Principal, http: httpx.AsyncClient, kpis_url: str
) -> KriSyncRead:
    """One pass over the kpis change feed from the stored cursor (the row is locked, so two
    passes at once queue rather than both process the same entries)."""
    cursor = await _cursor(session)
    kris = list((await session.exec(select(KeyRiskIndicator))).all())
    base = kpis_url.rstrip("/")
    ids: dict[int, str] = {}
    for kpi_code in sorted({k.kpi_code for k in kris}):
        found = await _get(http, f"{base}/kpis/{kpi_code}", actor.token, kpi_code)
        if found.status_code == 200:
            ids[int(found.json()["id"])] = kpi_code
    processed = fired = 0
    latest: dict[str, tuple[str | None, str | None]] = {}
    while True:
        page = await _get(
            http, f"{base}/changes?after={cursor.cursor}&limit={BATCH}", actor.token, "its feed"
        )
        if page.status_code != 200:
            raise UpstreamUnavailable(
                f"the kpis change feed answered {page.status_code}", field="kpi_code"
            )
        body: dict[str, Any] = page.json()
        for change in body["changes"]:
            processed += 1
            after = change.get("after") or {}
            code = ids.get(after.get("kpi_id", -1))
            if change.get("entity") != "measurement" or code is None:
                continue
            for kri in (k for k in kris if k.kpi_code == code):
                colour = None
                if KriTrigger(kri.trigger) is KriTrigger.goes_red:
                    if code not in latest:
                        latest[code] = await _latest(http, base, actor.token, code)
                    period, now = latest[code]
                    # Only the entry for the latest period can have made the KPI Red now; an
                    # older entry read again (a replay) must not fire on today's colour.
                    colour = now if period == after.get("period") else None
                message = _fires(kri, after.get("value"), colour)
                if message is None or await _already(session, kri, change["cursor"]):
                    continue
                session.add(
                    KriEvent(
                        kri_id=kri.id,  # type: ignore[arg-type]
                        change_cursor=change["cursor"],
                        message=message,
                    )
                )
                await _flag(session, actor, kri.risk_id, f"{message} ({after.get('period', '')})")
                fired += 1
        cursor.cursor = body["next_cursor"]
        session.add(cursor)
        await session.flush()
        if not body.get("has_more"):
            break
    return KriSyncRead(processed=processed, fired=fired, cursor=cursor.cursor)


async def _latest(
    http: httpx.AsyncClient, base: str, token: str, code: str
) -> tuple[str | None, str | None]:
    """The KPI's latest period and its colour, as the kpis service judges them."""
    response = await _get(http, f"{base}/kpis/{code}/latest", token, code)
    if not response.is_success:
        return None, None
    body = response.json()
    measurement = body.get("measurement") or {}
    return measurement.get("period"), body.get("colour")


async def _already(session: AsyncSession, kri: KeyRiskIndicator, change_cursor: int) -> bool:
    found = await session.exec(
        select(KriEvent.id).where(
            KriEvent.kri_id == kri.id, KriEvent.change_cursor == change_cursor
        )
    )
    return found.first() is not None


async def _flag(session: AsyncSession, actor: Principal, risk_id: int, reason: str) -> None:
    risk = await session.get(Risk, risk_id)
    if risk is None:
        return
    before = audit.snapshot(risk)
    risk.needs_review = True
    risk.review_reason = reason[:500]
    risk.version += 1
    session.add(risk)
    await session.flush()
    await audit.record(session, actor, "update", risk, before)
