"""REST for boards, escalations and decision logs: thin routers over governance/service.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import status as http_status

from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.common.etag import ExpectedVersion, OptionalVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.programmes.asof import ReadSessionDep
from services.programmes.governance import service
from services.programmes.governance.schemas import (
    BoardCreate,
    BoardDecisionCreate,
    BoardDecisionRead,
    BoardKind,
    BoardRead,
    BoardUpdate,
    EscalateRequest,
    EscalationCreate,
    EscalationKind,
    EscalationRead,
    EscalationStatus,
    EscalationUpdate,
)

router = APIRouter()


# Boards ------------------------------------------------------------------------------------


@router.get("/boards", response_model=list[BoardRead], tags=["boards"])
async def list_boards(
    session: ReadSessionDep,
    _: Reader,
    kind: BoardKind | None = None,
    directorate: Annotated[str | None, Query(description="exact, any case")] = None,
) -> list[BoardRead]:
    rows = await service.list_boards(session=session, kind=kind, directorate=directorate)
    return [service.board_read(r) for r in rows]


@router.post(
    "/boards", response_model=BoardRead, status_code=http_status.HTTP_201_CREATED, tags=["boards"]
)
async def create_board(
    data: BoardCreate, session: SessionDep, actor: Writer, response: Response
) -> BoardRead:
    board = await service.create_board(session=session, actor=actor, data=data)
    set_etag(response, board.version)
    response.headers["Location"] = f"/boards/{board.id}"
    return service.board_read(board)


@router.get("/boards/{board_id}", response_model=BoardRead, tags=["boards"])
async def get_board(
    board_id: int, session: ReadSessionDep, _: Reader, response: Response
) -> BoardRead:
    board = await service.get_board(session=session, board_id=board_id)
    set_etag(response, board.version)
    return service.board_read(board)


@router.get("/boards/{board_id}/chain", response_model=list[BoardRead], tags=["boards"])
async def board_chain(board_id: int, session: ReadSessionDep, _: Reader) -> list[BoardRead]:
    """The board and every board above it, in the order an escalation would climb."""
    return [service.board_read(b) for b in await service.chain(session=session, board_id=board_id)]


@router.patch("/boards/{board_id}", response_model=BoardRead, tags=["boards"])
async def update_board(
    board_id: int,
    data: BoardUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> BoardRead:
    board = await service.update_board(
        session=session, actor=actor, board_id=board_id, data=data, expected_version=version
    )
    set_etag(response, board.version)
    return service.board_read(board)


# Decision logs -----------------------------------------------------------------------------


@router.get("/boards/{board_id}/decisions", response_model=Page[BoardDecisionRead], tags=["boards"])
async def list_decisions(
    board_id: int,
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    escalation_id: int | None = None,
) -> Page[BoardDecisionRead]:
    """The board's decision log, newest decision first."""
    found = await service.list_decisions(
        session=session, board_id=board_id, page=page, escalation_id=escalation_id
    )
    rows, total = await counted(session, found)
    return Page(
        items=[service.decision_read(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/boards/{board_id}/decisions",
    response_model=BoardDecisionRead,
    status_code=http_status.HTTP_201_CREATED,
    tags=["boards"],
)
async def record_decision(
    board_id: int, data: BoardDecisionCreate, session: SessionDep, actor: Writer
) -> BoardDecisionRead:
    decision = await service.record_decision(
        session=session, actor=actor, board_id=board_id, data=data
    )
    return service.decision_read(decision)


# Escalations -------------------------------------------------------------------------------


@router.get("/escalations", response_model=Page[EscalationRead], tags=["escalations"])
async def list_escalations(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    status: EscalationStatus | None = None,
    board_id: int | None = None,
    programme_id: int | None = None,
    kind: EscalationKind | None = None,
    item_ref: str | None = None,
) -> Page[EscalationRead]:
    found = await service.list_escalations(
        session=session,
        page=page,
        status=status,
        board_id=board_id,
        programme_id=programme_id,
        kind=kind,
        item_ref=item_ref,
    )
    rows, total = await counted(session, found)
    return Page(
        items=await service.escalation_reads(session=session, rows=rows),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/escalations",
    response_model=EscalationRead,
    status_code=http_status.HTTP_201_CREATED,
    tags=["escalations"],
)
async def raise_escalation(
    data: EscalationCreate, session: SessionDep, actor: Writer, response: Response
) -> EscalationRead:
    escalation = await service.raise_escalation(session=session, actor=actor, data=data)
    set_etag(response, escalation.version)
    response.headers["Location"] = f"/escalations/{escalation.id}"
    return (await service.escalation_reads(session=session, rows=[escalation]))[0]


@router.get("/escalations/{escalation_id}", response_model=EscalationRead, tags=["escalations"])
async def get_escalation(
    escalation_id: int, session: ReadSessionDep, _: Reader, response: Response
) -> EscalationRead:
    escalation = await service.get_escalation(session=session, escalation_id=escalation_id)
    set_etag(response, escalation.version)
    return (await service.escalation_reads(session=session, rows=[escalation]))[0]


@router.patch("/escalations/{escalation_id}", response_model=EscalationRead, tags=["escalations"])
async def update_escalation(
    escalation_id: int,
    data: EscalationUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> EscalationRead:
    """Edit it, or change its status; ``{"status": "resolved", "resolution_decision_id": N}``
    resolves it with decision N of the board it is before."""
    escalation = await service.update_escalation(
        session=session,
        actor=actor,
        escalation_id=escalation_id,
        data=data,
        expected_version=version,
    )
    set_etag(response, escalation.version)
    return (await service.escalation_reads(session=session, rows=[escalation]))[0]


@router.post(
    "/escalations/{escalation_id}/escalate",
    response_model=EscalationRead,
    tags=["escalations"],
)
async def escalate(
    escalation_id: int,
    session: SessionDep,
    actor: Writer,
    response: Response,
    version: OptionalVersion,
    data: EscalateRequest | None = None,
) -> EscalationRead:
    """Move it to the next board up (409 at the top of the chain). If-Match is optional: when
    sent, the move happens only from that version."""
    escalation = await service.escalate(
        session=session,
        actor=actor,
        escalation_id=escalation_id,
        note=None if data is None else data.note,
        expected_version=version,
    )
    set_etag(response, escalation.version)
    return (await service.escalation_reads(session=session, rows=[escalation]))[0]
