"""Portfolios, aims and programmes: the rules REST and GraphQL share. Functions only flush;
the caller's transaction commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import Conflict, FieldError, NotFound
from services.common.grouping import group_by
from services.common.pagination import PageParams, Window, order_by, window
from services.common.updates import refuse_empty
from services.programmes import timescales
from services.programmes.base import record
from services.programmes.governance.models import Board
from services.programmes.plan.models import (
    Aim,
    Outcome,
    Person,
    Portfolio,
    Programme,
    ProgrammeOutcome,
    RagGrade,
    Workstream,
)
from services.programmes.plan.schemas import (
    AimCreate,
    AimRead,
    OutcomeRead,
    PersonCreate,
    PersonRead,
    PersonRef,
    PersonUpdate,
    PortfolioCreate,
    PortfolioRead,
    ProgrammeCreate,
    ProgrammeLoaded,
    ProgrammeRead,
    ProgrammeUpdate,
    RagGradeCreate,
    RagGradeRead,
    RoleHeld,
    TimescaleRead,
    WorkstreamCreate,
    WorkstreamRead,
)

# Portfolios and aims -----------------------------------------------------------------------


async def list_portfolios(*, session: AsyncSession) -> Sequence[Portfolio]:
    return (await session.exec(select(Portfolio).order_by(Portfolio.code))).all()


async def get_portfolio(*, session: AsyncSession, portfolio_id: int) -> Portfolio:
    portfolio = await session.get(Portfolio, portfolio_id)
    if portfolio is None:
        raise NotFound(f"no portfolio with id {portfolio_id}", field="portfolio_id")
    return portfolio


async def financial_year_start(*, session: AsyncSession, portfolio_id: int) -> int | None:
    """The first financial year of a plan, if recorded: it places timescales such as "Q1"
    that name no year."""
    portfolio = await session.get(Portfolio, portfolio_id)
    return None if portfolio is None else portfolio.financial_year_start


async def find_portfolio_by_code(*, session: AsyncSession, code: str) -> Portfolio | None:
    return (await session.exec(select(Portfolio).where(Portfolio.code == code))).first()


async def create_portfolio(
    *, session: AsyncSession, actor: Principal, data: PortfolioCreate
) -> Portfolio:
    existing = await find_portfolio_by_code(session=session, code=data.code)
    if existing is not None:
        raise Conflict(f"a portfolio with code {data.code!r} exists", field="code")
    portfolio = Portfolio.model_validate(data.model_dump(exclude={"rag_scale"}))
    session.add(portfolio)
    await session.flush()
    for position, grade in enumerate(data.rag_scale, start=1):
        session.add(
            RagGrade.model_validate(
                {**grade.model_dump(), "portfolio_id": portfolio.id, "position": position}
            )
        )
    await session.flush()
    await record(
        session,
        actor,
        "create",
        portfolio,
        None,
        after={
            **portfolio.model_dump(mode="json"),
            "rag_scale": data.model_dump(mode="json")["rag_scale"],
        },
    )
    return portfolio


async def list_aims(*, session: AsyncSession, portfolio_id: int | None = None) -> Sequence[Aim]:
    statement = select(Aim).order_by(col(Aim.portfolio_id), col(Aim.code))
    if portfolio_id is not None:
        statement = statement.where(Aim.portfolio_id == portfolio_id)
    return (await session.exec(statement)).all()


async def get_aim(*, session: AsyncSession, aim_id: int) -> Aim:
    aim = await session.get(Aim, aim_id)
    if aim is None:
        raise NotFound(f"no aim with id {aim_id}", field="aim_id")
    return aim


async def outcomes_by_aim(*, session: AsyncSession, aim_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = (
        await session.exec(
            select(Outcome).where(col(Outcome.aim_id).in_(aim_ids)).order_by(col(Outcome.position))
        )
    ).all()
    found: dict[int, list[str]] = group_by(
        rows, lambda row: row.aim_id, lambda row: row.text, keys=aim_ids
    )
    return found


async def create_aim(*, session: AsyncSession, actor: Principal, data: AimCreate) -> Aim:
    await get_portfolio(session=session, portfolio_id=data.portfolio_id)
    duplicate = (
        await session.exec(
            select(Aim).where(Aim.portfolio_id == data.portfolio_id, Aim.code == data.code)
        )
    ).first()
    if duplicate is not None:
        raise Conflict(f"the portfolio already has an aim {data.code!r}", field="code")
    aim = Aim.model_validate(data)
    session.add(aim)
    await session.flush()
    for position, text in enumerate(data.outcomes, start=1):
        session.add(Outcome(aim_id=aim.id, position=position, text=text))  # type: ignore[arg-type]
    await session.flush()
    await record(session, actor, "create", aim, None)
    return aim


# Programmes --------------------------------------------------------------------------------

PROGRAMME_SORTS = {"code", "name", "directorate", "updated_at"}
ROLE_FIELDS = {"sao_id": "SAO", "rdl_id": "RDL", "lead_member_id": "Lead Member"}


async def list_programmes(
    *,
    session: AsyncSession,
    page: PageParams,
    portfolio_id: int | None = None,
    portfolio_code: str | None = None,
    aim_id: int | None = None,
    directorate: str | None = None,
    sao_id: int | None = None,
    person_id: int | None = None,
    sao: str | None = None,
    q: str | None = None,
) -> Window[Programme]:
    statement = select(Programme)
    if portfolio_id is not None:
        statement = statement.where(Programme.portfolio_id == portfolio_id)
    if portfolio_code is not None:
        codes = select(Portfolio.id).where(Portfolio.code == portfolio_code)
        statement = statement.where(col(Programme.portfolio_id).in_(codes))
    if aim_id is not None:
        statement = statement.where(Programme.aim_id == aim_id)
    if directorate:
        statement = statement.where(func.lower(Programme.directorate) == directorate.lower())
    if sao_id is not None:
        statement = statement.where(Programme.sao_id == sao_id)
    if person_id is not None:
        statement = statement.where(
            or_(
                col(Programme.sao_id) == person_id,
                col(Programme.rdl_id) == person_id,
                col(Programme.lead_member_id) == person_id,
            )
        )
    if sao:
        saos = select(Person.id).where(
            or_(col(Person.name).ilike(f"%{sao}%"), col(Person.title).ilike(f"%{sao}%"))
        )
        statement = statement.where(col(Programme.sao_id).in_(saos))
    if q:
        statement = statement.where(
            or_(col(Programme.name).ilike(f"%{q}%"), col(Programme.code).ilike(f"%{q}%"))
        )
    statement = statement.order_by(
        *order_by(Programme, page.sort, PROGRAMME_SORTS, [Programme.code])
    )
    return await window(session, statement, page)


async def all_programmes(
    *, session: AsyncSession, portfolio_id: int | None = None, programme_id: int | None = None
) -> list[Programme]:
    """Every programme by code, or a plan's, or one: for checks that read the whole plan."""
    statement = select(Programme).order_by(col(Programme.code))
    if portfolio_id is not None:
        statement = statement.where(Programme.portfolio_id == portfolio_id)
    if programme_id is not None:
        statement = statement.where(Programme.id == programme_id)
    return list((await session.exec(statement)).all())


async def find(*, session: AsyncSession, programme_id: int) -> Programme | None:
    return await session.get(Programme, programme_id)


async def find_workstream(*, session: AsyncSession, workstream_id: int) -> Workstream | None:
    return await session.get(Workstream, workstream_id)


async def get(*, session: AsyncSession, programme_id: int) -> Programme:
    programme = await session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(f"no programme with id {programme_id}", field="programme_id")
    return programme


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Programme]:
    rows = (await session.exec(select(Programme).where(col(Programme.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


async def get_many_by_code(
    *, session: AsyncSession, codes: Collection[str]
) -> dict[str, Programme]:
    """The programmes with these codes, by code (a code no programme has is left out)."""
    if not codes:
        return {}
    rows = (await session.exec(select(Programme).where(col(Programme.code).in_(codes)))).all()
    return {row.code: row for row in rows}


async def get_named(
    *, session: AsyncSession, programme_id: int, field: str = "programme_id"
) -> Programme:
    """The programme a request's body names: none is a 422 on that field (the request is
    wrong), where :func:`get` is a 404 (the path names nothing)."""
    programme = await session.get(Programme, programme_id)
    if programme is None:
        raise FieldError(f"no programme with id {programme_id}", field=field)
    return programme


async def get_by_code(*, session: AsyncSession, code: str) -> Programme:
    programme = await find_by_code(session=session, code=code)
    if programme is None:
        raise NotFound(f"no programme with code {code!r}", field="code")
    return programme


async def _check_aim(session: AsyncSession, aim_id: int | None, portfolio_id: int) -> None:
    if aim_id is None:
        return
    aim = await session.get(Aim, aim_id)
    if aim is None:
        raise FieldError(f"no aim with id {aim_id}", field="aim_id")
    if aim.portfolio_id != portfolio_id:
        raise FieldError(f"aim {aim_id} belongs to another portfolio", field="aim_id")


async def _check_people(session: AsyncSession, values: dict[str, int | None]) -> None:
    for name, person_id in values.items():
        if name in ROLE_FIELDS and person_id is not None:
            if await session.get(Person, person_id) is None:
                raise FieldError(f"no person with id {person_id}", field=name)


async def _check_board(session: AsyncSession, values: dict[str, int | None]) -> None:
    board_id = values.get("board_id")
    if board_id is not None and await session.get(Board, board_id) is None:
        raise FieldError(f"no board with id {board_id}", field="board_id")


async def create(
    *, session: AsyncSession, actor: Principal, data: ProgrammeCreate | ProgrammeLoaded
) -> Programme:
    """A new programme; one loaded from a source plan (:class:`ProgrammeLoaded`) may lack its
    SAO and Lead Member, which the load reports, and meets every other rule."""
    portfolio = await session.get(Portfolio, data.portfolio_id)
    if portfolio is None:
        raise FieldError(f"no portfolio with id {data.portfolio_id}", field="portfolio_id")
    await _check_aim(session, data.aim_id, data.portfolio_id)
    await _check_people(session, data.model_dump(include=set(ROLE_FIELDS)))
    await _check_board(session, data.model_dump(include={"board_id"}))
    existing = await find_by_code(session=session, code=data.code)
    if existing is not None:
        raise Conflict(f"a programme with code {data.code!r} exists", field="code")
    programme = Programme.model_validate(data)
    session.add(programme)
    await session.flush()
    await record(session, actor, "create", programme, None)
    return programme


async def update(
    *,
    session: AsyncSession,
    actor: Principal,
    programme_id: int,
    data: ProgrammeUpdate,
    expected_version: int,
) -> Programme:
    programme = await get(session=session, programme_id=programme_id)
    changes = data.model_dump(exclude_unset=True)
    refuse_empty(changes, ("name", "sao_id", "lead_member_id"), why="every programme has one")
    await _check_people(session, changes)
    await _check_board(session, changes)
    if "aim_id" in changes:
        await _check_aim(session, changes["aim_id"], programme.portfolio_id)
    before = audit.snapshot(programme)
    await update_versioned(session, programme, changes, expected_version=expected_version)
    await record(session, actor, "update", programme, before)
    return programme


async def find_by_code(*, session: AsyncSession, code: str) -> Programme | None:
    return (await session.exec(select(Programme).where(Programme.code == code))).first()


async def get_aims(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Aim]:
    rows = (await session.exec(select(Aim).where(col(Aim.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


async def reads(*, session: AsyncSession, programmes: Sequence[Programme]) -> list[ProgrammeRead]:
    """Programmes as the API shows them, with their SAO, RDL and Lead Member named."""
    ids = {
        person_id
        for p in programmes
        for person_id in (p.sao_id, p.rdl_id, p.lead_member_id)
        if person_id is not None
    }
    people = await get_people(session=session, ids=list(ids))

    def ref(person_id: int | None) -> PersonRef | None:
        person = people.get(person_id) if person_id is not None else None
        return None if person is None else PersonRef.model_validate(person, from_attributes=True)

    return [
        ProgrammeRead.model_validate(
            {
                **p.model_dump(),
                "sao": ref(p.sao_id),
                "rdl": ref(p.rdl_id),
                "lead_member": ref(p.lead_member_id),
            }
        )
        for p in programmes
    ]


# People ------------------------------------------------------------------------------------

PEOPLE_SORTS = {"name", "title", "directorate"}


async def list_people(
    *, session: AsyncSession, page: PageParams, q: str | None = None
) -> Window[Person]:
    statement = select(Person)
    if q:
        statement = statement.where(
            or_(col(Person.name).ilike(f"%{q}%"), col(Person.title).ilike(f"%{q}%"))
        )
    statement = statement.order_by(*order_by(Person, page.sort, PEOPLE_SORTS, [Person.name]))
    return await window(session, statement, page)


async def get_person(*, session: AsyncSession, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}", field="person_id")
    return person


async def get_people(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Person]:
    rows = (await session.exec(select(Person).where(col(Person.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


async def find_person(*, session: AsyncSession, name: str) -> Person | None:
    return (await session.exec(select(Person).where(Person.name == name))).first()


async def create_person(*, session: AsyncSession, actor: Principal, data: PersonCreate) -> Person:
    if await find_person(session=session, name=data.name) is not None:
        raise Conflict(f"a person named {data.name!r} is in the directory", field="name")
    person = Person.model_validate(data)
    session.add(person)
    await session.flush()
    await record(session, actor, "create", person, None)
    return person


async def update_person(
    *,
    session: AsyncSession,
    actor: Principal,
    person_id: int,
    data: PersonUpdate,
    expected_version: int,
) -> Person:
    person = await get_person(session=session, person_id=person_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None and "name" in changes:
        raise FieldError("a person needs a name", field="name")
    if "name" in changes and changes["name"] != person.name:
        if await find_person(session=session, name=changes["name"]) is not None:
            raise Conflict(f"a person named {changes['name']!r} is in the directory", field="name")
    before = audit.snapshot(person)
    await update_versioned(session, person, changes, expected_version=expected_version)
    await record(session, actor, "update", person, before)
    return person


async def roles_held(
    *, session: AsyncSession, person_ids: Sequence[int]
) -> dict[int, list[RoleHeld]]:
    """Every role each person holds: a person may be SAO of one programme and RDL of another."""
    held: dict[int, list[RoleHeld]] = {person_id: [] for person_id in person_ids}
    statement = select(Programme).where(
        or_(
            col(Programme.sao_id).in_(person_ids),
            col(Programme.rdl_id).in_(person_ids),
            col(Programme.lead_member_id).in_(person_ids),
        )
    )
    for programme in (await session.exec(statement.order_by(col(Programme.code)))).all():
        for field_name, role in ROLE_FIELDS.items():
            person_id = getattr(programme, field_name)
            if person_id in held:
                held[person_id].append(
                    RoleHeld(role=role, programme_id=programme.id, programme_code=programme.code)  # type: ignore[arg-type]
                )
    return held


# Workstreams -------------------------------------------------------------------------------


async def list_workstreams(
    *, session: AsyncSession, programme_ids: Sequence[int]
) -> Sequence[Workstream]:
    statement = (
        select(Workstream)
        .where(col(Workstream.programme_id).in_(programme_ids))
        .order_by(col(Workstream.programme_id), col(Workstream.position))
    )
    return (await session.exec(statement)).all()


async def add_workstream(
    *, session: AsyncSession, actor: Principal, programme_id: int, data: WorkstreamCreate
) -> Workstream:
    await get(session=session, programme_id=programme_id)
    existing = await list_workstreams(session=session, programme_ids=[programme_id])
    if any(w.name == data.name for w in existing):
        raise Conflict(
            f"programme {programme_id} already has a workstream {data.name!r}", field="name"
        )
    workstream = Workstream(
        **data.model_dump(), programme_id=programme_id, position=len(existing) + 1
    )
    session.add(workstream)
    await session.flush()
    await record(session, actor, "create", workstream, None)
    return workstream


# RAG scales and outcomes -------------------------------------------------------------------


async def rag_scales(
    *, session: AsyncSession, portfolio_ids: Sequence[int]
) -> dict[int, list[RagGradeRead]]:
    """Each portfolio's RAG scale, in the plan's order."""
    rows = (
        await session.exec(
            select(RagGrade)
            .where(col(RagGrade.portfolio_id).in_(portfolio_ids))
            .order_by(col(RagGrade.portfolio_id), col(RagGrade.position))
        )
    ).all()
    return group_by(
        rows,
        lambda row: row.portfolio_id,
        lambda row: RagGradeRead.model_validate(row, from_attributes=True),
        keys=portfolio_ids,
    )


# What the migration that introduced scales gave portfolios that had none (see its COMMON).
MIGRATION_DEFAULT = "(common scale: the plan defined none)"


async def replace_default_rag_scale(
    *, session: AsyncSession, actor: Principal, portfolio: Portfolio, grades: list[RagGradeCreate]
) -> bool:
    """Give a portfolio its plan's own scale in place of the common one the migration gave it;
    a scale someone chose is never replaced. True if replaced."""
    assert portfolio.id is not None
    rows = (await session.exec(select(RagGrade).where(RagGrade.portfolio_id == portfolio.id))).all()
    if not rows or not all(r.meaning.endswith(MIGRATION_DEFAULT) for r in rows):
        return False
    before = [
        RagGradeRead.model_validate(r, from_attributes=True).model_dump(mode="json") for r in rows
    ]
    for row in rows:
        await session.delete(row)
    await session.flush()
    for position, grade in enumerate(grades, start=1):
        session.add(
            RagGrade.model_validate(
                {**grade.model_dump(), "portfolio_id": portfolio.id, "position": position}
            )
        )
    await session.flush()
    snapshot = audit.snapshot(portfolio) or {}
    await record(
        session,
        actor,
        "update",
        portfolio,
        {**snapshot, "rag_scale": before},
        after={**snapshot, "rag_scale": [g.model_dump(mode="json") for g in grades]},
    )
    return True


def portfolio_read(portfolio: Portfolio, scale: list[RagGradeRead]) -> PortfolioRead:
    return PortfolioRead.model_validate({**portfolio.model_dump(), "rag_scale": scale})


def grade(scale: Sequence[RagGradeRead], value: str, *, field: str) -> RagGradeRead:
    """The grade a RAG value names on its portfolio's scale (any case); a value the scale does
    not define is refused, naming the field and the grades it could have been."""
    wanted = value.strip().lower()
    for candidate in scale:
        if candidate.code.lower() == wanted:
            return candidate
    codes = ", ".join(g.code for g in scale) or "none defined"
    raise FieldError(f"{value!r} is not a grade of this plan's RAG scale ({codes})", field=field)


async def outcome_rows(
    *, session: AsyncSession, aim_ids: Sequence[int] | None = None, ids: Sequence[int] | None = None
) -> Sequence[Outcome]:
    statement = select(Outcome).order_by(col(Outcome.aim_id), col(Outcome.position))
    if aim_ids is not None:
        statement = statement.where(col(Outcome.aim_id).in_(aim_ids))
    if ids is not None:
        statement = statement.where(col(Outcome.id).in_(ids))
    return (await session.exec(statement)).all()


async def served_outcomes(
    *, session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[int]]:
    """The outcomes each programme serves, as outcome ids."""
    rows = (
        await session.exec(
            select(ProgrammeOutcome)
            .where(col(ProgrammeOutcome.programme_id).in_(programme_ids))
            .order_by(col(ProgrammeOutcome.programme_id), col(ProgrammeOutcome.outcome_id))
        )
    ).all()
    return group_by(
        rows, lambda row: row.programme_id, lambda row: row.outcome_id, keys=programme_ids
    )


async def serving_programmes(
    *, session: AsyncSession, outcome_ids: Sequence[int]
) -> dict[int, list[int]]:
    """The programmes serving each outcome, as programme ids."""
    rows = (
        await session.exec(
            select(ProgrammeOutcome)
            .where(col(ProgrammeOutcome.outcome_id).in_(outcome_ids))
            .order_by(col(ProgrammeOutcome.outcome_id), col(ProgrammeOutcome.programme_id))
        )
    ).all()
    return group_by(
        rows, lambda row: row.outcome_id, lambda row: row.programme_id, keys=outcome_ids
    )


async def programmes_by_aim(
    *, session: AsyncSession, aim_ids: Sequence[int]
) -> dict[int, list[int]]:
    rows = (
        await session.exec(
            select(Programme.id, Programme.aim_id)
            .where(col(Programme.aim_id).in_(aim_ids))
            .order_by(col(Programme.code))
        )
    ).all()
    return group_by(rows, lambda row: row.aim_id, lambda row: row.id, keys=aim_ids)


async def set_served_outcomes(
    *,
    session: AsyncSession,
    actor: Principal,
    programme_id: int,
    outcome_ids: Sequence[int],
    expected_version: int | None = None,
) -> list[int]:
    """Say which of its plan's outcomes a programme serves (replacing what it said before)."""
    programme = await get(session=session, programme_id=programme_id)
    if len(set(outcome_ids)) != len(outcome_ids):
        raise FieldError("an outcome is named twice", field="outcome_ids")
    found = {o.id: o for o in await outcome_rows(session=session, ids=list(outcome_ids))}
    aims = await get_aims(session=session, ids=list({o.aim_id for o in found.values()}))
    for index, outcome_id in enumerate(outcome_ids):
        outcome = found.get(outcome_id)
        if outcome is None:
            raise FieldError(f"no outcome with id {outcome_id}", field=f"outcome_ids[{index}]")
        if aims[outcome.aim_id].portfolio_id != programme.portfolio_id:
            raise FieldError(
                f"outcome {outcome_id} belongs to another plan", field=f"outcome_ids[{index}]"
            )
    before = (await served_outcomes(session=session, programme_ids=[programme_id]))[programme_id]
    if sorted(before) == sorted(outcome_ids):
        return before
    for row in (
        await session.exec(
            select(ProgrammeOutcome).where(ProgrammeOutcome.programme_id == programme_id)
        )
    ).all():
        await session.delete(row)
    await session.flush()
    for outcome_id in outcome_ids:
        session.add(ProgrammeOutcome(programme_id=programme_id, outcome_id=outcome_id))
    snapshot = audit.snapshot(programme) or {}
    # The programme's version moves with what it serves, so concurrent edits are detected.
    await update_versioned(
        session,
        programme,
        {},
        expected_version=programme.version if expected_version is None else expected_version,
    )
    await record(
        session,
        actor,
        "update",
        programme,
        {**snapshot, "outcome_ids": before},
        after={**(audit.snapshot(programme) or {}), "outcome_ids": sorted(outcome_ids)},
    )
    return sorted(outcome_ids)


# Timescales --------------------------------------------------------------------------------


async def read_timescale(
    *,
    session: AsyncSession,
    text: str,
    as_of: date,
    portfolio_code: str | None = None,
    since: date | None = None,
) -> TimescaleRead:
    """Read a timescale in its plan's terms ("Year 2" counts from the plan's first financial
    year) and, for a recurrence, when it is next due as of ``as_of``, counted from ``since``
    (default: the plan's start)."""
    if not text.strip() or len(text) > 200 or not text.isprintable():
        raise FieldError("a timescale is 1 to 200 printable characters", field="text")
    fy = None
    if portfolio_code is not None:
        portfolio = await find_portfolio_by_code(session=session, code=portfolio_code)
        if portfolio is None:
            raise NotFound(f"no portfolio {portfolio_code!r}", field="portfolio")
        fy = portfolio.financial_year_start
    for name, day in (("as_of", as_of), ("since", since)):
        # The plans' years (as a portfolio's first year): keeps every next date a real date.
        if day is not None and not 1990 <= day.year <= 2100:
            raise FieldError(f"{name} must fall in 1990 to 2100", field=name)
    try:
        timescales.recurrence(text)
    except timescales.BadRecurrence as error:
        raise FieldError(str(error), field="text") from error
    read = timescales.parse(text, financial_year_start=fy)
    anchor = since or (date(fy, 4, 1) if fy is not None else None)
    if read.every is not None and anchor is None:
        raise FieldError(
            "a recurrence is counted from a day: give since, or a portfolio with a first year",
            field="since",
        )
    return TimescaleRead(
        text=read.text,
        precision=read.precision.value,
        start=read.start,
        end=read.end,
        every=read.every,
        unit=read.unit.value if read.unit else None,
        since=anchor if read.every is not None else None,
        next_due=read.next_due(as_of, since=anchor) if anchor is not None else None,
        reason=read.reason,
    )


# Read models composed from several reads, built here rather than in the router -------------


async def aim_reads(*, session: AsyncSession, aims: Sequence[Aim]) -> list[AimRead]:
    outcomes = await outcomes_by_aim(session=session, aim_ids=[a.id for a in aims])  # type: ignore[misc]
    return [
        AimRead.model_validate({**a.model_dump(), "outcomes": outcomes.get(a.id, [])})  # type: ignore[arg-type]
        for a in aims
    ]


async def person_reads(*, session: AsyncSession, people: Sequence[Person]) -> list[PersonRead]:
    roles = await roles_held(session=session, person_ids=[p.id for p in people])  # type: ignore[misc]
    return [PersonRead.model_validate({**p.model_dump(), "roles": roles[p.id]}) for p in people]  # type: ignore[index]


def workstream_read(row: Workstream) -> WorkstreamRead:
    return WorkstreamRead.model_validate(row, from_attributes=True)


async def outcome_reads(*, session: AsyncSession, aim_ids: list[int] | None) -> list[OutcomeRead]:
    """The plan's outcomes as records, each with the programmes that serve it."""
    rows = await outcome_rows(session=session, aim_ids=aim_ids)
    serving = await serving_programmes(
        session=session,
        outcome_ids=[r.id for r in rows],  # type: ignore[misc]
    )
    return [
        OutcomeRead.model_validate({**r.model_dump(), "programme_ids": serving[r.id]})  # type: ignore[index]
        for r in rows
    ]
