"""Assumptions, issues and dependencies: one set of register rules for the three of them.

Programme ids are checked against the programmes service over its API, before any write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import Conflict, FieldError, NotFound, PreconditionFailed
from services.common.pagination import PageParams, Window, order_by, window
from services.common.updates import refuse_empty
from services.risks import audit, escalation
from services.risks.items.schemas import AssumptionRead, DependencyRead, IssueRead
from services.risks.models import Assumption, Dependency, Issue
from services.risks.service import check_programme
from services.risks.vocabulary import DependencyStatus, IssueStatus, RaidKind

Item = TypeVar("Item", Assumption, Issue, Dependency)
MODELS: dict[RaidKind, Any] = {
    RaidKind.assumption: Assumption,
    RaidKind.issue: Issue,
    RaidKind.dependency: Dependency,
}
REQUIRED = ("title", "owner", "status", "severity", "priority")
SORTS = {"code", "title", "owner", "status", "identified_on", "created_at", "updated_at"}
PROGRAMME_FIELDS = ("programme_id", "from_programme_id", "to_programme_id")


async def _check_programmes(
    values: dict[str, Any], actor: Principal, http: httpx.AsyncClient, programmes_url: str
) -> None:
    for field in PROGRAMME_FIELDS:
        if values.get(field) is not None:
            try:
                await check_programme(
                    http=http,
                    programmes_url=programmes_url,
                    token=actor.token,
                    programme_id=values[field],
                )
            except FieldError as error:
                error.errors[0]["field"] = field
                raise


def _check_dependency(values: dict[str, Any]) -> None:
    if values.get("to_programme_id") is None and not (
        values.get("to_external") or values.get("to_activity")
    ):
        raise FieldError(
            "a dependency is on a programme (to_programme_id), a key activity (to_activity) or "
            "an external party (to_external)",
            field="to_programme_id",
        )
    same_programme = values.get("to_programme_id") is not None and values.get(
        "from_programme_id"
    ) == values.get("to_programme_id")
    if same_programme and (values.get("from_activity") or None) == (
        values.get("to_activity") or None
    ):
        raise FieldError("a programme cannot depend on itself", field="to_programme_id")


async def get(*, session: AsyncSession, kind: RaidKind, item_id: int) -> Any:
    row = await session.get(MODELS[kind], item_id)
    if row is None:
        raise NotFound(f"no {kind.value} with id {item_id}", field=f"{kind.value}_id")
    return row


async def get_many(*, session: AsyncSession, kind: RaidKind, ids: Sequence[int]) -> dict[int, Any]:
    model = MODELS[kind]
    rows = await session.exec(select(model).where(col(model.id).in_(ids)))
    return {r.id: r for r in rows.all()}


async def get_by_code(*, session: AsyncSession, kind: RaidKind, code: str) -> Any:
    model = MODELS[kind]
    row = (await session.exec(select(model).where(model.code == code))).first()
    if row is None:
        raise NotFound(f"no {kind.value} with code {code!r}", field="code")
    return row


def listing(
    *,
    kind: RaidKind,
    sort: str | None,
    programme_id: int | None,
    status: str | None,
    plan_wide: bool | None = None,
    identified_by: date | None = None,
) -> Any:
    """The ordered SELECT of one register's list. Plan-wide items belong to no programme (a
    dependency: the whole plan depends)."""
    model = MODELS[kind]
    statement = select(model)
    if programme_id is not None and plan_wide:
        raise FieldError(
            f"a plan-wide {kind.value} belongs to no programme: filter by one or the other",
            field="plan_wide",
        )
    if plan_wide is not None:
        owner = col(model.from_programme_id if kind is RaidKind.dependency else model.programme_id)
        statement = statement.where(owner.is_(None) if plan_wide else owner.is_not(None))
    if programme_id is not None:
        if kind is RaidKind.dependency:
            statement = statement.where(
                or_(model.from_programme_id == programme_id, model.to_programme_id == programme_id)
            )
        else:
            statement = statement.where(model.programme_id == programme_id)
    if status is not None:
        statement = statement.where(model.status == status)
    if identified_by is not None:
        statement = statement.where(identified_by_day(model, identified_by))
    return statement.order_by(*order_by(model, sort, SORTS, [model.code]))


def identified_by_day(model: Any, day: date) -> Any:
    """Known by ``day``: identified on or before it (one recorded without a date, before dates
    were kept, counts as always known)."""
    return or_(col(model.identified_on).is_(None), col(model.identified_on) <= day)


async def list_items(
    *,
    session: AsyncSession,
    kind: RaidKind,
    page: PageParams,
    programme_id: int | None = None,
    plan_wide: bool | None = None,
    status: str | None = None,
    identified_by: date | None = None,
) -> Window[Any]:
    """A page of one register, uncounted: REST counts it (``counted``), GraphQL only when a
    client asks for ``totalCount``."""
    statement = listing(
        kind=kind,
        sort=page.sort,
        programme_id=programme_id,
        status=status,
        plan_wide=plan_wide,
        identified_by=identified_by,
    )
    return await window(session, statement, page)


async def by_programme(
    *, session: AsyncSession, kind: RaidKind, programme_ids: Sequence[int]
) -> dict[int, list[Any]]:
    """Each programme's items of one kind (a dependency counts for both its ends): one query."""
    model = MODELS[kind]
    found: dict[int, list[Any]] = {p: [] for p in programme_ids}
    if kind is RaidKind.dependency:
        where = or_(
            col(model.from_programme_id).in_(programme_ids),
            col(model.to_programme_id).in_(programme_ids),
        )
    else:
        where = col(model.programme_id).in_(programme_ids)
    for row in (await session.exec(select(model).where(where).order_by(model.code))).all():
        ends = (
            {row.from_programme_id, row.to_programme_id}
            if kind is RaidKind.dependency
            else {row.programme_id}
        )
        for programme_id in ends & set(programme_ids):
            found[programme_id].append(row)
    return found


async def create(
    *,
    session: AsyncSession,
    actor: Principal,
    kind: RaidKind,
    data: SQLModel,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> Any:
    values = data.model_dump()
    if kind is RaidKind.dependency:
        _check_dependency(values)
    await _check_programmes(values, actor, http, programmes_url)
    model = MODELS[kind]
    if (await session.exec(select(model.id).where(model.code == values["code"]))).first():
        raise Conflict(f"a {kind.value} with code {values['code']!r} exists", field="code")
    values["identified_on"] = values.get("identified_on") or clock.today()
    values["author"] = values.get("author") or actor.subject
    row = model(**values)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a {kind.value} with code {values['code']!r} exists", field="code") from exc
    await audit.record(session, actor, "create", row, None)
    return row


async def update(
    *,
    session: AsyncSession,
    actor: Principal,
    kind: RaidKind,
    item_id: int,
    data: SQLModel,
    expected_version: int,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> Any:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    refuse_empty(changes, REQUIRED, why=f"every {kind.value} has one")
    row = await get(session=session, kind=kind, item_id=item_id)
    if kind is RaidKind.dependency:
        _check_dependency({**row.model_dump(), **changes})
    moved = {f: v for f, v in changes.items() if f in PROGRAMME_FIELDS and v != getattr(row, f)}
    await _check_programmes(moved, actor, http, programmes_url)
    before = audit.snapshot(row)
    await update_versioned(session, row, changes, expected_version=expected_version)
    await audit.record(session, actor, "update", row, before)
    return row


# What the boards look at -------------------------------------------------------------------


async def issues_past_due(*, session: AsyncSession, as_of: date) -> list[Issue]:
    statement = (
        select(Issue)
        .where(Issue.status == IssueStatus.open, col(Issue.due_on) < as_of)
        .order_by(col(Issue.due_on), Issue.code)
    )
    return list((await session.exec(statement)).all())


async def dependencies_at_risk(
    *, session: AsyncSession, as_of: date, horizon_days: int
) -> list[Dependency]:
    """Not met and either flagged At risk/Broken, or needed within the horizon (or overdue);
    known by ``as_of`` (one identified later is not in that day's picture)."""
    from datetime import timedelta

    near = as_of + timedelta(days=horizon_days)
    statement = (
        select(Dependency)
        .where(
            _known_by(as_of),
            Dependency.status != DependencyStatus.met,
            or_(
                col(Dependency.status).in_((DependencyStatus.at_risk, DependencyStatus.broken)),
                col(Dependency.needed_by) <= near,
            ),
        )
        .order_by(col(Dependency.needed_by), Dependency.code)
    )
    return list((await session.exec(statement)).all())


def _known_by(as_of: date) -> Any:
    return identified_by_day(Dependency, as_of)


async def all_dependencies(*, session: AsyncSession, as_of: date | None = None) -> list[Dependency]:
    """Every dependency, or those identified by ``as_of``."""
    statement = select(Dependency).order_by(Dependency.code)
    if as_of is not None:
        statement = statement.where(_known_by(as_of))
    return list((await session.exec(statement)).all())


def cycles(rows: Sequence[Dependency]) -> list[list[str]]:
    """Cycles between programmes in the dependency graph, each as the codes of its edges."""
    edges: dict[int, list[Dependency]] = {}
    for row in rows:
        if row.from_programme_id is not None and row.to_programme_id is not None:
            edges.setdefault(row.from_programme_id, []).append(row)
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(start: int, node: int, path: list[Dependency], visited: set[int]) -> None:
        for edge in edges.get(node, []):
            target = edge.to_programme_id
            if target == start:
                codes = [d.code for d in [*path, edge]]
                if frozenset(codes) not in seen:
                    seen.add(frozenset(codes))
                    found.append(codes)
            elif target not in visited and target is not None:
                walk(start, target, [*path, edge], visited | {target})

    for start in sorted(edges):
        walk(start, start, [], {start})
    return found


async def cycle_through(*, session: AsyncSession, dependency: Dependency) -> list[str] | None:
    """The first cycle this dependency is part of, if any (allowed, but flagged)."""
    for cycle in cycles(await all_dependencies(session=session)):
        if dependency.code in cycle:
            return cycle
    return None


# Escalating an issue -----------------------------------------------------------------------


async def escalate_issue(
    *,
    session: AsyncSession,
    actor: Principal,
    issue_id: int,
    reason: str,
    expected_version: int,
    http: httpx.AsyncClient,
    programmes_url: str,
    taken_on: date | None = None,
) -> Issue:
    """Raise an open issue at its board, or one board up if it is already escalated."""
    issue: Issue = await get(session=session, kind=RaidKind.issue, item_id=issue_id)
    _check_version(issue, expected_version)
    if IssueStatus(issue.status) is not IssueStatus.open:
        raise Conflict(f"issue {issue.code} is not open", field="status")
    await escalation.escalate_item(
        session=session,
        actor=actor,
        kind=RaidKind.issue,
        row=issue,
        reason=reason,
        http=http,
        programmes_url=programmes_url,
        taken_on=taken_on,
    )
    return issue


async def deescalate_issue(
    *,
    session: AsyncSession,
    actor: Principal,
    issue_id: int,
    reason: str,
    expected_version: int,
    http: httpx.AsyncClient,
    programmes_url: str,
    taken_on: date | None = None,
) -> Issue:
    issue: Issue = await get(session=session, kind=RaidKind.issue, item_id=issue_id)
    _check_version(issue, expected_version)
    await escalation.deescalate_item(
        session=session,
        actor=actor,
        kind=RaidKind.issue,
        row=issue,
        reason=reason,
        http=http,
        programmes_url=programmes_url,
        taken_on=taken_on,
    )
    return issue


def _check_version(row: Any, expected_version: int) -> None:
    if row.version != expected_version:
        raise PreconditionFailed(
            f"{row.__tablename__} {row.id} is at version {row.version}, not {expected_version}",
            field="If-Match",
        )


# Read models: rows as REST shows them, built here rather than in each router ---------------

READS: dict[RaidKind, type[SQLModel]] = {
    RaidKind.assumption: AssumptionRead,
    RaidKind.issue: IssueRead,
    RaidKind.dependency: DependencyRead,
}


def issue_read(row: Issue) -> IssueRead:
    return IssueRead.model_validate(row, from_attributes=True)


async def dependency_read(*, session: AsyncSession, row: Dependency) -> DependencyRead:
    """A dependency with the first cycle it is part of, if any."""
    cycle = await cycle_through(session=session, dependency=row)
    return DependencyRead.model_validate(row, from_attributes=True, update={"cycle": cycle})


async def read(*, session: AsyncSession, kind: RaidKind, row: Any) -> Any:
    """An item of any of the three registers as REST shows it."""
    if kind is RaidKind.dependency:
        return await dependency_read(session=session, row=row)
    return READS[kind].model_validate(row, from_attributes=True)
