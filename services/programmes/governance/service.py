"""Boards, escalations and decision logs: the rules REST and GraphQL share. Functions only flush;
the caller's transaction commits, so a rejected request writes nothing, audit rows included.

Rules
-----
- A Directorate Board names its directorate (one board per directorate); a Programme Board names
  its programme; only a Programme Board has a programme.
- ``escalates_to_board_id`` must point at a board of a higher rank (Programme Board < Directorate
  Board < TIB < IRB < Committee), so a chain always ends and never loops.
- An escalation is raised at a board (by default the programme's own board, else the Directorate
  Board of the programme's directorate). ``escalate`` moves an open escalation to its board's
  ``escalates_to`` board (409 at the top of the chain) and keeps the move.
- A decision may name an escalation only if it has been before that board. Resolving an
  escalation needs a decision of the board it is now before, about that escalation.
- Status: open -> resolved (with that decision) or closed; resolved -> open (reopened, the
  resolution cleared) or closed; closed is final.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof, audit
from services.common.auth import Principal
from services.common.db import update_versioned
from services.common.errors import Conflict, FieldError, NotFound
from services.common.grouping import group_by
from services.common.pagination import PageParams, Window, order_by, window
from services.common.updates import refuse_empty
from services.programmes.base import record
from services.programmes.governance.models import (
    Board,
    BoardDecision,
    Escalation,
    EscalationMove,
)
from services.programmes.governance.schemas import (
    BoardCreate,
    BoardDecisionCreate,
    BoardDecisionRead,
    BoardKind,
    BoardRead,
    BoardUpdate,
    DefaultBoard,
    EscalationCreate,
    EscalationKind,
    EscalationMoveRead,
    EscalationRead,
    EscalationStatus,
    EscalationUpdate,
)
from services.programmes.plan import service as plan

# Boards ------------------------------------------------------------------------------------


async def list_boards(
    *, session: AsyncSession, kind: BoardKind | None = None, directorate: str | None = None
) -> Sequence[Board]:
    statement = select(Board)
    if kind is not None:
        statement = statement.where(Board.kind == kind)
    if directorate:
        statement = statement.where(func.lower(Board.directorate) == directorate.lower())
    return (await session.exec(statement.order_by(col(Board.code)))).all()


async def get_board(*, session: AsyncSession, board_id: int, field: str = "board_id") -> Board:
    board = await session.get(Board, board_id)
    if board is None:
        raise NotFound(f"no board with id {board_id}", field=field)
    return board


async def get_boards(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Board]:
    rows = (await session.exec(select(Board).where(col(Board.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


async def find_board_by_code(*, session: AsyncSession, code: str) -> Board | None:
    return (await session.exec(select(Board).where(Board.code == code))).first()


async def chain(*, session: AsyncSession, board_id: int) -> list[Board]:
    """The board and every board above it, in escalation order."""
    boards = [await get_board(session=session, board_id=board_id)]
    seen = {board_id}
    while (next_id := boards[-1].escalates_to_board_id) is not None and next_id not in seen:
        seen.add(next_id)
        boards.append(await get_board(session=session, board_id=next_id))
    return boards


async def _check_board(session: AsyncSession, values: dict[str, Any], board_id: int | None) -> None:
    """The rules of a board's shape, on its values after the change."""
    kind = BoardKind(values["kind"])
    directorate = values.get("directorate")
    programme_id = values.get("programme_id")
    if kind is BoardKind.directorate_board:
        if not directorate:
            raise FieldError("a Directorate Board names its directorate", field="directorate")
        twin = (
            await session.exec(
                select(Board).where(
                    Board.kind == BoardKind.directorate_board,
                    func.lower(Board.directorate) == directorate.lower(),
                )
            )
        ).first()
        if twin is not None and twin.id != board_id:
            raise Conflict(
                f"{twin.name} ({twin.code}) is already the Directorate Board of {directorate}",
                field="directorate",
            )
    if kind is BoardKind.programme_board:
        if programme_id is None:
            raise FieldError("a Programme Board names its programme", field="programme_id")
        await plan.get_named(session=session, programme_id=programme_id)
    elif programme_id is not None:
        raise FieldError("only a Programme Board oversees a programme", field="programme_id")
    target_id = values.get("escalates_to_board_id")
    if target_id is not None:
        if target_id == board_id:
            raise FieldError("a board cannot escalate to itself", field="escalates_to_board_id")
        target = await session.get(Board, target_id)
        if target is None:
            raise FieldError(f"no board with id {target_id}", field="escalates_to_board_id")
        if BoardKind(target.kind).rank <= kind.rank:
            raise FieldError(
                f"a {kind.value} escalates upwards, not to a {BoardKind(target.kind).value} "
                f"({target.code}); the order is " + " -> ".join(k.value for k in BoardKind),
                field="escalates_to_board_id",
            )
    if board_id is not None:
        below = (
            await session.exec(select(Board).where(Board.escalates_to_board_id == board_id))
        ).all()
        for child in below:
            if BoardKind(child.kind).rank >= kind.rank:
                raise FieldError(
                    f"{child.code} ({BoardKind(child.kind).value}) escalates to this board, "
                    f"so it cannot become a {kind.value}",
                    field="kind",
                )


async def _check_code(session: AsyncSession, code: str, board_id: int | None = None) -> None:
    existing = await find_board_by_code(session=session, code=code)
    if existing is not None and existing.id != board_id:
        raise Conflict(f"a board with code {code!r} exists", field="code")


async def create_board(*, session: AsyncSession, actor: Principal, data: BoardCreate) -> Board:
    await _check_code(session, data.code)
    await _check_board(session, data.model_dump(), None)
    board = Board.model_validate(data)
    session.add(board)
    await session.flush()
    await record(session, actor, "create", board, None)
    return board


async def update_board(
    *,
    session: AsyncSession,
    actor: Principal,
    board_id: int,
    data: BoardUpdate,
    expected_version: int,
) -> Board:
    board = await get_board(session=session, board_id=board_id)
    changes = data.model_dump(exclude_unset=True)
    refuse_empty(changes, ("code", "name", "kind"))
    if "code" in changes:
        await _check_code(session, changes["code"], board_id)
    await _check_board(session, {**board.model_dump(), **changes}, board_id)
    before = audit.snapshot(board)
    await update_versioned(session, board, changes, expected_version=expected_version)
    await record(session, actor, "update", board, before)
    return board


# The council's boards, as the 2024 Improvement and Recovery Plan names them ----------------

DEFAULT_BOARDS = Path(__file__).parents[1] / "seed_data" / "irp_2024_boards.json"


def default_boards() -> list[DefaultBoard]:
    """The boards of the 2024 Improvement and Recovery Plan (section 5, Governance, Assurance and
    Monitoring), in creation order: each board's ``escalates_to_code`` comes before it. The data
    and the reading of the plan behind it are in ``seed_data/irp_2024_boards.json``."""
    document = json.loads(DEFAULT_BOARDS.read_text())
    return [DefaultBoard.model_validate(board) for board in document["boards"]]


async def create_default_boards(*, session: AsyncSession, actor: Principal) -> list[Board]:
    """For a loader: create the :func:`default_boards` not already present (matched by code)."""
    created: list[Board] = []
    for default in default_boards():
        if await find_board_by_code(session=session, code=default.code) is not None:
            continue
        target_id = None
        if default.escalates_to_code is not None:
            target = await find_board_by_code(session=session, code=default.escalates_to_code)
            target_id = None if target is None else target.id
        data = BoardCreate(
            **default.model_dump(exclude={"escalates_to_code"}), escalates_to_board_id=target_id
        )
        created.append(await create_board(session=session, actor=actor, data=data))
    return created


# Escalations -------------------------------------------------------------------------------

ESCALATION_SORTS = {"raised_on", "created_at", "updated_at", "title", "status", "kind"}


async def list_escalations(
    *,
    session: AsyncSession,
    page: PageParams,
    status: EscalationStatus | None = None,
    board_id: int | None = None,
    programme_id: int | None = None,
    kind: EscalationKind | None = None,
    item_ref: str | None = None,
) -> Window[Escalation]:
    statement = select(Escalation)
    if status is not None:
        statement = statement.where(Escalation.status == status)
    if board_id is not None:
        statement = statement.where(Escalation.board_id == board_id)
    if programme_id is not None:
        statement = statement.where(Escalation.programme_id == programme_id)
    if kind is not None:
        statement = statement.where(Escalation.kind == kind)
    if item_ref:
        statement = statement.where(Escalation.item_ref == item_ref)
    statement = statement.order_by(
        *order_by(Escalation, page.sort, ESCALATION_SORTS, [col(Escalation.id)])
    )
    return await window(session, statement, page)


async def find_escalation(*, session: AsyncSession, escalation_id: int) -> Escalation | None:
    return await session.get(Escalation, escalation_id)


async def get_escalation(*, session: AsyncSession, escalation_id: int) -> Escalation:
    row = await find_escalation(session=session, escalation_id=escalation_id)
    if row is None:
        raise NotFound(f"no escalation with id {escalation_id}", field="escalation_id")
    return row


async def escalations_by_programme(
    *, session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[Escalation]]:
    rows = (
        await session.exec(
            select(Escalation)
            .where(col(Escalation.programme_id).in_(programme_ids))
            .order_by(col(Escalation.id))
        )
    ).all()
    # Only rows naming one of programme_ids were read, so no key is None.
    return group_by(rows, lambda row: row.programme_id, keys=programme_ids)  # type: ignore[arg-type,return-value]


async def moves_by_escalation(
    *, session: AsyncSession, escalation_ids: Sequence[int]
) -> dict[int, list[EscalationMove]]:
    rows = (
        await session.exec(
            select(EscalationMove)
            .where(col(EscalationMove.escalation_id).in_(escalation_ids))
            .order_by(col(EscalationMove.id))
        )
    ).all()
    return group_by(rows, lambda row: row.escalation_id, keys=escalation_ids)


async def _board_for_programme(session: AsyncSession, programme: plan.Programme) -> Board | None:
    if programme.board_id is not None:  # the board the plan puts over it
        board = await session.get(Board, programme.board_id)
        if board is not None:
            return board
    if not programme.directorate:
        return None
    return (
        await session.exec(
            select(Board).where(
                Board.kind == BoardKind.directorate_board,
                func.lower(Board.directorate) == programme.directorate.lower(),
            )
        )
    ).first()


def _raised_on(session: AsyncSession, day: date | None) -> date:
    """The business date an escalation was raised: today unless said, never in the future (the
    schema refuses one before EARLIEST_BUSINESS_DATE)."""
    today = asof.today(session)
    if day is None:
        return today
    if day > today:
        raise FieldError(
            f"{day.isoformat()} is in the future (today is {today.isoformat()}): an escalation "
            "is recorded once raised",
            field="raised_on",
        )
    return day


async def raise_escalation(
    *, session: AsyncSession, actor: Principal, data: EscalationCreate
) -> Escalation:
    if data.kind in (EscalationKind.risk, EscalationKind.issue) and not data.item_ref:
        raise FieldError(
            f"a {data.kind.value} escalation names the {data.kind.value} it escalates",
            field="item_ref",
        )
    programme = None
    if data.programme_id is not None:
        programme = await plan.get_named(session=session, programme_id=data.programme_id)
    elif data.kind is EscalationKind.programme_exception:
        raise FieldError("a programme exception names its programme", field="programme_id")
    if data.board_id is not None:
        board = await session.get(Board, data.board_id)
        if board is None:
            raise FieldError(f"no board with id {data.board_id}", field="board_id")
    else:
        board = None if programme is None else await _board_for_programme(session, programme)
        if board is None:
            raise FieldError(
                "say which board it is raised at: "
                + (
                    "no programme is named"
                    if programme is None
                    else f"programme {programme.code} has no board of its own and no "
                    "Directorate Board serves its directorate"
                ),
                field="board_id",
            )
    escalation = Escalation(
        **data.model_dump(exclude={"board_id", "raised_by", "raised_on"}),
        board_id=board.id,  # type: ignore[arg-type]
        raised_by=data.raised_by or actor.subject,
        raised_on=_raised_on(session, data.raised_on),
        status=EscalationStatus.open,
    )
    session.add(escalation)
    await session.flush()
    await record(session, actor, "create", escalation, None)
    return escalation


async def escalate(
    *,
    session: AsyncSession,
    actor: Principal,
    escalation_id: int,
    note: str | None = None,
    expected_version: int | None = None,
) -> Escalation:
    """Move an open escalation one board up its chain; 409 when its board is the top."""
    escalation = await get_escalation(session=session, escalation_id=escalation_id)
    if EscalationStatus(escalation.status) is not EscalationStatus.open:
        raise Conflict(
            f"escalation {escalation_id} is {EscalationStatus(escalation.status).value}; "
            "only an open escalation moves up",
            field="status",
        )
    board = await get_board(session=session, board_id=escalation.board_id)
    if board.escalates_to_board_id is None:
        raise Conflict(
            f"{board.name} ({board.code}) is the top of its chain: there is no board above it",
            field="board_id",
        )
    before = audit.snapshot(escalation)
    await update_versioned(
        session,
        escalation,
        {"board_id": board.escalates_to_board_id},
        expected_version=escalation.version if expected_version is None else expected_version,
    )
    move = EscalationMove(
        escalation_id=escalation_id,
        from_board_id=board.id,  # type: ignore[arg-type]
        to_board_id=board.escalates_to_board_id,
        moved_by=actor.subject,
        note=note,
    )
    session.add(move)
    await session.flush()
    await record(session, actor, "update", escalation, before)
    await record(session, actor, "create", move, None)
    return escalation


async def _resolving_decision(
    session: AsyncSession, escalation: Escalation, decision_id: int | None
) -> BoardDecision:
    if decision_id is None:
        raise FieldError(
            "resolving an escalation needs the board decision that resolves it",
            field="resolution_decision_id",
        )
    decision = await session.get(BoardDecision, decision_id)
    if decision is None:
        raise FieldError(f"no board decision with id {decision_id}", field="resolution_decision_id")
    if decision.escalation_id != escalation.id:
        raise FieldError(
            f"decision {decision_id} is not about escalation {escalation.id}",
            field="resolution_decision_id",
        )
    if decision.board_id != escalation.board_id:
        raise FieldError(
            f"decision {decision_id} was taken by another board; the board the escalation is "
            "now before resolves it",
            field="resolution_decision_id",
        )
    return decision


TRANSITIONS = {
    EscalationStatus.open: {EscalationStatus.resolved, EscalationStatus.closed},
    EscalationStatus.resolved: {EscalationStatus.open, EscalationStatus.closed},
    EscalationStatus.closed: set(),
}


async def update_escalation(
    *,
    session: AsyncSession,
    actor: Principal,
    escalation_id: int,
    data: EscalationUpdate,
    expected_version: int,
) -> Escalation:
    escalation = await get_escalation(session=session, escalation_id=escalation_id)
    current = EscalationStatus(escalation.status)
    changes = data.model_dump(exclude_unset=True)
    refuse_empty(changes, ("title", "reason", "status", "raised_on"))
    if "raised_on" in changes:
        _raised_on(session, changes["raised_on"])
    if current is EscalationStatus.closed:
        raise Conflict(f"escalation {escalation_id} is closed", field="status")
    target = EscalationStatus(changes.get("status", current))
    if target is not current and target not in TRANSITIONS[current]:
        raise Conflict(
            f"an escalation that is {current.value} cannot become {target.value}", field="status"
        )
    if target is EscalationStatus.resolved:
        decision_id = changes.get("resolution_decision_id", escalation.resolution_decision_id)
        await _resolving_decision(session, escalation, decision_id)
    elif changes.get("resolution_decision_id") is not None:
        raise FieldError(
            "a resolution decision goes with status 'resolved'", field="resolution_decision_id"
        )
    if current is EscalationStatus.resolved and target is EscalationStatus.open:
        changes["resolution_decision_id"] = None  # reopened: the old resolution no longer holds
    before = audit.snapshot(escalation)
    await update_versioned(session, escalation, changes, expected_version=expected_version)
    await record(session, actor, "update", escalation, before)
    return escalation


# Decisions ---------------------------------------------------------------------------------


async def _has_been_before(session: AsyncSession, escalation: Escalation, board_id: int) -> bool:
    if escalation.board_id == board_id:
        return True
    move = (
        await session.exec(
            select(EscalationMove).where(
                EscalationMove.escalation_id == escalation.id,
                or_(
                    col(EscalationMove.from_board_id) == board_id,
                    col(EscalationMove.to_board_id) == board_id,
                ),
            )
        )
    ).first()
    return move is not None


async def record_decision(
    *, session: AsyncSession, actor: Principal, board_id: int, data: BoardDecisionCreate
) -> BoardDecision:
    board = await get_board(session=session, board_id=board_id)
    if data.decided_on > asof.today(session):
        raise FieldError(
            "a decision is logged once taken: decided_on is in the future", field="decided_on"
        )
    if data.escalation_id is not None:
        escalation = await session.get(Escalation, data.escalation_id)
        if escalation is None:
            raise FieldError(f"no escalation with id {data.escalation_id}", field="escalation_id")
        if not await _has_been_before(session, escalation, board_id):
            raise FieldError(
                f"escalation {data.escalation_id} has not come before {board.code}",
                field="escalation_id",
            )
    decision = BoardDecision(**data.model_dump(), board_id=board_id, recorded_by=actor.subject)
    session.add(decision)
    await session.flush()
    await record(session, actor, "create", decision, None)
    return decision


async def list_decisions(
    *,
    session: AsyncSession,
    board_id: int,
    page: PageParams,
    escalation_id: int | None = None,
) -> Window[BoardDecision]:
    await get_board(session=session, board_id=board_id)
    statement = select(BoardDecision).where(BoardDecision.board_id == board_id)
    if escalation_id is not None:
        statement = statement.where(BoardDecision.escalation_id == escalation_id)
    statement = statement.order_by(
        col(BoardDecision.decided_on).desc(), col(BoardDecision.id).desc()
    )
    return await window(session, statement, page)


async def decisions_by_board(
    *, session: AsyncSession, board_ids: Sequence[int], page: PageParams
) -> dict[int, list[BoardDecision]]:
    """The same page of each board's decision log (newest first), in one query."""
    position = (
        func.row_number()
        .over(
            partition_by=col(BoardDecision.board_id),
            order_by=(col(BoardDecision.decided_on).desc(), col(BoardDecision.id).desc()),
        )
        .label("position")
    )
    ranked = (
        select(BoardDecision, position).where(col(BoardDecision.board_id).in_(board_ids)).subquery()
    )
    decision = aliased(BoardDecision, ranked)
    statement = (
        select(decision)
        .where(ranked.c.position > page.offset, ranked.c.position <= page.offset + page.limit)
        .order_by(ranked.c.board_id, ranked.c.position)
    )
    return group_by((await session.exec(statement)).all(), key=lambda d: d.board_id)


async def get_decisions(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, BoardDecision]:
    rows = (await session.exec(select(BoardDecision).where(col(BoardDecision.id).in_(ids)))).all()
    return {row.id: row for row in rows}  # type: ignore[misc]


# Read models: rows as REST shows them, built here rather than in the router ----------------


def board_read(row: Board) -> BoardRead:
    return BoardRead.model_validate(row, from_attributes=True)


def decision_read(row: BoardDecision) -> BoardDecisionRead:
    return BoardDecisionRead.model_validate(row, from_attributes=True)


async def escalation_reads(
    *, session: AsyncSession, rows: Sequence[Escalation]
) -> list[EscalationRead]:
    """Escalations with their moves between boards (one query for all of them)."""
    moves = await moves_by_escalation(
        session=session,
        escalation_ids=[r.id for r in rows],  # type: ignore[misc]
    )
    return [
        EscalationRead.model_validate(
            {
                **r.model_dump(),
                "moves": [
                    EscalationMoveRead.model_validate(m, from_attributes=True)
                    for m in moves.get(r.id, [])  # type: ignore[arg-type]
                ],
            }
        )
        for r in rows
    ]
