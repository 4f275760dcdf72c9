"""Boards, escalations and decision logs in the programmes subgraph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common.graphql import (
    ById,
    Context,
    Limit,
    Offset,
    Page,
    Version,
    graphql_enum,
    id_or_none,
    if_sent,
    input_dict,
    optional_id,
    page,
    parse_id,
    validate,
)
from services.common.pagination import window_of
from services.programmes.governance import models, service
from services.programmes.governance.schemas import (
    BoardCreate,
    BoardDecisionCreate,
    BoardKind,
    BoardUpdate,
    EscalationCreate,
    EscalationKind,
    EscalationStatus,
    EscalationUpdate,
)
from services.programmes.graphql_shared import OfProgramme

Ctx = Info[Context, None]

graphql_enum(
    BoardKind,
    description="A board's place in the governance chain, lowest first: PROGRAMME_BOARD, "
    "DIRECTORATE_BOARD, TIB (Transformation and Improvement Board), IRB (Improvement and "
    "Recovery Board), COMMITTEE; escalations only go up",
)
graphql_enum(
    EscalationKind,
    description="What is escalated: a PROGRAMME_EXCEPTION (a tolerance forecast to break), "
    "a RISK or an ISSUE from the RAID registers",
)
graphql_enum(
    EscalationStatus,
    description="OPEN before a board; RESOLVED by a decision; CLOSED (withdrawn or done)",
)


async def _load_boards(session: AsyncSession, ids: Sequence[int]) -> dict[int, Board]:
    return {
        k: Board.from_row(v)
        for k, v in (await service.get_boards(session=session, ids=ids)).items()
    }


async def _load_moves(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[models.EscalationMove]]:
    return await service.moves_by_escalation(session=session, escalation_ids=ids)


async def _load_decisions(session: AsyncSession, ids: Sequence[int]) -> dict[int, BoardDecision]:
    found = await service.get_decisions(session=session, ids=ids)
    return {k: BoardDecision.from_row(v) for k, v in found.items()}


async def _load_escalations(
    session: AsyncSession, programme_ids: Sequence[int]
) -> dict[int, list[models.Escalation]]:
    return await service.escalations_by_programme(session=session, programme_ids=programme_ids)


async def _board(info: Ctx, board_id: int | None) -> Board | None:
    if board_id is None:
        return None
    return await info.context.loader("governance_board", _load_boards).load(board_id)


@strawberry.type(description="A governance board: programme, directorate, TIB, IRB, committee")
class Board:
    id: strawberry.ID = strawberry.field(description="the board's id")
    code: str = strawberry.field(description="its short code, e.g. TIB")
    name: str = strawberry.field(description="its name in full")
    kind: BoardKind = strawberry.field(description="where it sits in the governance chain")
    directorate: str | None = strawberry.field(description="a Directorate Board's directorate")
    programme_id: strawberry.ID | None = strawberry.field(
        description="the programme a Programme Board oversees"
    )
    chair: str | None = strawberry.field(description="who chairs it")
    notes: str | None = strawberry.field(description="terms of reference, membership, cadence")
    version: int = strawberry.field(description="its version: send it back to change it")
    escalates_to_board_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Board) -> Board:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            kind=BoardKind(row.kind),
            directorate=row.directorate,
            programme_id=id_or_none(row.programme_id),
            chair=row.chair,
            notes=row.notes,
            version=row.version,
            escalates_to_board_id=row.escalates_to_board_id,
        )

    @strawberry.field(description="the next board up the escalation chain")
    async def escalates_to(self, info: Ctx) -> Board | None:
        return await _board(info, self.escalates_to_board_id)

    @strawberry.field(description="the board's decision log, newest first")
    async def decisions(
        self, info: Ctx, limit: Limit = 100, offset: Offset = 0
    ) -> list[BoardDecision]:
        params = page(limit, offset)

        async def load(
            session: AsyncSession, board_ids: Sequence[int]
        ) -> dict[int, list[BoardDecision]]:
            found = await service.decisions_by_board(
                session=session, board_ids=board_ids, page=params
            )
            return {k: [BoardDecision.from_row(r) for r in rows] for k, rows in found.items()}

        loader = info.context.loader(f"board_decisions:{limit}:{offset}", load)
        return await loader.load(int(self.id)) or []


@strawberry.type(description="An entry in a board's decision log")
class BoardDecision:
    id: strawberry.ID = strawberry.field(description="the entry's id")
    decided_on: date = strawberry.field(description="the day the board decided")
    decision: str = strawberry.field(description="what was decided, as minuted")
    decided_by: str = strawberry.field(description="who decided: the board, or its chair")
    reference: str | None = strawberry.field(description="the minute's reference")
    escalation_id: strawberry.ID | None = strawberry.field(
        description="the escalation the decision answers"
    )
    recorded_by: str = strawberry.field(description="who entered it in the log")
    recorded_at: datetime = strawberry.field(description="when it was entered")
    board_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.BoardDecision) -> BoardDecision:
        return cls(
            id=strawberry.ID(str(row.id)),
            decided_on=row.decided_on,
            decision=row.decision,
            decided_by=row.decided_by,
            reference=row.reference,
            escalation_id=id_or_none(row.escalation_id),
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
            board_id=row.board_id,
        )

    @strawberry.field(description="the board whose log it is")
    async def board(self, info: Ctx) -> Board | None:
        return await _board(info, self.board_id)


@strawberry.type(description="One step of an escalation up its chain")
class EscalationMove:
    moved_by: str = strawberry.field(description="who moved it")
    moved_at: datetime = strawberry.field(description="when")
    note: str | None = strawberry.field(description="why, as they wrote it")
    from_board_id: strawberry.Private[int]
    to_board_id: strawberry.Private[int]

    @strawberry.field(description="the board it left")
    async def from_board(self, info: Ctx) -> Board | None:
        return await _board(info, self.from_board_id)

    @strawberry.field(description="the board it went to, the next one up")
    async def to_board(self, info: Ctx) -> Board | None:
        return await _board(info, self.to_board_id)


@strawberry.type(description="A programme exception, risk or issue escalated to a board")
class Escalation:
    id: strawberry.ID = strawberry.field(description="the escalation's id")
    kind: EscalationKind = strawberry.field(description="what is escalated")
    item_ref: str | None = strawberry.field(description="e.g. the risk's id in the risks service")
    programme_id: strawberry.ID | None = strawberry.field(
        description="the programme it is about, if one"
    )
    title: str = strawberry.field(description="what it is, in a line")
    reason: str = strawberry.field(description="why it needs the board")
    raised_by: str = strawberry.field(description="who raised it")
    raised_on: date = strawberry.field(
        description="the day it was raised (council time): what a month's pack goes by"
    )
    status: EscalationStatus = strawberry.field(description="open, resolved or closed")
    resolution_note: str | None = strawberry.field(description="how it was resolved or closed")
    version: int = strawberry.field(description="its version: send it back to change it")
    created_at: datetime = strawberry.field(description="when it was raised")
    updated_at: datetime = strawberry.field(description="when it last changed or moved")
    board_id: strawberry.Private[int]
    resolution_decision_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Escalation) -> Escalation:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=EscalationKind(row.kind),
            item_ref=row.item_ref,
            programme_id=id_or_none(row.programme_id),
            title=row.title,
            reason=row.reason,
            raised_by=row.raised_by,
            raised_on=row.raised_on,
            status=EscalationStatus(row.status),
            resolution_note=row.resolution_note,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            board_id=row.board_id,
            resolution_decision_id=row.resolution_decision_id,
        )

    @strawberry.field(description="the board it is now before")
    async def board(self, info: Ctx) -> Board | None:
        return await _board(info, self.board_id)

    @strawberry.field(description="its moves up the chain, oldest first")
    async def moves(self, info: Ctx) -> list[EscalationMove]:
        rows = await info.context.loader("governance_escalation_moves", _load_moves).load(
            int(self.id)
        )
        return [
            EscalationMove(
                moved_by=m.moved_by,
                moved_at=m.moved_at,
                note=m.note,
                from_board_id=m.from_board_id,
                to_board_id=m.to_board_id,
            )
            for m in rows or []
        ]

    @strawberry.field(description="the decision that resolved it")
    async def resolution_decision(self, info: Ctx) -> BoardDecision | None:
        if self.resolution_decision_id is None:
            return None
        return await info.context.loader("governance_board_decision", _load_decisions).load(
            self.resolution_decision_id
        )


async def escalations_for(info: Ctx, programme_id: int) -> list[Escalation]:
    """A programme's escalations; N programmes in one request cost one query."""
    rows = await info.context.loader("governance_escalations_by_programme", _load_escalations).load(
        programme_id
    )
    return [Escalation.from_row(r) for r in rows or []]


@strawberry.type
class GovernanceQuery:
    @strawberry.field(description="the governance boards, by code")
    async def boards(
        self,
        info: Ctx,
        kind: Annotated[
            BoardKind | None, strawberry.argument(description="only boards of this kind")
        ] = None,
        directorate: Annotated[
            str | None, strawberry.argument(description="only this directorate's boards")
        ] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Board]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            rows = await service.list_boards(session=session, kind=kind, directorate=directorate)
        return Page.of(window_of(rows, params), Board.from_row)

    @strawberry.field(description="one board, by id")
    async def board(self, info: Ctx, id: ById) -> Board | None:
        return await _board(info, parse_id(id, "id"))

    @strawberry.field(description="escalations, oldest first")
    async def escalations(
        self,
        info: Ctx,
        status: Annotated[
            EscalationStatus | None, strawberry.argument(description="only at this status")
        ] = None,
        board_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="only those now before it")
        ] = None,
        programme_id: OfProgramme = None,
        kind: Annotated[
            EscalationKind | None, strawberry.argument(description="only of this kind")
        ] = None,
        item_ref: Annotated[
            str | None, strawberry.argument(description="only those about this item")
        ] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Escalation]:
        async with info.context.reading() as session:
            found = await service.list_escalations(
                session=session,
                page=page(limit, offset),
                status=status,
                board_id=optional_id(board_id, "boardId"),
                programme_id=optional_id(programme_id, "programmeId"),
                kind=kind,
                item_ref=item_ref,
            )
        return Page.of(found, Escalation.from_row)

    @strawberry.field(description="one escalation, by id")
    async def escalation(self, info: Ctx, id: ById) -> Escalation | None:
        escalation_id = parse_id(id, "id")
        async with info.context.reading() as session:
            row = await service.find_escalation(session=session, escalation_id=escalation_id)
        return None if row is None else Escalation.from_row(row)

    @strawberry.field(description="a board's decision log, newest first")
    async def board_decisions(
        self,
        info: Ctx,
        board_id: Annotated[strawberry.ID, strawberry.argument(description="the board")],
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[BoardDecision]:
        async with info.context.reading() as session:
            found = await service.list_decisions(
                session=session,
                board_id=parse_id(board_id, "boardId"),
                page=page(limit, offset),
            )
        return Page.of(found, BoardDecision.from_row)


@strawberry.input(description="a new governance board")
class BoardCreateInput:
    code: str = strawberry.field(description="its short code, unique")
    name: str = strawberry.field(description="its name in full")
    kind: BoardKind = strawberry.field(description="where it sits in the governance chain")
    directorate: str | None = strawberry.field(
        default=None, description="required for a Directorate Board"
    )
    programme_id: strawberry.ID | None = strawberry.field(
        default=None, description="the programme a Programme Board oversees (required for one)"
    )
    chair: str | None = strawberry.field(default=None, description="who chairs it")
    escalates_to_board_id: strawberry.ID | None = strawberry.field(
        default=None, description="the next board up, of a higher kind; none for the top"
    )
    notes: str | None = strawberry.field(default=None, description="terms of reference, cadence")


@strawberry.input(description="only the fields sent change; null clears an optional field")
class BoardUpdateInput:
    code: str | None = if_sent("its short code")
    name: str | None = if_sent("its name")
    kind: BoardKind | None = if_sent("its kind")
    directorate: str | None = if_sent("a Directorate Board's directorate")
    programme_id: strawberry.ID | None = if_sent("the programme a Programme Board oversees")
    chair: str | None = if_sent("who chairs it")
    escalates_to_board_id: strawberry.ID | None = if_sent("the next board up")
    notes: str | None = if_sent("notes")


@strawberry.input(description="a programme exception, risk or issue to put before a board")
class EscalationCreateInput:
    kind: EscalationKind = strawberry.field(description="what is escalated")
    title: str = strawberry.field(description="what it is, in a line")
    reason: str = strawberry.field(description="why it needs the board")
    item_ref: str | None = strawberry.field(
        default=None, description="e.g. the risk's id in the risks service"
    )
    programme_id: strawberry.ID | None = strawberry.field(
        default=None, description="the programme it is about"
    )
    board_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="the board it goes to first; if left out, the programme's own board, else "
        "its directorate's",
    )
    raised_by: str | None = strawberry.field(
        default=None, description="who raised it; the caller if left out"
    )
    raised_on: date | None = strawberry.field(
        default=None, description="the day it was raised; today (council time) if left out"
    )


@strawberry.input(description="only the fields sent change")
class EscalationUpdateInput:
    title: str | None = if_sent("what it is")
    reason: str | None = if_sent("why it needs the board")
    item_ref: str | None = if_sent("the item it refers to")
    raised_on: date | None = if_sent("the day it was raised, corrected")
    status: EscalationStatus | None = if_sent("RESOLVED, CLOSED, or OPEN again")
    resolution_decision_id: strawberry.ID | None = if_sent("the board decision that resolved it")
    resolution_note: str | None = if_sent("how it was resolved or closed")


@strawberry.input(description="an entry for a board's decision log")
class BoardDecisionInput:
    decided_on: date = strawberry.field(description="the day the board decided")
    decision: str = strawberry.field(description="what was decided, as minuted")
    decided_by: str = strawberry.field(description="who decided: the board, or its chair")
    escalation_id: strawberry.ID | None = strawberry.field(
        default=None, description="the escalation the decision answers"
    )
    reference: str | None = strawberry.field(default=None, description="the minute's reference")


@strawberry.type
class GovernanceMutation:
    @strawberry.mutation(description="add a governance board")
    async def create_board(
        self, info: Ctx, input: Annotated[BoardCreateInput, strawberry.argument(description="it")]
    ) -> Board:
        actor = info.context.writer()
        data = validate(BoardCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create_board(session=session, actor=actor, data=data)
        return Board.from_row(row)

    @strawberry.mutation(description="change a board; version is the one you last read")
    async def update_board(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the board's id")],
        version: Version,
        input: Annotated[BoardUpdateInput, strawberry.argument(description="what changes")],
    ) -> Board:
        actor = info.context.writer()
        data = validate(BoardUpdate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.update_board(
                session=session,
                actor=actor,
                board_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
            )
        return Board.from_row(row)

    @strawberry.mutation(description="put a programme exception, risk or issue before a board")
    async def raise_escalation(
        self,
        info: Ctx,
        input: Annotated[EscalationCreateInput, strawberry.argument(description="what and why")],
    ) -> Escalation:
        actor = info.context.writer()
        data = validate(EscalationCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.raise_escalation(session=session, actor=actor, data=data)
        return Escalation.from_row(row)

    @strawberry.mutation(description="move it to the next board up; version optional")
    async def escalate(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the escalation's id")],
        note: Annotated[str | None, strawberry.argument(description="why it moves up")] = None,
        version: Annotated[
            int | None,
            strawberry.argument(description="the version you last read; not checked if left out"),
        ] = None,
    ) -> Escalation:
        actor = info.context.writer()
        async with info.context.transaction() as session:
            row = await service.escalate(
                session=session,
                actor=actor,
                escalation_id=parse_id(id, "id"),
                note=note,
                expected_version=version,
            )
        return Escalation.from_row(row)

    @strawberry.mutation(description="edit or resolve/close/reopen; version is the one you read")
    async def update_escalation(
        self,
        info: Ctx,
        id: Annotated[strawberry.ID, strawberry.argument(description="the escalation's id")],
        version: Version,
        input: Annotated[EscalationUpdateInput, strawberry.argument(description="what changes")],
    ) -> Escalation:
        actor = info.context.writer()
        data = validate(EscalationUpdate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.update_escalation(
                session=session,
                actor=actor,
                escalation_id=parse_id(id, "id"),
                data=data,
                expected_version=version,
            )
        return Escalation.from_row(row)

    @strawberry.mutation(description="enter a decision in a board's decision log")
    async def record_board_decision(
        self,
        info: Ctx,
        board_id: Annotated[strawberry.ID, strawberry.argument(description="the board")],
        input: Annotated[BoardDecisionInput, strawberry.argument(description="the decision")],
    ) -> BoardDecision:
        actor = info.context.writer()
        data = validate(BoardDecisionCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.record_decision(
                session=session, actor=actor, board_id=parse_id(board_id, "boardId"), data=data
            )
        return BoardDecision.from_row(row)
