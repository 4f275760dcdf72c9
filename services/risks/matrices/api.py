"""REST for scoring matrices: list, read, add a version, edit one not yet in use."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.risks.asof import ReadSessionDep
from services.risks.matrices import service
from services.risks.matrices.schemas import MatrixCreate, MatrixRead

router = APIRouter(tags=["matrices"])


@router.get("/matrices", response_model=list[MatrixRead])
async def list_matrices(
    session: ReadSessionDep, _: Reader, code: str | None = None
) -> list[MatrixRead]:
    """Every version of every matrix, by code then version."""
    rows = await service.list_versions(session=session, code=code)
    return await service.read(session=session, rows=rows)


@router.get("/matrices/current", response_model=MatrixRead)
async def current_matrix(session: ReadSessionDep, _: Reader) -> MatrixRead:
    """The matrix new assessments are scored on (the newest council 5x5)."""
    row = await service.current(session=session)
    return (await service.read(session=session, rows=[row]))[0]


@router.get("/matrices/{matrix_id}", response_model=MatrixRead)
async def get_matrix(matrix_id: int, session: ReadSessionDep, _: Reader) -> MatrixRead:
    row = await service.get(session=session, matrix_id=matrix_id)
    return (await service.read(session=session, rows=[row]))[0]


@router.post("/matrices", response_model=MatrixRead, status_code=status.HTTP_201_CREATED)
async def create_matrix(
    data: MatrixCreate, session: SessionDep, actor: Writer, response: Response
) -> MatrixRead:
    """A new matrix, or (same code) its next version; versions in use are never edited."""
    row = await service.create(session=session, actor=actor, data=data)
    response.headers["Location"] = f"/matrices/{row.id}"
    return (await service.read(session=session, rows=[row]))[0]


@router.put("/matrices/{matrix_id}", response_model=MatrixRead)
async def replace_matrix(
    matrix_id: int, data: MatrixCreate, session: SessionDep, actor: Writer
) -> MatrixRead:
    """Correct a version nothing has been scored on yet; 409 once one has."""
    row = await service.update(session=session, actor=actor, matrix_id=matrix_id, data=data)
    return (await service.read(session=session, rows=[row]))[0]
