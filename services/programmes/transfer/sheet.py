"""A transfer file's columns, its cells and their problems: what a CSV or XLSX sheet says, read
and checked cell by cell, before anything is written (service.py applies the rows)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import pydantic

from services.common.errors import DomainError, FieldError
from services.common.tabular import Sheet
from services.programmes.milestones.schemas import STATUS_HELP, Status

# Columns -----------------------------------------------------------------------------------

Kind = Literal["text", "date", "int", "status", "bool"]


@dataclass(frozen=True)
class Exported:
    """What one exported row is read from: the record (an action, or a milestone's read model)
    and the values its ids stand for."""

    record: Any
    programme_code: str
    workstream: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Column:
    """One column, for export and import alike: exported as ``value(row)``, or else as the
    record's attribute of the same name; so a row's cells cannot fall out of step with the
    header."""

    name: str
    kind: Kind
    description: str
    readonly: bool = field(default=False, kw_only=True)
    required: bool = field(default=False, kw_only=True)  # must be in the header
    value: Callable[[Exported], Any] | None = field(default=None, kw_only=True)

    def cell(self, row: Exported) -> Any:
        return getattr(row.record, self.name) if self.value is None else self.value(row)


def export_rows(columns: Sequence[Column], rows: Iterable[Exported]) -> list[list[Any]]:
    """The cells of ``rows`` in ``columns``' order."""
    return [[column.cell(row) for column in columns] for row in rows]


def _programme_code(row: Exported) -> str:
    return row.programme_code


ACTION_COLUMNS: tuple[Column, ...] = (
    Column(
        "programme_code",
        "text",
        "the programme's code, e.g. IRP-01 (key)",
        required=True,
        value=_programme_code,
    ),
    Column(
        "number", "text", "the action number, e.g. 1.3, unique per programme (key)", required=True
    ),
    Column("description", "text", "what will be done (required for a new action)"),
    Column("timescale", "text", 'as the plan writes it: "Mar-15", "Spring 15", "TBC", "Ongoing"'),
    Column("measures", "text", "how success will be measured"),
    Column("responsible", "text", "the officer or post responsible"),
    Column("status", "status", STATUS_HELP + " (blank: unchanged, or Not started if new)"),
    Column("review_references", "text", 'the review recommendations it answers, e.g. "3a, 3c"'),
    Column("version", "int", "the version exported; if filled, the row must not have changed"),
    Column("timescale_start", "date", "parsed from timescale", readonly=True),
    Column("timescale_end", "date", "parsed from timescale", readonly=True),
    Column("timescale_precision", "text", "how precise the timescale is", readonly=True),
    Column(
        "overdue",
        "bool",
        "not completed and the timescale has passed",
        readonly=True,
        value=lambda row: row.overdue,
    ),
)

MILESTONE_COLUMNS: tuple[Column, ...] = (
    Column("id", "int", "the milestone's id (key); blank for a new milestone"),
    Column(
        "programme_code",
        "text",
        "the programme's code, e.g. IRP-01",
        required=True,
        value=_programme_code,
    ),
    Column(
        "workstream",
        "text",
        "the name of one of the programme's workstreams, or blank",
        value=lambda row: row.workstream,
    ),
    Column("title", "text", "the key activity / milestone (required for a new one)"),
    Column("start_text", "text", 'baseline start as the plan writes it, e.g. "Apr-24", "Q1"'),
    Column("end_text", "text", 'baseline end as the plan writes it, e.g. "Mar 2025", "TBC"'),
    Column("forecast_date", "date", "forecast completion, YYYY-MM-DD or DD/MM/YYYY"),
    Column("actual_date", "date", "actual completion (defaults to today when Completed)"),
    Column(
        "status",
        "status",
        STATUS_HELP + " (blank: unchanged, or Not started if new)",
        value=lambda row: row.record.status.value,
    ),
    Column("percent_complete", "int", "0 to 100; 100 when Completed"),
    Column("owner", "text", "who owns it"),
    Column("version", "int", "the version exported; if filled, the row must not have changed"),
    Column("start_date", "date", "baseline window start, parsed from start_text", readonly=True),
    Column("end_date", "date", "baseline window end, parsed from end_text", readonly=True),
    Column("start_precision", "text", "how precise start_text is", readonly=True),
    Column("end_precision", "text", "how precise end_text is", readonly=True),
    Column("slippage_days", "int", "forecast_date minus end_date, in days", readonly=True),
    Column("overdue", "bool", "not completed and due before today", readonly=True),
)

# Required fields a blank cell leaves alone (or defaults, for a new row).
KEEP_IF_BLANK = {"title", "description", "status", "percent_complete"}


def column_notes(columns: Sequence[Column]) -> list[tuple[str, str, str]]:
    return [(c.name, "read-only" if c.readonly else "imported", c.description) for c in columns]


def columns_markdown(columns: Sequence[Column]) -> str:
    """The columns, for the OpenAPI description."""
    lines = ["| column | on import | what it holds |", "|---|---|---|"]
    lines += [f"| `{n}` | {mode} | {text} |" for n, mode, text in column_notes(columns)]
    return "\n".join(lines)


# Cells -------------------------------------------------------------------------------------

UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def text_cell(cell: Any) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, datetime):
        cell = cell.date()
    if isinstance(cell, date):  # a spreadsheet took "Mar-15" for a date: keep the day
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).replace("\r\n", "\n").strip()
    return text or None


def _date(cell: Any) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = text_cell(cell)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = UK_DATE.match(text)
    if match:
        try:
            return date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD or DD/MM/YYYY")


def _int(cell: Any) -> int | None:
    if isinstance(cell, bool):
        raise ValueError(f"{cell!r} is not a whole number")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    text = text_cell(cell)
    if text is None:
        return None
    if re.fullmatch(r"[+-]?\d+", text.removesuffix("%").strip()):
        return int(text.removesuffix("%").strip())
    raise ValueError(f"{text!r} is not a whole number")


def _status(cell: Any) -> Status | None:
    text = text_cell(cell)
    if text is None:
        return None
    for status in Status:
        if status.value.lower() == " ".join(text.split()).lower():
            return status
    raise ValueError(f"{text!r} is not a status: {STATUS_HELP}")


CONVERT: dict[str, Callable[[Any], Any]] = {
    "text": text_cell,
    "date": _date,
    "int": _int,
    "status": _status,
}


# Problems ----------------------------------------------------------------------------------


@dataclass
class Problems:
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: int, column: str, message: str) -> None:
        self.items.append({"row": row, "column": column, "field": column, "message": message})

    def raise_if_any(self, what: str) -> None:
        if not self.items:
            return
        rows = len({p["row"] for p in self.items})
        raise FieldError(
            f"{len(self.items)} problem(s) in {rows} row(s) of the {what} file; "
            "nothing was imported",
            errors=sorted(self.items, key=lambda p: p["row"]),
        )


def _read_header(sheet: Sheet, columns: Sequence[Column], problems: Problems) -> dict[str, int]:
    """Column name -> position, for the columns this import reads."""
    known = {c.name: c for c in columns}
    positions: dict[str, int] = {}
    for index, raw in enumerate(sheet.header):
        name = raw.strip().lower().replace(" ", "_")
        if not name:
            continue
        if name not in known:
            problems.add(1, raw, f"unknown column {raw!r}; expected: {', '.join(known)}")
        elif name in positions:
            problems.add(1, name, f"column {name!r} appears twice")
        else:
            positions[name] = index
    for column in columns:
        if column.required and column.name not in positions:
            problems.add(1, column.name, f"the file needs a {column.name!r} column")
    return {n: i for n, i in positions.items() if not known[n].readonly}


def read_rows(
    sheet: Sheet, columns: Sequence[Column], what: str, problems: Problems
) -> list[tuple[int, dict[str, Any], bool]]:
    """Each row's number, its values by column name and whether all converted; a bad header
    stops the import before any row is read."""
    positions = _read_header(sheet, columns, problems)
    problems.raise_if_any(what)
    rows = []
    for number, cells in sheet.rows:
        values, ok = _convert_row(number, cells, positions, columns, problems)
        rows.append((number, values, ok))
    return rows


def _convert_row(
    number: int,
    cells: list[Any],
    positions: dict[str, int],
    columns: Sequence[Column],
    problems: Problems,
) -> tuple[dict[str, Any], bool]:
    """The row's values by column name (only the columns present), and whether all converted."""
    kinds = {c.name: c.kind for c in columns}
    values: dict[str, Any] = {}
    ok = True
    for name, index in positions.items():
        cell = cells[index] if index < len(cells) else None
        try:
            values[name] = CONVERT[kinds[name]](cell)
        except ValueError as exc:
            problems.add(number, name, str(exc))
            ok = False
    return values, ok


def pydantic_problems(
    number: int, exc: pydantic.ValidationError, problems: Problems, rename: dict[str, str]
) -> None:
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "row"
        problems.add(number, rename.get(name, name), error["msg"])


def domain_problems(
    number: int, exc: DomainError, problems: Problems, rename: dict[str, str]
) -> None:
    if not exc.errors:
        problems.add(number, "row", exc.detail)
    for error in exc.errors:
        name = str(error.get("field") or "row")
        problems.add(number, rename.get(name, name), str(error.get("message", exc.detail)))
