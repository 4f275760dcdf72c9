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

from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from functools import partial
from typing import Any, Protocol, TypeVar

import pydantic
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.db import is_dry_run
from services.common.errors import DomainError
from services.common.tabular import Sheet
from services.programmes.actions import service as actions
from services.programmes.actions.schemas import ActionCreate, ActionUpdate
from services.programmes.milestones import service as milestones
from services.programmes.milestones.schemas import (
    KeyActivityCreate,
    KeyActivityUpdate,
)
from services.programmes.plan import service as plan
from services.programmes.transfer.schemas import ImportedRow, ImportResult
from services.programmes.transfer.sheet import (
    ACTION_COLUMNS,
    KEEP_IF_BLANK,
    MILESTONE_COLUMNS,
    Exported,
    Problems,
    domain_problems,
    export_rows,
    pydantic_problems,
    read_rows,
    text_cell,
)

T = TypeVar("T")


class Versioned(Protocol):
    """A stored row an import updates (an action, a milestone): its id and its version."""

    @property
    def id(self) -> int | None: ...

    @property
    def version(self) -> int: ...


Row = TypeVar("Row", bound=Versioned)


def _same(stored: Any, imported: Any) -> bool:
    if isinstance(stored, str) or isinstance(imported, str):
        return text_cell(stored) == text_cell(imported)
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
        pydantic_problems(number, exc, problems, rename)
    except DomainError as exc:
        domain_problems(number, exc, problems, rename)
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
    rows = read_rows(sheet, ACTION_COLUMNS, "actions", problems)
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
    rows = read_rows(sheet, MILESTONE_COLUMNS, "milestones", problems)
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
