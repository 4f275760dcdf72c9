"""REST: the RAID registers out to CSV or XLSX, and back in (all or nothing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from services.common import tabular
from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.risks.api_support import Upstream
from services.risks.asof import ReadSessionDep
from services.risks.transfer import service
from services.risks.vocabulary import RaidKind

router = APIRouter(prefix="/raid", tags=["spreadsheets"])


@router.get(
    "/{kind}/export",
    response_class=Response,
    responses={200: {"content": {m: {} for m in tabular.MEDIA_TYPES.values()}}},
)
async def export(
    kind: RaidKind,
    session: ReadSessionDep,
    _: Reader,
    format: Annotated[tabular.Format, Query(description="csv or xlsx")] = tabular.Format.csv,
) -> Response:
    """One register, a row per item and a column per field, in code order."""
    header = service.columns(kind)
    rows = await service.export_rows(session=session, kind=kind)
    name = service.SHEETS[kind]
    if format is tabular.Format.xlsx:
        body = tabular.write_xlsx(name, header, rows, notes=service.notes(kind))
    else:
        body = tabular.write_csv(header, rows)
    return Response(
        body,
        media_type=tabular.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="raid-{name}.{format.value}"'},
    )


@router.post("/{kind}/import", response_model=dict[str, int])
async def import_register(
    kind: RaidKind,
    session: SessionDep,
    actor: Writer,
    upstream: Upstream,
    file: Annotated[UploadFile, File(description="a .csv or .xlsx file")],
) -> dict[str, int]:
    """Create new codes, update changed ones, leave identical ones: all rows or none."""
    content = await file.read()
    fmt = tabular.detect_format(file.filename, file.content_type, content)
    sheet = tabular.read(content, fmt, sheet_name=service.SHEETS[kind])
    return await service.import_sheet(
        session=session, actor=actor, kind=kind, sheet=sheet, **upstream
    )
