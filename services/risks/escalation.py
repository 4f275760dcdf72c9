"""Escalation of RAID items through the programmes service's boards (Directorate Board -> TIB ->
IRB), only over its REST API: ``POST /escalations``, ``POST /escalations/{id}/escalate`` and
``PATCH /escalations/{id}`` (closing it de-escalates).

Each call happens before this service writes anything, so when the programmes service is down
the caller gets 503 and nothing changes here. Each step is kept as an ``EscalationStep`` in the
item's history, in the same transaction as the item's change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    UpstreamUnavailable,
)
from services.common.http import bearer
from services.risks import audit
from services.risks.models import EscalationStep
from services.risks.vocabulary import EscalationAction, RaidKind


async def _call(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    token: str,
    *,
    json: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    try:
        return await http.request(
            method, url, json=json, headers={**bearer(token), **(headers or {})}
        )
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(
            f"the programmes service did not answer ({type(exc).__name__}); nothing was "
            "escalated or changed, try again later",
            field="escalation",
        ) from exc


def _refused(response: httpx.Response, what: str) -> DomainError:
    if response.status_code >= 500:
        return UpstreamUnavailable(
            f"the programmes service answered {response.status_code} to {what}; "
            "nothing was changed, try again later",
            field="escalation",
        )
    if response.status_code in (401, 403):
        return Forbidden(f"the programmes service refused {what}", field="escalation")
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return Conflict(f"the programmes service refused {what}: {detail}", field="escalation")


async def _tib(http: httpx.AsyncClient, base: str, token: str) -> int:
    response = await _call(http, "GET", f"{base}/boards?kind=TIB", token)
    if response.status_code != 200:
        raise _refused(response, "the list of boards")
    boards = response.json()
    if not boards:
        raise Conflict(
            "the programmes service has no Transformation and Improvement Board to escalate to",
            field="escalation",
        )
    return int(boards[0]["id"])


async def raise_at_board(
    *,
    http: httpx.AsyncClient,
    programmes_url: str,
    token: str,
    kind: RaidKind,
    item_ref: str,
    title: str,
    reason: str,
    programme_id: int | None,
    raised_on: date,
) -> dict[str, Any]:
    """Raise an escalation: at the programme's own board (or its Directorate Board); a plan-wide
    item, or a programme with no board of its own, goes to the TIB. The board's escalation
    carries the step's business date."""
    base = programmes_url.rstrip("/")
    body: dict[str, Any] = {
        "kind": kind.value,
        "item_ref": item_ref,
        "title": title[:300],
        "reason": reason,
        "programme_id": programme_id,
        "raised_on": raised_on.isoformat(),
    }
    if programme_id is None:
        body["board_id"] = await _tib(http, base, token)
    response = await _call(http, "POST", f"{base}/escalations", token, json=body)
    if response.status_code == 422 and programme_id is not None:
        fields = {e.get("field") for e in response.json().get("errors", [])}
        if "board_id" in fields:  # no board serves the programme: the TIB sees it
            body["board_id"] = await _tib(http, base, token)
            response = await _call(http, "POST", f"{base}/escalations", token, json=body)
    if response.status_code != 201:
        raise _refused(response, f"escalating {item_ref}")
    return dict(response.json())


async def move_up(
    *, http: httpx.AsyncClient, programmes_url: str, token: str, escalation_id: int, note: str
) -> dict[str, Any]:
    base = programmes_url.rstrip("/")
    response = await _call(
        http, "POST", f"{base}/escalations/{escalation_id}/escalate", token, json={"note": note}
    )
    if response.status_code != 200:
        raise _refused(response, f"moving escalation {escalation_id} up")
    return dict(response.json())


async def close(
    *, http: httpx.AsyncClient, programmes_url: str, token: str, escalation_id: int, note: str
) -> dict[str, Any]:
    base = programmes_url.rstrip("/")
    current = await _call(http, "GET", f"{base}/escalations/{escalation_id}", token)
    if current.status_code != 200:
        raise _refused(current, f"reading escalation {escalation_id}")
    response = await _call(
        http,
        "PATCH",
        f"{base}/escalations/{escalation_id}",
        token,
        json={"status": "closed", "resolution_note": note},
        headers={"If-Match": current.headers.get("etag", "")},
    )
    if response.status_code != 200:
        raise _refused(response, f"closing escalation {escalation_id}")
    return dict(response.json())


async def record_step(
    *,
    session: AsyncSession,
    actor: Principal,
    kind: RaidKind,
    item_id: int,
    action: EscalationAction,
    escalation: dict[str, Any],
    reason: str | None,
    taken_on: date,
) -> EscalationStep:
    step = EscalationStep(
        taken_on=taken_on,
        item_kind=kind,
        item_id=item_id,
        action=action,
        escalation_id=int(escalation["id"]),
        board_id=escalation.get("board_id"),
        reason=reason,
        actor=actor.subject,
    )
    session.add(step)
    await session.flush()
    await audit.record(session, actor, "create", step, None)
    return step


async def history(*, session: AsyncSession, kind: RaidKind, item_id: int) -> list[EscalationStep]:
    statement = (
        select(EscalationStep)
        .where(EscalationStep.item_kind == kind, EscalationStep.item_id == item_id)
        .order_by(col(EscalationStep.id))
    )
    return list((await session.exec(statement)).all())


def step_date(row: Any, taken_on: date | None) -> date:
    """A step's business date: today (the council's) unless said; never in the future nor
    before the item was identified. Checked before the programmes service is asked anything."""
    today = clock.today()
    day = taken_on or today
    if day > today:
        raise FieldError(
            f"{day.isoformat()} is in the future (today is {today.isoformat()}): a step is "
            "recorded once taken",
            field="taken_on",
        )
    identified = getattr(row, "identified_on", None)
    if identified is not None and day < identified:
        raise FieldError(
            f"{day.isoformat()} is before {row.code} was identified ({identified.isoformat()})",
            field="taken_on",
        )
    return day


async def escalate_item(
    *,
    session: AsyncSession,
    actor: Principal,
    kind: RaidKind,
    row: Any,
    reason: str,
    http: httpx.AsyncClient,
    programmes_url: str,
    taken_on: date | None = None,
) -> None:
    """Raise the item at its board, or move its open escalation one board up; the step joins
    the item's history (dated ``taken_on``) and the item keeps the escalation's id."""
    day = step_date(row, taken_on)
    if row.escalation_id is None:
        found = await raise_at_board(
            http=http,
            programmes_url=programmes_url,
            token=actor.token,
            kind=kind,
            item_ref=row.code,
            title=f"{kind.value.capitalize()} {row.code}: {row.title}",
            reason=reason,
            programme_id=row.programme_id,
            raised_on=day,
        )
        action = EscalationAction.escalated
    else:
        found = await move_up(
            http=http,
            programmes_url=programmes_url,
            token=actor.token,
            escalation_id=row.escalation_id,
            note=reason,
        )
        action = EscalationAction.moved_up
    await record_step(
        session=session,
        actor=actor,
        kind=kind,
        item_id=row.id,
        action=action,
        escalation=found,
        reason=reason,
        taken_on=day,
    )
    if row.escalation_id != found["id"]:
        before = audit.snapshot(row)
        await update_versioned(
            session, row, {"escalation_id": found["id"]}, expected_version=row.version
        )
        await audit.record(session, actor, "update", row, before)


async def deescalate_item(
    *,
    session: AsyncSession,
    actor: Principal,
    kind: RaidKind,
    row: Any,
    reason: str,
    http: httpx.AsyncClient,
    programmes_url: str,
    taken_on: date | None = None,
) -> None:
    """Close the item's escalation in the programmes service: the board no longer needs it."""
    if row.escalation_id is None:
        raise Conflict(f"{kind.value} {row.code} is not escalated", field="escalation_id")
    day = step_date(row, taken_on)
    found = await close(
        http=http,
        programmes_url=programmes_url,
        token=actor.token,
        escalation_id=row.escalation_id,
        note=reason,
    )
    await record_step(
        session=session,
        actor=actor,
        kind=kind,
        item_id=row.id,
        action=EscalationAction.de_escalated,
        escalation=found,
        reason=reason,
        taken_on=day,
    )
    before = audit.snapshot(row)
    await update_versioned(session, row, {"escalation_id": None}, expected_version=row.version)
    await audit.record(session, actor, "update", row, before)
