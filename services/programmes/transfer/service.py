"""Export and import of actions and milestones as CSV or XLSX.

An import applies entirely, in the caller's one transaction, or not at all: every row is
checked (and tried, each inside a savepoint, through the same service functions the API uses,
so the same rules and the same audit apply), and if any row is bad the import raises one 422
listing every problem by row number and column, and the transaction rolls back.

Rows are keyed: an action by ``programme_code`` + ``number``, a milestone by ``id`` (blank for a
new one). A row the same as what is stored writes nothing, so exporting and importing the file
again is a no-op. Columns left out of the file are left as they are; a blank cell clears an
optional field, and leaves a required one (title, description, status, percent_complete) as it
is (or its default, for a new row). A ``version`` cell, if filled, must still be the stored
version: the row has not changed since it was exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, Literal, Protocol, TypeVar

import pydantic
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.db import is_dry_run
from services.common.errors import DomainError, FieldError
from services.common.tabular import Sheet
from services.programmes.actions import service as actions
from services.programmes.actions.schemas import ActionCreate, ActionUpdate
from services.programmes.milestones import service as milestones
from services.programmes.milestones.schemas import (
    STATUS_HELP,
    KeyActivityCreate,
    KeyActivityUpdate,
    Status,
)
from services.programmes.plan import service as plan
from services.programmes.transfer.schemas import ImportedRow, ImportResult

T = TypeVar("T")


class Versioned(Protocol):
    """A stored row an import updates (an action, a milestone): its id and its version."""

    @property
    def id(self) -> int | None: ...

    @property
    def version(self) -> int: ...


Row = TypeVar("Row", bound=Versioned)

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


def _text(cell: Any) -> str | None:
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
    text = _text(cell)
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
    text = _text(cell)
    if text is None:
        return None
    if re.fullmatch(r"[+-]?\d+", text.removesuffix("%").strip()):
        return int(text.removesuffix("%").strip())
    raise ValueError(f"{text!r} is not a whole number")


def _status(cell: Any) -> Status | None:
    text = _text(cell)
    if text is None:
        return None
    for status in Status:
        if status.value.lower() == " ".join(text.split()).lower():
            return status
    raise ValueError(f"{text!r} is not a status: {STATUS_HELP}")


CONVERT: dict[str, Callable[[Any], Any]] = {
    "text": _text,
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


def _read_rows(
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


def _pydantic_problems(
    number: int, exc: pydantic.ValidationError, problems: Problems, rename: dict[str, str]
) -> None:
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "row"
        problems.add(number, rename.get(name, name), error["msg"])


def _domain_problems(
    number: int, exc: DomainError, problems: Problems, rename: dict[str, str]
) -> None:
    if not exc.errors:
        problems.add(number, "row", exc.detail)
    for error in exc.errors:
        name = str(error.get("field") or "row")
        problems.add(number, rename.get(name, name), str(error.get("message", exc.detail)))


def _same(stored: Any, imported: Any) -> bool:
    if isinstance(stored, str) or isinstance(imported, str):
        return _text(stored) == _text(imported)
    return bool(stored == imported)


def _result(session: AsyncSession, fmt: str, rows: list[ImportedRow]) -> ImportResult:
    """The import's report; in a dry run (the transaction will be rolled back) created rows
    have no id to report, since none will exist."""
    dry_run = is_dry_run(session)
    if dry_run:
        rows = [r.model_copy(update={"id": None}) if r.outcome == "created" else r for r in rows]
    return ImportResult(
        format=fmt,
        dry_run=dry_run,
        created=sum(r.outcome == "created" for r in rows),
        updated=sum(r.outcome == "updated" for r in rows),
        unchanged=sum(r.outcome == "unchanged" for r in rows),
        rows=rows,
    )


async def _attempt(
    session: AsyncSession,
    number: int,
    problems: Problems,
    rename: dict[str, str],
    write: Coroutine[Any, Any, T],
) -> T | None:
    """Run one row's write (a coroutine not yet started) in a savepoint; a refusal becomes
    that row's problems."""
    try:
        async with session.begin_nested():
            return await write
    except pydantic.ValidationError as exc:
        _pydantic_problems(number, exc, problems, rename)
    except DomainError as exc:
        _domain_problems(number, exc, problems, rename)
    except IntegrityError as exc:
        problems.add(number, "row", f"conflicts with existing data: {exc.orig}")
    return None


async def _programmes_by_code(
    session: AsyncSession, rows: list[tuple[int, dict[str, Any], bool]]
) -> dict[str, plan.Programme]:
    """The programmes the rows name, by code."""
    codes = {values["programme_code"] for _, values, _ in rows if values.get("programme_code")}
    return await plan.get_many_by_code(session=session, codes=codes)


def _row_programme(
    number: int, values: dict[str, Any], programmes: dict[str, plan.Programme], problems: Problems
) -> plan.Programme | None:
    """The programme the row names; None, with the problem noted, when it names none."""
    code = values.get("programme_code")
    if code is None:
        problems.add(number, "programme_code", "every row needs a programme_code")
        return None
    programme = programmes.get(code)
    if programme is None:
        problems.add(number, "programme_code", f"no programme with code {code!r}")
    return programme


def _fields(values: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The row's values for ``names``; a blank cell in a required field is left out."""
    return {
        name: values[name]
        for name in names
        if name in values and not (values[name] is None and name in KEEP_IF_BLANK)
    }


def _version_problem(
    number: int, values: dict[str, Any], stored_version: int, problems: Problems
) -> bool:
    expected = values.get("version")
    if expected is not None and expected != stored_version:
        problems.add(
            number,
            "version",
            f"the row was exported at version {expected} but is now at version "
            f"{stored_version}: export again and reapply your change",
        )
        return True
    return False


async def _write_row(
    session: AsyncSession,
    number: int,
    problems: Problems,
    rename: dict[str, str],
    values: dict[str, Any],
    fields: dict[str, Any],
    existing: Row | None,
    *,
    create: Callable[[], Coroutine[Any, Any, Row]],
    update: Callable[[Row, dict[str, Any]], Coroutine[Any, Any, Row]],
) -> ImportedRow | None:
    """Create a new row, or update a stored one with the fields that differ (none: unchanged)
    if it is still at the version exported; None when the row has a problem (noted)."""
    if existing is None:
        created = await _attempt(session, number, problems, rename, create())
        if created is None:
            return None
        return ImportedRow(row=number, id=created.id, outcome="created")
    if _version_problem(number, values, existing.version, problems):
        return None
    changed = {k: v for k, v in fields.items() if not _same(getattr(existing, k), v)}
    if not changed:
        return ImportedRow(row=number, id=existing.id, outcome="unchanged")
    if await _attempt(session, number, problems, rename, update(existing, changed)) is None:
        return None
    return ImportedRow(row=number, id=existing.id, outcome="updated")


# Actions -----------------------------------------------------------------------------------

ACTION_FIELDS = (
    "description",
    "timescale",
    "measures",
    "responsible",
    "status",
    "review_references",
)
ACTION_RENAME = {"programme_id": "programme_code", "If-Match": "version"}


async def _exported_programmes(
    session: AsyncSession, programme_id: int | None
) -> dict[int, plan.Programme]:
    """The programmes an export covers (one, or all), by id in code order."""
    programmes = await plan.all_programmes(session=session, programme_id=programme_id)
    return {p.id: p for p in programmes if p.id is not None}


async def export_actions(
    *, session: AsyncSession, programme_id: int | None, today: date
) -> list[list[Any]]:
    """Programme by programme in code order, each's actions in number order."""
    programmes = await _exported_programmes(session, programme_id)
    by_programme = await actions.actions_by_programme(
        session=session, programme_ids=list(programmes)
    )
    return export_rows(
        ACTION_COLUMNS,
        (
            Exported(
                record=action,
                programme_code=programme.code,
                overdue=actions.is_overdue(action.status, action.timescale_end, today=today),
            )
            for programme_id, programme in programmes.items()
            for action in by_programme[programme_id]
        ),
    )


async def _create_action(
    session: AsyncSession, actor: Principal, programme_id: int, fields: dict[str, Any]
) -> actions.Action:
    return await actions.create_action(
        session=session,
        actor=actor,
        programme_id=programme_id,
        data=ActionCreate.model_validate(fields),
    )


async def _update_action(
    session: AsyncSession, actor: Principal, row: actions.Action, changed: dict[str, Any]
) -> actions.Action:
    assert row.id is not None
    return await actions.update_action(
        session=session,
        actor=actor,
        action_id=row.id,
        data=ActionUpdate.model_validate(changed),
        expected_version=row.version,
    )


async def import_actions(
    *, session: AsyncSession, actor: Principal, sheet: Sheet, fmt: str
) -> ImportResult:
    problems = Problems()
    rows = _read_rows(sheet, ACTION_COLUMNS, "actions", problems)
    programmes = await _programmes_by_code(session, rows)
    seen: dict[tuple[int, str], int] = {}
    outcomes: list[ImportedRow] = []
    for number, values, ok in rows:
        programme = _row_programme(number, values, programmes, problems)
        if programme is None:
            continue
        action_number = values.get("number")
        if action_number is None:
            problems.add(number, "number", "every row needs an action number")
            continue
        assert programme.id is not None
        key = (programme.id, action_number)
        if key in seen:
            problems.add(
                number,
                "number",
                f"{programme.code} action {action_number} is also in row {seen[key]}",
            )
            continue
        seen[key] = number
        if not ok:
            continue
        existing = await actions.find_by_number(
            session=session, programme_id=programme.id, number=action_number
        )
        fields = _fields(values, ACTION_FIELDS)
        outcome = await _write_row(
            session,
            number,
            problems,
            ACTION_RENAME,
            values,
            fields,
            existing,
            create=partial(
                _create_action, session, actor, programme.id, {**fields, "number": action_number}
            ),
            update=partial(_update_action, session, actor),
        )
        if outcome is not None:
            outcomes.append(outcome)
    problems.raise_if_any("actions")
    return _result(session, fmt, outcomes)


# Milestones --------------------------------------------------------------------------------

MILESTONE_FIELDS = (
    "title",
    "start_text",
    "end_text",
    "workstream_id",
    "forecast_date",
    "actual_date",
    "status",
    "percent_complete",
    "owner",
)
MILESTONE_RENAME = {
    "programme_id": "programme_code",
    "If-Match": "version",
    "workstream_id": "workstream",
}


async def export_milestones(
    *, session: AsyncSession, programme_id: int | None, today: date
) -> list[list[Any]]:
    """Programme by programme in code order, each's milestones in plan order."""
    programmes = await _exported_programmes(session, programme_id)
    by_programme = await milestones.key_activities_by_programme(
        session=session, programme_ids=list(programmes)
    )
    workstreams = {
        w.id: w.name
        for w in await plan.list_workstreams(session=session, programme_ids=list(programmes))
    }
    return export_rows(
        MILESTONE_COLUMNS,
        (
            Exported(
                record=milestones.to_read(activity, today=today),
                programme_code=programme.code,
                workstream=(
                    None if activity.workstream_id is None else workstreams[activity.workstream_id]
                ),
            )
            for programme_id, programme in programmes.items()
            for activity in by_programme[programme_id]
        ),
    )


async def _workstreams(
    session: AsyncSession, programme_ids: set[int]
) -> dict[tuple[int, str], int]:
    rows = await plan.list_workstreams(session=session, programme_ids=list(programme_ids))
    return {(w.programme_id, w.name.strip().lower()): w.id for w in rows if w.id is not None}


async def _create_milestone(
    session: AsyncSession,
    actor: Principal,
    programme_id: int,
    fields: dict[str, Any],
    today: date,
) -> milestones.KeyActivity:
    return await milestones.add_key_activity(
        session=session,
        actor=actor,
        programme_id=programme_id,
        data=KeyActivityCreate.model_validate(fields),
        today=today,
    )


async def _update_milestone(
    session: AsyncSession,
    actor: Principal,
    row: milestones.KeyActivity,
    changed: dict[str, Any],
    today: date,
) -> milestones.KeyActivity:
    assert row.id is not None
    return await milestones.update_milestone(
        session=session,
        actor=actor,
        milestone_id=row.id,
        data=KeyActivityUpdate.model_validate(changed),
        expected_version=row.version,
        today=today,
    )


async def import_milestones(
    *, session: AsyncSession, actor: Principal, sheet: Sheet, fmt: str, today: date
) -> ImportResult:
    problems = Problems()
    rows = _read_rows(sheet, MILESTONE_COLUMNS, "milestones", problems)
    programmes = await _programmes_by_code(session, rows)
    workstreams = await _workstreams(
        session, {p.id for p in programmes.values() if p.id is not None}
    )
    stored = await milestones.get_many(
        session=session, ids=[v["id"] for _, v, _ in rows if v.get("id") is not None]
    )
    seen: dict[int, int] = {}
    outcomes: list[ImportedRow] = []
    for number, values, ok in rows:
        programme = _row_programme(number, values, programmes, problems)
        if programme is None:
            continue
        assert programme.id is not None
        milestone_id = values.get("id")
        existing = None
        if milestone_id is not None:
            if milestone_id in seen:
                problems.add(
                    number, "id", f"milestone {milestone_id} is also in row {seen[milestone_id]}"
                )
                continue
            seen[milestone_id] = number
            existing = stored.get(milestone_id)
            if existing is None:
                problems.add(number, "id", f"no milestone with id {milestone_id}")
                continue
            if existing.programme_id != programme.id:
                problems.add(
                    number,
                    "programme_code",
                    f"milestone {milestone_id} belongs to another programme, not {programme.code}",
                )
                continue
        if not ok:
            continue
        fields = _fields(values, MILESTONE_FIELDS)
        if "workstream" in values:
            name = values["workstream"]
            if name is None:
                fields["workstream_id"] = None
            elif (programme.id, name.lower()) in workstreams:
                fields["workstream_id"] = workstreams[(programme.id, name.lower())]
            else:
                problems.add(number, "workstream", f"{programme.code} has no workstream {name!r}")
                continue
        outcome = await _write_row(
            session,
            number,
            problems,
            MILESTONE_RENAME,
            values,
            fields,
            existing,
            create=partial(_create_milestone, session, actor, programme.id, fields, today),
            update=partial(_update_milestone, session, actor, today=today),
        )
        if outcome is not None:
            outcomes.append(outcome)
    problems.raise_if_any("milestones")
    return _result(session, fmt, outcomes)
