"""REST for transfer: actions and milestones out to CSV/XLSX and back in."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Response, UploadFile

from services.common import asof, tabular
from services.common.auth import Reader, Writer
from services.common.db import DryRunSessionDep, SessionDep
from services.common.tabular import MEDIA_TYPES, Format, Sheet
from services.programmes.asof import ReadSessionDep
from services.programmes.plan import service as plan
from services.programmes.transfer import service, sheet
from services.programmes.transfer.schemas import ImportResult
from services.programmes.transfer.sheet import ACTION_COLUMNS, MILESTONE_COLUMNS, Column

router = APIRouter()

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the file",
        "content": {MEDIA_TYPES[Format.csv]: {}, MEDIA_TYPES[Format.xlsx]: {}},
    }
}

ROWS = (
    "Row 1 is the header; each further row is one record. In XLSX the first sheet is read "
    "(or the one named after what is imported); a second sheet, `columns`, describes them."
)
ALL_OR_NOTHING = (
    "The import applies entirely, in one transaction, or not at all: if any row is bad the "
    "answer is 422 problem+json whose `errors` list every problem as `row` (spreadsheet row "
    "number, header = 1), `column` and `message`, and nothing is written. A row the same as "
    "what is stored writes nothing, so importing an unchanged export is a no-op. Columns left "
    "out are left as they are; a blank cell clears an optional field and leaves a required one "
    "unchanged. Read-only columns are ignored. `dry_run=true` checks and reports without "
    "writing."
)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "export"


def _file(
    what: str, fmt: Format, columns: Sequence[Column], rows: list[list[Any]], stem: str
) -> Response:
    header = [c.name for c in columns]
    if fmt is Format.xlsx:
        content = tabular.write_xlsx(what, header, rows, notes=sheet.column_notes(columns))
    else:
        content = tabular.write_csv(header, rows)
    return Response(
        content=content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{_slug(stem)}.{fmt.value}"'},
    )


async def _upload(file: UploadFile, what: str) -> tuple[Sheet, Format]:
    """The uploaded file's rows (the sheet named ``what``, if XLSX), and its format."""
    content = await file.read()
    fmt = tabular.detect_format(file.filename, file.content_type, content)
    return tabular.read(content, fmt, sheet_name=what), fmt


async def _programme_stem(session: SessionDep, what: str, programme_id: int | None) -> str:
    if programme_id is None:
        return what
    programme = await plan.get(session=session, programme_id=programme_id)
    return f"{what}-{programme.code}"


# Exports: one route definition, registered for each thing exported -------------------------

FORMAT_NAMES = {Format.csv: "CSV", Format.xlsx: "an XLSX workbook"}


@dataclass(frozen=True)
class Export:
    """A thing exported: its name (the file's stem and sheet), how the docs call it, its
    columns, and the service function giving its rows."""

    what: str
    called: str
    columns: Sequence[Column]
    rows: Callable[..., Awaitable[list[list[Any]]]]

    @property
    def doc(self) -> str:
        return f"Columns, in order:\n\n{sheet.columns_markdown(self.columns)}\n\n{ROWS}"


def add_export_routes(export: Export) -> None:
    """``/programmes/{programme_id}/<what>.csv`` and ``.xlsx`` (one programme's), and
    ``/<what>/export?format=&programme_id=`` (every programme's, or one's)."""

    async def respond(session: SessionDep, fmt: Format, programme_id: int | None) -> Response:
        stem = await _programme_stem(session, export.what, programme_id)
        # Overdue is judged on the cut's day when the export reads at a cut.
        rows = await export.rows(
            session=session, programme_id=programme_id, today=asof.today(session)
        )
        return _file(export.what, fmt, export.columns, rows, stem)

    def of_programme(fmt: Format) -> Callable[..., Awaitable[Response]]:
        async def route(programme_id: int, session: ReadSessionDep, _: Reader) -> Response:
            return await respond(session, fmt, programme_id)

        return route

    for fmt in Format:
        router.add_api_route(
            f"/programmes/{{programme_id}}/{export.what}.{fmt.value}",
            of_programme(fmt),
            methods=["GET"],
            name=f"export_programme_{export.what}_{fmt.value}",
            tags=["transfer"],
            response_class=Response,
            responses=FILE_RESPONSES,
            description=f"A programme's {export.called} as {FORMAT_NAMES[fmt]}. {export.doc}",
        )

    async def every(
        session: ReadSessionDep,
        _: Reader,
        format: Format = Format.csv,
        programme_id: int | None = None,
    ) -> Response:
        return await respond(session, format, programme_id)

    router.add_api_route(
        f"/{export.what}/export",
        every,
        methods=["GET"],
        name=f"export_{export.what}",
        tags=["transfer"],
        response_class=Response,
        responses=FILE_RESPONSES,
        description=f"{export.called.capitalize()} of every programme, or of one. {export.doc}",
    )


ACTIONS = Export("actions", "actions", ACTION_COLUMNS, service.export_actions)
MILESTONES = Export(
    "milestones", "milestones (key activities)", MILESTONE_COLUMNS, service.export_milestones
)
for _export in (ACTIONS, MILESTONES):
    add_export_routes(_export)


# Imports -----------------------------------------------------------------------------------


@router.post(
    "/actions/import",
    response_model=ImportResult,
    tags=["transfer"],
    description=(
        "Import actions from a CSV or XLSX file (multipart field `file`; the format comes from "
        "the file name, else its content type). A row is keyed by `programme_code` + `number`: "
        f"an existing action is updated, a new number creates one. {ALL_OR_NOTHING}\n\n"
        f"{ACTIONS.doc}"
    ),
)
async def import_actions(
    session: DryRunSessionDep,
    actor: Writer,
    file: Annotated[UploadFile, File(description="a .csv or .xlsx file")],
) -> ImportResult:
    sheet, fmt = await _upload(file, "actions")
    return await service.import_actions(session=session, actor=actor, sheet=sheet, fmt=fmt.value)


@router.post(
    "/milestones/import",
    response_model=ImportResult,
    tags=["transfer"],
    description=(
        "Import milestones from a CSV or XLSX file (multipart field `file`; the format comes "
        "from the file name, else its content type). A row with an `id` updates that milestone "
        "(it must belong to the row's programme); a row without one creates a milestone. The "
        f"same rules as PATCH /milestones/{{id}} apply. {ALL_OR_NOTHING}\n\n{MILESTONES.doc}"
    ),
)
async def import_milestones(
    session: DryRunSessionDep,
    actor: Writer,
    file: Annotated[UploadFile, File(description="a .csv or .xlsx file")],
) -> ImportResult:
    sheet, fmt = await _upload(file, "milestones")
    return await service.import_milestones(
        session=session, actor=actor, sheet=sheet, fmt=fmt.value, today=asof.today(session)
    )
