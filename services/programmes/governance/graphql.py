"""Boards, escalations and decision logs in the programmes subgraph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common.graphql import (
    Context,
    Limit,
    Offset,
    Page,
    choice,
    id_or_none,
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

Ctx = Info[Context, None]


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
    id: strawberry.ID
    code: str
    name: str
    kind: str = strawberry.field(
        description="Programme Board, Directorate Board, TIB, IRB or Committee"
    )
    directorate: str | None
    programme_id: strawberry.ID | None
    chair: str | None
    notes: str | None
    version: int
    escalates_to_board_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Board) -> Board:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            kind=BoardKind(row.kind).value,
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
    id: strawberry.ID
    decided_on: date
    decision: str
    decided_by: str
    reference: str | None
    escalation_id: strawberry.ID | None
    recorded_by: str
    recorded_at: datetime
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

    @strawberry.field
    async def board(self, info: Ctx) -> Board | None:
        return await _board(info, self.board_id)


@strawberry.type(description="One step of an escalation up its chain")
class EscalationMove:
    moved_by: str
    moved_at: datetime
    note: str | None
    from_board_id: strawberry.Private[int]
    to_board_id: strawberry.Private[int]

    @strawberry.field
    async def from_board(self, info: Ctx) -> Board | None:
        return await _board(info, self.from_board_id)

    @strawberry.field
    async def to_board(self, info: Ctx) -> Board | None:
        return await _board(info, self.to_board_id)


@strawberry.type(description="A programme exception, risk or issue escalated to a board")
class Escalation:
    id: strawberry.ID
    kind: str = strawberry.field(description="programme_exception, risk or issue")
    item_ref: str | None = strawberry.field(description="e.g. the risk's id in the risks service")
    programme_id: strawberry.ID | None
    title: str
    reason: str
    raised_by: str
    status: str = strawberry.field(description="open, resolved or closed")
    resolution_note: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    board_id: strawberry.Private[int]
    resolution_decision_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Escalation) -> Escalation:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=EscalationKind(row.kind).value,
            item_ref=row.item_ref,
            programme_id=id_or_none(row.programme_id),
            title=row.title,
            reason=row.reason,
            raised_by=row.raised_by,
            status=EscalationStatus(row.status).value,
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
    @strawberry.field
    async def boards(
        self,
        info: Ctx,
        kind: str | None = None,
        directorate: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Board]:
        params = page(limit, offset)
        async with info.context.reading() as session:
            rows = await service.list_boards(
                session=session, kind=choice(BoardKind, kind, "kind"), directorate=directorate
            )
        return Page.of(window_of(rows, params), Board.from_row)

    @strawberry.field
    async def board(self, info: Ctx, id: strawberry.ID) -> Board | None:
        return await _board(info, parse_id(id, "id"))

    @strawberry.field
    async def escalations(
        self,
        info: Ctx,
        status: str | None = None,
        board_id: strawberry.ID | None = None,
        programme_id: strawberry.ID | None = None,
        kind: str | None = None,
        item_ref: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[Escalation]:
        async with info.context.reading() as session:
            found = await service.list_escalations(
                session=session,
                page=page(limit, offset),
                status=choice(EscalationStatus, status, "status"),
                board_id=optional_id(board_id, "boardId"),
                programme_id=optional_id(programme_id, "programmeId"),
                kind=choice(EscalationKind, kind, "kind"),
                item_ref=item_ref,
            )
        return Page.of(found, Escalation.from_row)

    @strawberry.field
    async def escalation(self, info: Ctx, id: strawberry.ID) -> Escalation | None:
        escalation_id = parse_id(id, "id")
        async with info.context.reading() as session:
            row = await service.find_escalation(session=session, escalation_id=escalation_id)
        return None if row is None else Escalation.from_row(row)

    @strawberry.field(description="a board's decision log, newest first")
    async def board_decisions(
        self, info: Ctx, board_id: strawberry.ID, limit: Limit = 100, offset: Offset = 0
    ) -> Page[BoardDecision]:
        async with info.context.reading() as session:
            found = await service.list_decisions(
                session=session,
                board_id=parse_id(board_id, "boardId"),
                page=page(limit, offset),
            )
        return Page.of(found, BoardDecision.from_row)


@strawberry.input
class BoardCreateInput:
    code: str
    name: str
    kind: str
    directorate: str | None = None
    programme_id: strawberry.ID | None = None
    chair: str | None = None
    escalates_to_board_id: strawberry.ID | None = None
    notes: str | None = None


@strawberry.input
class BoardUpdateInput:
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    kind: str | None = strawberry.UNSET
    directorate: str | None = strawberry.UNSET
    programme_id: strawberry.ID | None = strawberry.UNSET
    chair: str | None = strawberry.UNSET
    escalates_to_board_id: strawberry.ID | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.input
class EscalationCreateInput:
    kind: str
    title: str
    reason: str
    item_ref: str | None = None
    programme_id: strawberry.ID | None = None
    board_id: strawberry.ID | None = None
    raised_by: str | None = None


@strawberry.input
class EscalationUpdateInput:
    title: str | None = strawberry.UNSET
    reason: str | None = strawberry.UNSET
    item_ref: str | None = strawberry.UNSET
    status: str | None = strawberry.UNSET
    resolution_decision_id: strawberry.ID | None = strawberry.UNSET
    resolution_note: str | None = strawberry.UNSET


@strawberry.input
class BoardDecisionInput:
    decided_on: date
    decision: str
    decided_by: str
    escalation_id: strawberry.ID | None = None
    reference: str | None = None


@strawberry.type
class GovernanceMutation:
    @strawberry.mutation
    async def create_board(self, info: Ctx, input: BoardCreateInput) -> Board:
        actor = info.context.writer()
        data = validate(BoardCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.create_board(session=session, actor=actor, data=data)
        return Board.from_row(row)

    @strawberry.mutation(description="change a board; version is the one you last read")
    async def update_board(
        self, info: Ctx, id: strawberry.ID, version: int, input: BoardUpdateInput
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

    @strawberry.mutation
    async def raise_escalation(self, info: Ctx, input: EscalationCreateInput) -> Escalation:
        actor = info.context.writer()
        data = validate(EscalationCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.raise_escalation(session=session, actor=actor, data=data)
        return Escalation.from_row(row)

    @strawberry.mutation(description="move it to the next board up; version optional")
    async def escalate(
        self,
        info: Ctx,
        id: strawberry.ID,
        note: str | None = None,
        version: int | None = None,
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
        self, info: Ctx, id: strawberry.ID, version: int, input: EscalationUpdateInput
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

    @strawberry.mutation
    async def record_board_decision(
        self, info: Ctx, board_id: strawberry.ID, input: BoardDecisionInput
    ) -> BoardDecision:
        actor = info.context.writer()
        data = validate(BoardDecisionCreate, input_dict(input))
        async with info.context.transaction() as session:
            row = await service.record_decision(
                session=session, actor=actor, board_id=parse_id(board_id, "boardId"), data=data
            )
        return BoardDecision.from_row(row)
