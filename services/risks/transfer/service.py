"""The RAID log as councils keep it in spreadsheets: one sheet per register, a column per field.

The columns are the register's create fields (one definition drives export and import), so an
export read back in is a no-op. Import is all-or-nothing: every bad row is reported by its row
number, column and message, and nothing is written unless every row is good. A row whose code
exists updates that item (audited); one identical to what is stored changes nothing.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import httpx
import pydantic
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.errors import DomainError, FieldError
from services.common.tabular import Sheet
from services.risks import service as risks
from services.risks.items import service as items
from services.risks.items.schemas import (
    AssumptionCreate,
    AssumptionUpdate,
    DependencyCreate,
    DependencyUpdate,
    IssueCreate,
    IssueUpdate,
)
from services.risks.models import Assumption, Dependency, Issue, Risk
from services.risks.schemas import RiskCreate, RiskUpdate
from services.risks.vocabulary import RaidKind

SHAPES: dict[RaidKind, tuple[type[SQLModel], type[SQLModel], Any]] = {
    RaidKind.risk: (RiskCreate, RiskUpdate, Risk),
    RaidKind.assumption: (AssumptionCreate, AssumptionUpdate, Assumption),
    RaidKind.issue: (IssueCreate, IssueUpdate, Issue),
    RaidKind.dependency: (DependencyCreate, DependencyUpdate, Dependency),
}
SHEETS = {
    RaidKind.risk: "risks",
    RaidKind.assumption: "assumptions",
    RaidKind.issue: "issues",
    RaidKind.dependency: "dependencies",
}


def columns(kind: RaidKind) -> list[str]:
    return list(SHAPES[kind][0].model_fields)


def notes(kind: RaidKind) -> list[tuple[str, str, str]]:
    fields = SHAPES[kind][0].model_fields
    return [
        (name, "key" if name == "code" else "editable", fields[name].description or "")
        for name in fields
    ]


def _cell(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


async def export_rows(*, session: AsyncSession, kind: RaidKind) -> list[list[Any]]:
    model = SHAPES[kind][2]
    rows = (await session.exec(select(model).order_by(model.code))).all()
    names = columns(kind)
    return [[_cell(getattr(row, name)) for name in names] for row in rows]


def _parse(kind: RaidKind, sheet: Sheet, errors: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    create = SHAPES[kind][0]
    known = set(columns(kind))
    unknown = [h for h in sheet.header if h and h not in known]
    for name in unknown:
        errors.append(
            {"row": 1, "column": name, "message": f"no such column; expected {sorted(known)}"}
        )
    if "code" not in sheet.header:
        errors.append({"row": 1, "column": "code", "message": "the code column is required"})
    parsed: list[tuple[int, Any]] = []
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        values = {
            header: (cell.strip() if isinstance(cell, str) else cell)
            for header, cell in zip(sheet.header, cells, strict=False)
            if header in known
            and cell is not None
            and not (isinstance(cell, str) and not cell.strip())
        }
        try:
            data = create.model_validate(values)
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                column = ".".join(str(p) for p in error["loc"]) or "row"
                errors.append({"row": number, "column": column, "message": error["msg"]})
            continue
        code = values.get("code")
        if code in seen:
            errors.append(
                {"row": number, "column": "code", "message": f"{code} is also on row {seen[code]}"}
            )
            continue
        seen[str(code)] = number
        parsed.append((number, data))
    return parsed


async def import_sheet(
    *,
    session: AsyncSession,
    actor: Principal,
    kind: RaidKind,
    sheet: Sheet,
    http: httpx.AsyncClient,
    programmes_url: str,
) -> dict[str, int]:
    errors: list[dict[str, Any]] = []
    parsed = _parse(kind, sheet, errors)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    # Rows that pass the schema are applied even when others failed, so rule errors (a score
    # above the inherent one, an unknown programme) are reported too; any error rolls it all back.
    if parsed:
        _, update_model, model = SHAPES[kind]
        upstream: dict[str, Any] = {"http": http, "programmes_url": programmes_url}
        for number, data in parsed:
            try:
                existing = (
                    await session.exec(select(model).where(model.code == data.code))
                ).first()
                if existing is None:
                    if kind is RaidKind.risk:
                        await risks.create(session=session, actor=actor, data=data, **upstream)
                    else:
                        await items.create(
                            session=session, actor=actor, kind=kind, data=data, **upstream
                        )
                    counts["created"] += 1
                    continue
                sent = data.model_dump(exclude_unset=True, exclude={"code"})
                changes = {k: v for k, v in sent.items() if _cell(getattr(existing, k)) != _cell(v)}
                if not changes:
                    counts["unchanged"] += 1
                    continue
                update = update_model.model_validate(changes)
                if kind is RaidKind.risk:
                    await risks.update(
                        session=session,
                        actor=actor,
                        risk_id=existing.id,
                        data=RiskUpdate.model_validate({**changes, "reason": "spreadsheet import"})
                        if set(changes) & set(risks.RATINGS + risks.TARGET)
                        else update,  # type: ignore[arg-type]
                        expected_version=existing.version,
                        **upstream,
                    )
                else:
                    await items.update(
                        session=session,
                        actor=actor,
                        kind=kind,
                        item_id=existing.id,
                        data=update,
                        expected_version=existing.version,
                        **upstream,
                    )
                counts["updated"] += 1
            except DomainError as error:
                if error.status >= 500:
                    raise
                column = error.errors[0]["field"] if error.errors else "row"
                errors.append({"row": number, "column": column, "message": error.detail})
    if errors:
        raise FieldError(
            f"{len(errors)} problem(s) in the {SHEETS[kind]} sheet; nothing was imported",
            errors=[{"field": f"row {e['row']}.{e['column']}", **e} for e in errors],
        )
    return counts
