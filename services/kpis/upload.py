"""CSV and XLSX uploads of values, for directorates without a system that pushes.

The sheet's columns: code, period, value, and optionally note, reason, key. Each row becomes a
bulk item, so an upload is all-or-nothing like a bulk push and a bad row is named
``rows[i].<column>`` (i counts data rows from 0). A row without a key gets one from its
content, so uploading the same file twice writes nothing the second time.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from typing import Any

import pydantic

from services.common.errors import FieldError
from services.kpis.push import Item, check_idempotency_key
from services.kpis.schemas import BulkItem

MAX_BYTES = 5_000_000
MAX_ROWS = 10_000
COLUMNS = ("code", "period", "value", "note", "reason", "key")
REQUIRED = ("code", "period", "value")  # code: BulkItem lets a path name it; a file cannot


def _rows_csv(content: bytes) -> list[dict[str, Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FieldError("the file is neither UTF-8 CSV nor XLSX", field="file") from exc
    if "\x00" in text:
        raise FieldError("the file holds NUL characters", field="file")
    reader = csv.DictReader(io.StringIO(text))
    _check_header(list(reader.fieldnames or []))
    return [dict(r) for r in reader]


def _rows_xlsx(content: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook  # on first use: the service stays small without uploads

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FieldError("the file is not a readable XLSX workbook", field="file") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    _check_header(header)
    out = []
    for values in rows:
        if all(v is None for v in values):
            continue
        out.append({h: v for h, v in zip(header, values, strict=False) if h})
    book.close()
    return out


def _check_header(header: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FieldError(f"the header lacks {', '.join(missing)}", field="file")


def items_from_file(content: bytes, filename: str | None) -> list[Item]:
    if not content:
        raise FieldError("the file is empty", field="file")
    if len(content) > MAX_BYTES:
        raise FieldError(f"the file is over {MAX_BYTES:,} bytes", field="file")
    is_xlsx = content[:2] == b"PK" or (filename or "").lower().endswith(".xlsx")
    raw = _rows_xlsx(content) if is_xlsx else _rows_csv(content)
    if not raw:
        raise FieldError("the file has no data rows", field="file")
    if len(raw) > MAX_ROWS:
        raise FieldError(f"at most {MAX_ROWS:,} rows in one upload", field="file")
    items: list[Item] = []
    errors: list[dict[str, Any]] = []
    for i, row in enumerate(raw):
        fields = {k: row.get(k) for k in COLUMNS if row.get(k) not in (None, "")}
        if "period" in fields:
            fields["period"] = str(fields["period"]).strip()
        text = fields.get("value")
        if isinstance(text, str):
            # A sheet's cells are text; a JSON body's value must be a number (schemas._number).
            try:
                fields["value"] = float(text)
            except ValueError:
                pass  # refused by the schema, naming the row's value
        if "key" not in fields:
            basis = "|".join(str(fields.get(k, "")) for k in ("code", "period", "value", "note"))
            fields["key"] = "upload:" + hashlib.sha256(basis.encode()).hexdigest()[:32]
        try:
            parsed = BulkItem.model_validate(fields)
        except pydantic.ValidationError as exc:
            errors.extend(
                {"field": f"rows[{i}].{'.'.join(str(p) for p in e['loc'])}", "message": e["msg"]}
                for e in exc.errors()
            )
            continue
        key = check_idempotency_key(parsed.key, field=f"rows[{i}].key")
        items.append(
            Item(
                i,
                parsed.code or "",
                parsed.period,
                parsed.value,
                parsed.note,
                parsed.reason,
                key,
                where="rows",
            )
        )
    if errors:
        raise FieldError(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
    return items
