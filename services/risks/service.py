"""Risks' domain rules. REST routers and GraphQL resolvers both call these; they flush, never
commit (the caller's transaction decides).

A risk's programme lives in the programmes service: it is checked over that service's REST API
(:func:`check_programme`), never by reading its database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    UpstreamUnavailable,
)
from services.common.grouping import group_by
from services.common.http import bearer
from services.common.pagination import PageParams, Window, order_by, window
from services.common.updates import refuse_empty
from services.risks import audit, escalation
from services.risks.matrices import service as matrices
from services.risks.models import Assessment, Issue, Mitigation, Risk
from services.risks.schemas import (
    AssessmentCreate,
    AssessmentRead,
    EscalationStepRead,
    KriRead,
    MaterialiseRequest,
    MitigationCreate,
    MitigationRead,
    MitigationUpdate,
    RiskCreate,
    RiskRead,
    RiskUpdate,
    TrendRead,
    score,
)
from services.risks.vocabulary import (
    LIVE_RISK,
    OPEN_MITIGATION,
    IssueStatus,
    MitigationStatus,
    RaidKind,
    RiskStatus,
)

RISK_SORTS = {"code", "title", "owner", "status", "residual_score", "created_at", "updated_at"}
RATINGS = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")
TARGET = ("target_likelihood", "target_impact")
REQUIRED = ("title", "description", "owner", *RATINGS, "status")


async def _audit(
    session: AsyncSession, actor: Principal, action: str, row: Any, before: dict | None
) -> None:
    await audit.record(session, actor, action, row, before)


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


def check_target(
    *,
    residual_likelihood: int,
    residual_impact: int,
    target_likelihood: int | None,
    target_impact: int | None,
) -> None:
    """A target is both ratings or neither, and no worse than where the risk is now."""
    if (target_likelihood is None) != (target_impact is None):
        missing = "target_impact" if target_impact is None else "target_likelihood"
        raise FieldError("a target needs both likelihood and impact", field=missing)
    if target_likelihood is None or target_impact is None:
        return
    target = score(target_likelihood, target_impact)
    current = score(residual_likelihood, residual_impact)
    if target > current:
        raise FieldError(
            f"the target score {target} ({target_likelihood}x{target_impact}) is above the "
            f"current score {current}; a target is where treatment takes the risk",
            field="target_likelihood",
        )


# The programmes service --------------------------------------------------------------------


async def check_programme(
    *, http: httpx.AsyncClient, programmes_url: str, token: str, programme_id: int
) -> dict[str, Any]:
    """Ask the programmes service whether ``programme_id`` exists, as the caller; its answer.

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
        return dict(response.json())
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


async def portfolio_code_for(
    *,
    http: httpx.AsyncClient,
    programmes_url: str,
    token: str,
    programme_id: int | None,
    given: str | None,
) -> str | None:
    """The plan a risk belongs to: its programme's portfolio (one it names must agree), else the
    portfolio it names, which must be one the programmes service has; None for none named."""
    if programme_id is None and given is None:
        return None
    programme = None
    if programme_id is not None:
        programme = await check_programme(
            http=http, programmes_url=programmes_url, token=token, programme_id=programme_id
        )
    url = f"{programmes_url.rstrip('/')}/portfolios"
    try:
        response = await http.get(url, headers=bearer(token))
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(
            f"the programmes service did not answer ({type(exc).__name__}); cannot check the "
            "portfolio, try again later",
            field="portfolio_code",
        ) from exc
    if response.status_code != 200:
        raise UpstreamUnavailable(
            f"the programmes service answered {response.status_code} to the portfolios; "
            "try again later",
            field="portfolio_code",
        )
    codes = {p["id"]: p["code"] for p in response.json()}
    if programme is not None:
        code = codes.get(programme.get("portfolio_id"))
        if given is not None and given != code:
            raise FieldError(
                f"programme {programme_id} is in portfolio {code}, not {given}: a programme's "
                "risk belongs to its programme's plan",
                field="portfolio_code",
            )
        return code
    if given not in codes.values():
        raise FieldError(f"no portfolio with code {given!r}", field="portfolio_code")
    return given


# Reads -------------------------------------------------------------------------------------


def risk_listing(
    *,
    sort: str | None = None,
    programme_id: int | None = None,
    plan_wide: bool | None = None,
    status: RiskStatus | None = None,
    min_residual_score: int | None = None,
    portfolio_code: str | None = None,
    identified_by: date | None = None,
) -> Any:
    """The ordered SELECT of the risk register."""
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
    if portfolio_code is not None:
        statement = statement.where(Risk.portfolio_code == portfolio_code)
    if identified_by is not None:
        statement = statement.where(
            or_(col(Risk.identified_on).is_(None), col(Risk.identified_on) <= identified_by)
        )
    return statement.order_by(*order_by(Risk, sort, RISK_SORTS, [Risk.code]))


async def list_risks(
    *,
    session: AsyncSession,
    page: PageParams,
    programme_id: int | None = None,
    plan_wide: bool | None = None,
    status: RiskStatus | None = None,
    min_residual_score: int | None = None,
    portfolio_code: str | None = None,
    identified_by: date | None = None,
) -> Window[Risk]:
    """A page of the register, uncounted: REST counts it (``counted``), GraphQL only when a
    client asks for ``totalCount``."""
    statement = risk_listing(
        sort=page.sort,
        programme_id=programme_id,
        plan_wide=plan_wide,
        status=status,
        min_residual_score=min_residual_score,
        portfolio_code=portfolio_code,
        identified_by=identified_by,
    )
    return await window(session, statement, page)


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
    found: dict[int, list[Risk]] = group_by(
        (await session.exec(statement)).all(),
        key=lambda r: r.programme_id,  # type: ignore[arg-type,return-value]
    )
    return {programme_id: found.get(programme_id, []) for programme_id in programme_ids}


# Writes ------------------------------------------------------------------------------------


async def _flush_unique(session: AsyncSession, code: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent writer took the code between check and insert
        raise Conflict(f"a risk with code {code!r} exists", field="code") from exc


async def _assess(
    session: AsyncSession, actor: Principal, risk: Risk, reason: str | None
) -> Assessment:
    """Keep the risk's ratings as one more assessment, on the matrix new scores use."""
    matrix = await matrices.current(session=session)
    assessment = Assessment(
        risk_id=risk.id,  # type: ignore[arg-type]
        matrix_version_id=matrix.id,  # type: ignore[arg-type]
        inherent_likelihood=risk.inherent_likelihood,
        inherent_impact=risk.inherent_impact,
        residual_likelihood=risk.residual_likelihood,
        residual_impact=risk.residual_impact,
        residual_score=risk.residual_score,
        target_likelihood=risk.target_likelihood,
        target_impact=risk.target_impact,
        assessed_by=actor.subject,
        reason=reason,
    )
    session.add(assessment)
    risk.matrix_version_id = matrix.id
    session.add(risk)
    await session.flush()
    return assessment


async def create(
    *,
    session: AsyncSession,
    actor: Principal,
    data: RiskCreate,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> Risk:
    residual = check_scores(**data.model_dump(include=set(RATINGS)))
    check_target(**data.model_dump(include={"residual_likelihood", "residual_impact", *TARGET}))
    # Ask the programmes service before touching the database: no transaction waits on it.
    portfolio = await portfolio_code_for(
        http=http,
        programmes_url=programmes_url,
        token=actor.token,
        programme_id=data.programme_id,
        given=data.portfolio_code,
    )
    if await find_by_code(session=session, code=data.code) is not None:
        raise Conflict(f"a risk with code {data.code!r} exists", field="code")
    risk = Risk.model_validate(
        data,
        update={
            "portfolio_code": portfolio,
            "residual_score": residual,
            "identified_on": data.identified_on or clock.today(),
            "author": data.author or actor.subject,
        },
    )
    session.add(risk)
    await _flush_unique(session, data.code)
    await _assess(session, actor, risk, "first assessment")
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
    reason = changes.pop("reason", None)
    refuse_empty(changes, REQUIRED, why="every risk has one")
    risk = await get(session=session, risk_id=risk_id)
    ratings = {name: changes.get(name, getattr(risk, name)) for name in RATINGS}
    residual = check_scores(**ratings)
    targets = {name: changes.get(name, getattr(risk, name)) for name in TARGET}
    check_target(
        residual_likelihood=ratings["residual_likelihood"],
        residual_impact=ratings["residual_impact"],
        **targets,
    )
    rescored = bool(set(RATINGS + TARGET) & changes.keys())
    if set(RATINGS) & changes.keys():
        changes["residual_score"] = residual
    moved = "programme_id" in changes and changes["programme_id"] != risk.programme_id
    if moved or "portfolio_code" in changes:
        programme_id = changes.get("programme_id", risk.programme_id)
        given = changes.get("portfolio_code", None if moved else risk.portfolio_code)
        if programme_id is None and moved and "portfolio_code" not in changes:
            given = risk.portfolio_code  # made plan-wide: it stays in its plan
        changes["portfolio_code"] = await portfolio_code_for(
            http=http,
            programmes_url=programmes_url,
            token=actor.token,
            programme_id=programme_id,
            given=given,
        )
    previous_score = risk.residual_score
    before = audit.snapshot(risk)
    await update_versioned(session, risk, changes, expected_version=expected_version)
    if rescored:
        await _assess(session, actor, risk, reason)
        await _escalate_on_crossing(
            session=session,
            actor=actor,
            risk=risk,
            previous_score=previous_score,
            http=http,
            programmes_url=programmes_url,
        )
    await _audit(session, actor, "update", risk, before)
    return risk


# Score history -----------------------------------------------------------------------------


async def reassess(
    *,
    session: AsyncSession,
    actor: Principal,
    risk_id: int,
    data: AssessmentCreate,
    expected_version: int,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> Risk:
    """A review: new current (and optionally inherent and target) ratings, with the reason."""
    risk = await get(session=session, risk_id=risk_id)
    if RiskStatus(risk.status) not in LIVE_RISK:
        raise Conflict(
            f"risk {risk.code} is {RiskStatus(risk.status).value}; only a live risk is reassessed",
            field="status",
        )
    update_data = RiskUpdate.model_validate(data.model_dump(exclude_none=True))
    risk = await update(
        session=session,
        actor=actor,
        risk_id=risk_id,
        data=update_data,
        expected_version=expected_version,
        http=http,
        programmes_url=programmes_url,
    )
    if risk.needs_review:  # the review a key risk indicator asked for has happened
        risk.needs_review, risk.review_reason = False, None
        session.add(risk)
        await session.flush()
    return risk


async def assessments(*, session: AsyncSession, risk_id: int) -> list[Assessment]:
    await get(session=session, risk_id=risk_id)
    statement = select(Assessment).where(Assessment.risk_id == risk_id).order_by(col(Assessment.id))
    return list((await session.exec(statement)).all())


async def trend(*, session: AsyncSession, risk_id: int, last: int) -> TrendRead:
    history = (await assessments(session=session, risk_id=risk_id))[-last:]
    scores = [a.residual_score for a in history]
    direction = "steady"
    if len(scores) > 1 and scores[-1] != scores[0]:
        direction = "rising" if scores[-1] > scores[0] else "falling"
    return TrendRead(risk_id=risk_id, scores=scores, direction=direction)


# Mitigating actions ------------------------------------------------------------------------


async def _check_due(risk: Risk, due_on: date) -> None:
    if risk.identified_on is not None and due_on < risk.identified_on:
        raise FieldError(
            f"due {due_on.isoformat()}, before the risk was identified "
            f"({risk.identified_on.isoformat()})",
            field="due_on",
        )


async def add_mitigation(
    *, session: AsyncSession, actor: Principal, risk_id: int, data: MitigationCreate
) -> Mitigation:
    risk = await get(session=session, risk_id=risk_id)
    await _check_due(risk, data.due_on)
    mitigation = Mitigation.model_validate(data, update={"risk_id": risk_id})
    if data.status is MitigationStatus.done:
        mitigation.completed_on = clock.today()
    session.add(mitigation)
    await session.flush()
    await _audit(session, actor, "create", mitigation, None)
    return mitigation


async def get_mitigation(*, session: AsyncSession, mitigation_id: int) -> Mitigation:
    row = await session.get(Mitigation, mitigation_id)
    if row is None:
        raise NotFound(f"no mitigation with id {mitigation_id}", field="mitigation_id")
    return row


async def update_mitigation(
    *,
    session: AsyncSession,
    actor: Principal,
    mitigation_id: int,
    data: MitigationUpdate,
    expected_version: int,
) -> Mitigation:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    refuse_empty(changes, ("description", "owner", "due_on", "status"), why="every action has one")
    row = await get_mitigation(session=session, mitigation_id=mitigation_id)
    if "due_on" in changes:
        await _check_due(await get(session=session, risk_id=row.risk_id), changes["due_on"])
    if changes.get("status") is MitigationStatus.done and row.completed_on is None:
        changes["completed_on"] = clock.today()
    before = audit.snapshot(row)
    await update_versioned(session, row, changes, expected_version=expected_version)
    await _audit(session, actor, "update", row, before)
    return row


async def mitigations_by_risk(
    *, session: AsyncSession, risk_ids: Sequence[int]
) -> dict[int, list[Mitigation]]:
    statement = (
        select(Mitigation)
        .where(col(Mitigation.risk_id).in_(risk_ids))
        .order_by(col(Mitigation.due_on), col(Mitigation.id))
    )
    return group_by((await session.exec(statement)).all(), key=lambda m: m.risk_id, keys=risk_ids)


async def overdue_mitigations(*, session: AsyncSession, as_of: date) -> list[Mitigation]:
    statement = (
        select(Mitigation)
        .where(col(Mitigation.status).in_(OPEN_MITIGATION), col(Mitigation.due_on) < as_of)
        .order_by(col(Mitigation.due_on), col(Mitigation.id))
    )
    return list((await session.exec(statement)).all())


async def overdue_reviews(*, session: AsyncSession, as_of: date) -> list[Risk]:
    statement = (
        select(Risk)
        .where(col(Risk.status).in_(LIVE_RISK), col(Risk.review_on) < as_of)
        .order_by(col(Risk.review_on), Risk.code)
    )
    return list((await session.exec(statement)).all())


# A risk materialises -----------------------------------------------------------------------


async def materialise(
    *,
    session: AsyncSession,
    actor: Principal,
    risk_id: int,
    data: MaterialiseRequest,
    expected_version: int,
) -> tuple[Risk, Issue]:
    """The risk became an issue: create it, link both ways, close the risk as Materialised."""
    risk = await get(session=session, risk_id=risk_id)
    if RiskStatus(risk.status) not in LIVE_RISK:
        raise Conflict(
            f"risk {risk.code} is {RiskStatus(risk.status).value}; only a live risk materialises",
            field="status",
        )
    taken = await session.exec(select(Issue.id).where(Issue.code == data.issue_code))
    if taken.first() is not None:
        raise Conflict(f"an issue with code {data.issue_code!r} exists", field="issue_code")
    issue = Issue(
        code=data.issue_code,
        programme_id=risk.programme_id,
        title=risk.title,
        description=data.description or risk.description,
        owner=data.owner or risk.owner,
        author=actor.subject,
        identified_on=clock.today(),
        severity=data.severity,
        priority=data.priority,
        due_on=data.due_on,
        status=IssueStatus.open,
        risk_id=risk.id,
    )
    session.add(issue)
    await session.flush()
    await _audit(session, actor, "create", issue, None)
    before = audit.snapshot(risk)
    await update_versioned(
        session,
        risk,
        {"status": RiskStatus.materialised, "issue_id": issue.id},
        expected_version=expected_version,
    )
    await _audit(session, actor, "update", risk, before)
    return risk, issue


# Escalation --------------------------------------------------------------------------------


async def escalate(
    *,
    session: AsyncSession,
    actor: Principal,
    risk_id: int,
    reason: str,
    expected_version: int | None,
    http: httpx.AsyncClient,
    programmes_url: str,
    taken_on: date | None = None,
) -> Risk:
    """The owner flags it for the board: raised at its board, or moved one board up if it is
    already escalated."""
    risk = await get(session=session, risk_id=risk_id)
    if expected_version is not None and risk.version != expected_version:
        raise PreconditionFailed(
            f"risk {risk_id} is at version {risk.version}, not {expected_version}",
            field="If-Match",
        )
    if RiskStatus(risk.status) not in LIVE_RISK:
        raise Conflict(
            f"risk {risk.code} is {RiskStatus(risk.status).value}; only a live risk is escalated",
            field="status",
        )
    return await _escalate(
        session=session,
        actor=actor,
        risk=risk,
        reason=reason,
        http=http,
        programmes_url=programmes_url,
        taken_on=taken_on,
    )


async def _escalate(
    *,
    session: AsyncSession,
    actor: Principal,
    risk: Risk,
    reason: str,
    http: httpx.AsyncClient,
    programmes_url: str,
    taken_on: date | None = None,
) -> Risk:
    await escalation.escalate_item(
        session=session,
        actor=actor,
        kind=RaidKind.risk,
        row=risk,
        reason=reason,
        http=http,
        programmes_url=programmes_url,
        taken_on=taken_on,
    )
    return risk


async def _escalate_on_crossing(
    *,
    session: AsyncSession,
    actor: Principal,
    risk: Risk,
    previous_score: int,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> None:
    """A current score that rises across its matrix's escalation line goes to the board."""
    matrix = await matrices.get(session=session, matrix_id=risk.matrix_version_id)  # type: ignore[arg-type]
    line = matrix.escalation_score
    if previous_score < line <= risk.residual_score and risk.escalation_id is None:
        await _escalate(
            session=session,
            actor=actor,
            risk=risk,
            reason=f"current score {risk.residual_score} crossed the escalation line {line} "
            f"of matrix {matrix.code} v{matrix.version}",
            http=http,
            programmes_url=programmes_url,
        )


async def deescalate(
    *,
    session: AsyncSession,
    actor: Principal,
    risk_id: int,
    reason: str,
    expected_version: int,
    http: httpx.AsyncClient,
    programmes_url: str,
    taken_on: date | None = None,
) -> Risk:
    risk = await get(session=session, risk_id=risk_id)
    if risk.escalation_id is None:
        raise Conflict(f"risk {risk.code} is not escalated", field="escalation_id")
    if risk.version != expected_version:
        raise PreconditionFailed(
            f"risk {risk_id} is at version {risk.version}, not {expected_version}",
            field="If-Match",
        )
    await escalation.deescalate_item(
        session=session,
        actor=actor,
        kind=RaidKind.risk,
        row=risk,
        reason=reason,
        http=http,
        programmes_url=programmes_url,
        taken_on=taken_on,
    )
    return risk


async def assessments_by_risk(
    *, session: AsyncSession, risk_ids: Sequence[int]
) -> dict[int, list[Assessment]]:
    """Each risk's assessments, oldest first: one query for many risks."""
    statement = (
        select(Assessment).where(col(Assessment.risk_id).in_(risk_ids)).order_by(col(Assessment.id))
    )
    return group_by((await session.exec(statement)).all(), key=lambda a: a.risk_id, keys=risk_ids)


# Read models: rows as REST shows them, built here rather than in each router ---------------


def risk_read(row: object) -> RiskRead:
    return RiskRead.model_validate(row, from_attributes=True)


def assessment_read(row: object) -> AssessmentRead:
    return AssessmentRead.model_validate(row, from_attributes=True)


def mitigation_read(row: object) -> MitigationRead:
    return MitigationRead.model_validate(row, from_attributes=True)


def step_read(row: object) -> EscalationStepRead:
    """An escalation step, of a risk or an issue."""
    return EscalationStepRead.model_validate(row, from_attributes=True)


def kri_read(row: object) -> KriRead:
    return KriRead.model_validate(row, from_attributes=True)
