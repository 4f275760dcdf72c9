"""Scoring matrices: versioned, and frozen once an assessment has been scored on a version."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.errors import Conflict, FieldError, NotFound
from services.risks import audit
from services.risks.matrices.schemas import MatrixCreate, MatrixRead
from services.risks.models import Assessment, MatrixVersion

DEFAULT_CODE = "council-5x5"


def check(data: MatrixCreate) -> None:
    """Labels fit the size, bands cover every score once, the escalation line is on the scale."""
    for field in ("likelihood_labels", "impact_labels"):
        labels = getattr(data, field)
        if len(labels) != data.size or any(not label.strip() for label in labels):
            raise FieldError(f"give {data.size} non-empty labels, lowest first", field=field)
    top = data.size * data.size
    expected = 1
    for index, band in enumerate(sorted(data.bands, key=lambda b: b.min_score)):
        if band.min_score != expected or band.max_score < band.min_score:
            raise FieldError(
                f"bands must cover 1..{top} in order without gap or overlap; "
                f"band {band.name!r} starts at {band.min_score}, expected {expected}",
                field=f"bands.{index}.min_score",
            )
        expected = band.max_score + 1
    if expected != top + 1:
        raise FieldError(f"bands must reach {top}; they stop at {expected - 1}", field="bands")
    if data.escalation_score > top:
        raise FieldError(
            f"the escalation line {data.escalation_score} is above the top score {top}",
            field="escalation_score",
        )


async def in_use(*, session: AsyncSession, matrix_ids: Sequence[int]) -> set[int]:
    rows = await session.exec(
        select(Assessment.matrix_version_id)
        .where(col(Assessment.matrix_version_id).in_(matrix_ids))
        .distinct()
    )
    return set(rows.all())


async def read(*, session: AsyncSession, rows: Sequence[MatrixVersion]) -> list[MatrixRead]:
    used = await in_use(session=session, matrix_ids=[r.id for r in rows])  # type: ignore[misc]
    return [
        MatrixRead.model_validate(r, from_attributes=True, update={"in_use": r.id in used})
        for r in rows
    ]


async def get(*, session: AsyncSession, matrix_id: int) -> MatrixVersion:
    row = await session.get(MatrixVersion, matrix_id)
    if row is None:
        raise NotFound(f"no matrix version with id {matrix_id}", field="matrix_id")
    return row


async def get_many(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, MatrixVersion]:
    rows = await session.exec(select(MatrixVersion).where(col(MatrixVersion.id).in_(ids)))
    return {r.id: r for r in rows.all()}  # type: ignore[misc]


async def list_versions(*, session: AsyncSession, code: str | None = None) -> list[MatrixVersion]:
    statement = select(MatrixVersion).order_by(MatrixVersion.code, col(MatrixVersion.version))
    if code is not None:
        statement = statement.where(MatrixVersion.code == code)
    return list((await session.exec(statement)).all())


async def latest(*, session: AsyncSession, code: str = DEFAULT_CODE) -> MatrixVersion | None:
    statement = (
        select(MatrixVersion)
        .where(MatrixVersion.code == code)
        .order_by(col(MatrixVersion.version).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def current(*, session: AsyncSession) -> MatrixVersion:
    """The matrix new assessments are scored on: the newest council 5x5. The migrations seed
    its first version as reference data, so reading it never writes (and reads at a cut can)."""
    found = await latest(session=session)
    if found is None:
        raise NotFound(
            f"no {DEFAULT_CODE} matrix here: the risks migrations seed it (run them)",
            field="matrix_id",
        )
    return found


async def _insert(*, session: AsyncSession, data: MatrixCreate, created_by: str) -> MatrixVersion:
    top = (
        await session.exec(
            select(func.max(MatrixVersion.version)).where(MatrixVersion.code == data.code)
        )
    ).one()
    row = MatrixVersion(
        **data.model_dump(exclude={"bands"}),
        bands=[b.model_dump() for b in data.bands],
        version=(top or 0) + 1,
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return row


async def create(*, session: AsyncSession, actor: Principal, data: MatrixCreate) -> MatrixVersion:
    """A new matrix, or the next version of an existing one (same code)."""
    check(data)
    row = await _insert(session=session, data=data, created_by=actor.subject)
    await audit.record(session, actor, "create", row, None)
    return row


async def update(
    *, session: AsyncSession, actor: Principal, matrix_id: int, data: MatrixCreate
) -> MatrixVersion:
    """Edit a version no assessment has used yet; a version in use refuses (409)."""
    row = await get(session=session, matrix_id=matrix_id)
    used = await session.exec(
        select(exists().where(col(Assessment.matrix_version_id) == matrix_id))
    )
    if used.one():
        raise Conflict(
            f"matrix {row.code} v{row.version} has scored assessments and cannot change; "
            "create a new version (POST /matrices with the same code)",
            field="matrix_id",
        )
    if data.code != row.code:
        raise FieldError("a version keeps its matrix's code", field="code")
    check(data)
    before = audit.snapshot(row)
    for name, value in data.model_dump(exclude={"bands"}).items():
        setattr(row, name, value)
    row.bands = [b.model_dump() for b in data.bands]
    session.add(row)
    await session.flush()
    await audit.record(session, actor, "update", row, before)
    return row


def band(matrix: MatrixVersion, value: int) -> dict[str, object]:
    return next(b for b in matrix.bands if b["min_score"] <= value <= b["max_score"])
