"""Reading and writing the two tabular formats councils use: CSV and XLSX.

Rows are numbered as a spreadsheet numbers them: the header is row 1, the first record row 2.
CSV is written as UTF-8 with a byte-order mark (so Excel reads it as UTF-8) and read as UTF-8,
falling back to Windows-1252 (what Excel's plain "CSV" saves). Text cells that a spreadsheet
would run as a formula (starting ``=``, ``+``, ``-``, ``@``) are written to CSV behind a ``'``,
which reading removes again, so export then import changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from services.common.errors import FieldError

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES = {
    Format.csv: "text/csv; charset=utf-8",
    Format.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Sheet:
    """What a file held: its header and its non-empty rows, each with its row number."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]


def detect_format(filename: str | None, content_type: str | None, content: bytes) -> Format:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return Format.xlsx
    if name.endswith(".csv"):
        return Format.csv
    if name.endswith(".xls"):
        raise FieldError("old .xls workbooks cannot be read: save as .xlsx or .csv", field="file")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == MEDIA_TYPES[Format.xlsx]:
        return Format.xlsx
    if kind in ("text/csv", "application/csv", "text/plain"):
        return Format.csv
    if content.startswith(b"PK\x03\x04"):
        return Format.xlsx
    return Format.csv


def read(content: bytes, fmt: Format, *, sheet_name: str) -> Sheet:
    if len(content) > MAX_BYTES:
        raise FieldError(f"the file is over {MAX_BYTES // (1024 * 1024)} MB", field="file")
    records = _read_xlsx(content, sheet_name) if fmt is Format.xlsx else _read_csv(content)
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in records:
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = [("" if c is None else str(c)).strip() for c in cells]
            continue
        rows.append((number, list(cells)))
        if len(rows) > MAX_ROWS:
            raise FieldError(f"the file has more than {MAX_ROWS} rows", field="file")
    if header is None:
        raise FieldError("the file is empty: it needs a header row", field="file")
    while header and header[-1] == "":
        header.pop()
    return Sheet(header=header, rows=rows)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _read_csv(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise FieldError(f"the CSV cannot be read: {exc}", field="file") from exc
    for number, record in enumerate(records, start=1):
        yield number, [_unescape(cell) for cell in record]


def _read_xlsx(content: bytes, sheet_name: str) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise FieldError(f"the file is not a readable XLSX workbook: {exc}", field="file") from exc
    try:
        names = {name.lower(): name for name in workbook.sheetnames}
        worksheet = workbook[names[sheet_name]] if sheet_name in names else workbook.worksheets[0]
        rows = list(worksheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    for number, record in enumerate(rows, start=1):
        yield number, list(record)


def _unescape(cell: str) -> str:
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_START:
        return cell[1:]
    return cell


def _escape(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _escape(value)
    return str(value)


def write_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(
    sheet_name: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    notes: Sequence[tuple[str, str, str]] = (),
) -> bytes:
    """One sheet of data (header bold and frozen, filters on), and a "columns" sheet saying
    what each column holds (``notes``: name, editable or read-only, description)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in header]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            if isinstance(value, datetime):
                value = value.date()
            if isinstance(value, str):
                value = XML_ILLEGAL.sub("", value)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            shown = value.isoformat() if isinstance(value, date) else str(value or "")
            widths[c - 1] = max(widths[c - 1], min(len(shown), 60))
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = max(10, width + 2)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    if notes:
        about = workbook.create_sheet("columns")
        about.append(["column", "on import", "what it holds"])
        for cell in about[1]:
            cell.font = Font(bold=True)
        for note in notes:
            about.append(list(note))
        about.column_dimensions["A"].width = 22
        about.column_dimensions["B"].width = 12
        about.column_dimensions["C"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
