"""Risks' domain rules. REST routers and GraphQL resolvers both call these; they flush, never
commit (the caller's transaction decides).

A risk's programme lives in the programmes service: it is checked over that service's REST API
(:func:`check_programme`), never by reading its database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    UpstreamUnavailable,
)
from services.common.http import bearer
from services.common.pagination import PageParams, order_by, paginate
from services.risks.models import AuditEntry, Risk
from services.risks.schemas import RiskCreate, RiskStatus, RiskUpdate, score

RISK_SORTS = {"code", "title", "owner", "status", "residual_score", "created_at", "updated_at"}
RATINGS = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")
REQUIRED = ("title", "description", "owner", *RATINGS, "status")


async def _audit(
    session: AsyncSession, actor: Principal, action: str, row: Risk, before: dict | None
) -> None:
    await audit.record(
        session,
        AuditEntry,
        actor=actor.subject,
        action=action,
        entity=row.__tablename__,  # type: ignore[arg-type]
        entity_id=row.id,
        before=before,
        after=audit.snapshot(row),
    )


# Scoring -----------------------------------------------------------------------------------


def check_scores(
    *,
    inherent_likelihood: int,
    inherent_impact: int,
    residual_likelihood: int,
    residual_impact: int,
) -> int:
    """The residual score (controls in place) may not exceed the inherent one; returns it."""
    inherent = score(inherent_likelihood, inherent_impact)
    residual = score(residual_likelihood, residual_impact)
    if residual > inherent:
        raise FieldError(
            f"the residual score {residual} ({residual_likelihood}x{residual_impact}) is above "
            f"the inherent score {inherent} ({inherent_likelihood}x{inherent_impact}); "
            "controls cannot make a risk worse",
            field="residual_likelihood",
        )
    return residual


# The programmes service --------------------------------------------------------------------


async def check_programme(
    *, http: httpx.AsyncClient, programmes_url: str, token: str, programme_id: int
) -> None:
    """Ask the programmes service whether ``programme_id`` exists, as the caller.

    404 there is a bad field here (422); no answer, a timeout or a 5xx is 503, so a caller can
    tell "your data is wrong" from "try again later".
    """
    url = f"{programmes_url.rstrip('/')}/programmes/{programme_id}"
    try:
        response = await http.get(url, headers=bearer(token))
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(
            f"the programmes service did not answer ({type(exc).__name__}); "
            f"cannot check programme {programme_id}, try again later",
            field="programme_id",
        ) from exc
    if response.status_code == 200:
        return
    if response.status_code == 404:
        raise FieldError(f"no programme with id {programme_id}", field="programme_id")
    if response.status_code in (401, 403):
        raise Forbidden(
            f"the programmes service refused to show programme {programme_id} "
            f"({response.status_code})",
            field="programme_id",
        )
    raise UpstreamUnavailable(
        f"the programmes service answered {response.status_code}; "
        f"cannot check programme {programme_id}, try again later",
        field="programme_id",
    )


# Reads -------------------------------------------------------------------------------------


async def list_risks(
    *,
    session: AsyncSession,
    page: PageParams,
    programme_id: int | None = None,
    plan_wide: bool | None = None,
    status: RiskStatus | None = None,
    min_residual_score: int | None = None,
) -> tuple[list[Risk], int]:
    if programme_id is not None and plan_wide:
        raise FieldError(
            "a plan-wide risk belongs to no programme: filter by programme_id or plan_wide",
            field="plan_wide",
        )
    statement = select(Risk)
    if programme_id is not None:
        statement = statement.where(Risk.programme_id == programme_id)
    if plan_wide is True:
        statement = statement.where(col(Risk.programme_id).is_(None))
    elif plan_wide is False:
        statement = statement.where(col(Risk.programme_id).is_not(None))
    if status is not None:
        statement = statement.where(Risk.status == status)
    if min_residual_score is not None:
        statement = statement.where(Risk.residual_score >= min_residual_score)
    statement = statement.order_by(*order_by(Risk, page.sort, RISK_SORTS, [Risk.code]))
    return await paginate(session, statement, page)


async def get(*, session: AsyncSession, risk_id: int) -> Risk:
    risk = await session.get(Risk, risk_id)
    if risk is None:
        raise NotFound(f"no risk with id {risk_id}", field="risk_id")
    return risk


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Risk]:
    rows = (await session.exec(select(Risk).where(col(Risk.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


async def find_by_code(*, session: AsyncSession, code: str) -> Risk | None:
    return (await session.exec(select(Risk).where(Risk.code == code))).first()


async def get_by_code(*, session: AsyncSession, code: str) -> Risk:
    risk = await find_by_code(session=session, code=code)
    if risk is None:
        raise NotFound(f"no risk with code {code!r}", field="code")
    return risk


async def risks_by_programme(
    *, session: AsyncSession, programme_ids: Sequence[int], status: RiskStatus | None = None
) -> dict[int, list[Risk]]:
    """Each programme's risks, worst residual score first, then by code: one query."""
    statement = select(Risk).where(col(Risk.programme_id).in_(programme_ids))
    if status is not None:
        statement = statement.where(Risk.status == status)
    statement = statement.order_by(col(Risk.residual_score).desc(), Risk.code)
    found: dict[int, list[Risk]] = {programme_id: [] for programme_id in programme_ids}
    for row in (await session.exec(statement)).all():
        found[row.programme_id].append(row)  # type: ignore[index]
    return found


# Writes ------------------------------------------------------------------------------------


async def _flush_unique(session: AsyncSession, code: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent writer took the code between check and insert
        raise Conflict(f"a risk with code {code!r} exists", field="code") from exc


async def create(
    *,
    session: AsyncSession,
    actor: Principal,
    data: RiskCreate,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> Risk:
    residual = check_scores(**data.model_dump(include=set(RATINGS)))
    # Ask the programmes service before touching the database: no transaction waits on it.
    if data.programme_id is not None:
        await check_programme(
            http=http,
            programmes_url=programmes_url,
            token=actor.token,
            programme_id=data.programme_id,
        )
    if await find_by_code(session=session, code=data.code) is not None:
        raise Conflict(f"a risk with code {data.code!r} exists", field="code")
    risk = Risk.model_validate(data, update={"residual_score": residual})
    session.add(risk)
    await _flush_unique(session, data.code)
    await _audit(session, actor, "create", risk, None)
    return risk


async def update(
    *,
    session: AsyncSession,
    actor: Principal,
    risk_id: int,
    data: RiskUpdate,
    expected_version: int,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> Risk:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    for required in REQUIRED:
        if required in changes and changes[required] is None:
            raise FieldError(f"{required} cannot be empty: every risk has one", field=required)
    risk = await get(session=session, risk_id=risk_id)
    ratings = {name: changes.get(name, getattr(risk, name)) for name in RATINGS}
    residual = check_scores(**ratings)
    if set(RATINGS) & changes.keys():
        changes["residual_score"] = residual
    new_programme = changes.get("programme_id")
    if new_programme is not None and new_programme != risk.programme_id:
        await check_programme(
            http=http, programmes_url=programmes_url, token=actor.token, programme_id=new_programme
        )
    before = audit.snapshot(risk)
    await update_versioned(session, risk, changes, expected_version=expected_version)
    await _audit(session, actor, "update", risk, before)
    return risk
