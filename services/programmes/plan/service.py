"""Portfolios, aims and programmes: the rules REST and GraphQL share. Functions only flush;
the caller's transaction commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import Conflict, FieldError, NotFound
from services.common.pagination import PageParams, order_by, paginate
from services.programmes.base import record
from services.programmes.plan.models import Aim, Outcome, Portfolio, Programme
from services.programmes.plan.schemas import (
    AimCreate,
    PortfolioCreate,
    ProgrammeCreate,
    ProgrammeUpdate,
)

# Portfolios and aims -----------------------------------------------------------------------


async def list_portfolios(*, session: AsyncSession) -> Sequence[Portfolio]:
    return (await session.exec(select(Portfolio).order_by(Portfolio.code))).all()


async def get_portfolio(*, session: AsyncSession, portfolio_id: int) -> Portfolio:
    portfolio = await session.get(Portfolio, portfolio_id)
    if portfolio is None:
        raise NotFound(f"no portfolio with id {portfolio_id}", field="portfolio_id")
    return portfolio


async def create_portfolio(
    *, session: AsyncSession, actor: Principal, data: PortfolioCreate
) -> Portfolio:
    existing = (await session.exec(select(Portfolio).where(Portfolio.code == data.code))).first()
    if existing is not None:
        raise Conflict(f"a portfolio with code {data.code!r} exists", field="code")
    portfolio = Portfolio.model_validate(data)
    session.add(portfolio)
    await session.flush()
    await record(session, actor, "create", portfolio, None)
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
    found: dict[int, list[str]] = {aim_id: [] for aim_id in aim_ids}
    for row in rows:
        found[row.aim_id].append(row.text)
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

PROGRAMME_SORTS = {"code", "name", "directorate", "sao", "updated_at"}


async def list_programmes(
    *,
    session: AsyncSession,
    page: PageParams,
    portfolio_id: int | None = None,
    aim_id: int | None = None,
    directorate: str | None = None,
    sao: str | None = None,
    q: str | None = None,
) -> tuple[list[Programme], int]:
    statement = select(Programme)
    if portfolio_id is not None:
        statement = statement.where(Programme.portfolio_id == portfolio_id)
    if aim_id is not None:
        statement = statement.where(Programme.aim_id == aim_id)
    if directorate:
        statement = statement.where(func.lower(Programme.directorate) == directorate.lower())
    if sao:
        statement = statement.where(col(Programme.sao).ilike(f"%{sao}%"))
    if q:
        statement = statement.where(
            or_(col(Programme.name).ilike(f"%{q}%"), col(Programme.code).ilike(f"%{q}%"))
        )
    statement = statement.order_by(
        *order_by(Programme, page.sort, PROGRAMME_SORTS, [Programme.code])
    )
    return await paginate(session, statement, page)


async def get(*, session: AsyncSession, programme_id: int) -> Programme:
    programme = await session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(f"no programme with id {programme_id}", field="programme_id")
    return programme


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Programme]:
    rows = (await session.exec(select(Programme).where(col(Programme.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


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


async def create(*, session: AsyncSession, actor: Principal, data: ProgrammeCreate) -> Programme:
    portfolio = await session.get(Portfolio, data.portfolio_id)
    if portfolio is None:
        raise FieldError(f"no portfolio with id {data.portfolio_id}", field="portfolio_id")
    await _check_aim(session, data.aim_id, data.portfolio_id)
    existing = (await session.exec(select(Programme).where(Programme.code == data.code))).first()
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
    for required in ("name", "sao", "lead_member"):
        if required in changes and changes[required] is None:
            raise FieldError(f"{required} cannot be empty: every programme has one", field=required)
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
