"""The pieces every service shares, on a real PostgreSQL database: versions from If-Match, the
council's clock, the audit recorder, refusing to empty a required field, grouping rows by
parent, and dry-run as a transaction option."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit, clock
from services.common.auth import Principal, Role
from services.common.db import (
    DryRunSessionDep,
    Transaction,
    is_dry_run,
    new_registry,
)
from services.common.errors import FieldError, install_error_handlers
from services.common.etag import ExpectedVersion, OptionalVersion
from services.common.grouping import group_by
from services.common.updates import refuse_empty
from services.stack import ROOT
from tests.common.helpers import fresh_tables


class Base(SQLModel, registry=new_registry()):
    pass


class Note(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    text: str


AuditEntry = audit.audit_model(Base)
record = audit.Recorder(AuditEntry)
ACTOR = Principal(subject="clerk", roles=frozenset({Role.editor}))


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    async with fresh_tables("_pieces", Base.metadata) as engine:
        yield engine


async def notes(engine: AsyncEngine) -> list[str]:
    async with AsyncSession(engine) as session:
        return list((await session.exec(select(Note.text).order_by(col(Note.id)))).all())


def app_on(engine: AsyncEngine) -> FastAPI:
    app = FastAPI()
    app.state.engine = engine
    install_error_handlers(app)

    @app.post("/notes")
    async def add(session: DryRunSessionDep, text: str) -> dict[str, Any]:
        note = Note(text=text)
        session.add(note)
        await session.flush()
        await record(session, ACTOR, "create", note, None)
        return {"id": note.id, "dry_run": is_dry_run(session)}

    @app.put("/versions")
    async def versions(expected: ExpectedVersion) -> int:
        return expected

    @app.delete("/versions")
    async def optional(expected: OptionalVersion) -> int | None:
        return expected

    @app.get("/today")
    async def today() -> str:
        return clock.today().isoformat()

    return app


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_on(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_dry_run_runs_the_writes_and_keeps_none(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    tried = await client.post("/notes", params={"text": "tried", "dry_run": "true"})
    assert tried.status_code == 200 and tried.json()["dry_run"] is True
    assert tried.json()["id"] is not None  # the insert really ran
    assert await notes(engine) == []
    kept = await client.post("/notes", params={"text": "kept"})
    assert kept.status_code == 200 and kept.json()["dry_run"] is False
    assert await notes(engine) == ["kept"]


async def test_a_dry_run_transaction_outside_a_request(engine: AsyncEngine) -> None:
    async with Transaction(engine, dry_run=True) as session:
        session.add(Note(text="checked"))
        await session.flush()
    async with Transaction(engine) as session:
        session.add(Note(text="written"))
    assert await notes(engine) == ["written"]


async def test_the_recorder_audits_in_the_writers_transaction(engine: AsyncEngine) -> None:
    async with Transaction(engine) as session:
        note = Note(text="first")
        session.add(note)
        await session.flush()
        await record(session, ACTOR, "create", note, None)
        before = audit.snapshot(note)
        note.text = "second"
        await session.flush()
        await record(session, ACTOR, "update", note, before)
    with pytest.raises(RuntimeError):
        async with Transaction(engine) as session:
            note = Note(text="rolled back")
            session.add(note)
            await session.flush()
            await record(session, ACTOR, "create", note, None)
            raise RuntimeError("the write fails after auditing")
    async with AsyncSession(engine) as session:
        page = await audit.changes_after(session, AuditEntry, after=0, limit=10)
    assert [(c.action, c.actor, c.entity) for c in page.changes] == [
        ("create", "clerk", "note"),
        ("update", "clerk", "note"),
    ]
    assert page.changes[1].before == {"id": 1, "text": "first"}
    assert page.changes[1].after == {"id": 1, "text": "second"}


async def test_if_match_is_the_expected_version(client: httpx.AsyncClient) -> None:
    assert (await client.put("/versions", headers={"If-Match": 'W/"3"'})).json() == 3
    missing = await client.put("/versions")
    assert missing.status_code == 428 and missing.json()["errors"][0]["field"] == "If-Match"
    wrong = await client.put("/versions", headers={"If-Match": "yesterday"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "If-Match"
    assert (await client.delete("/versions")).json() is None
    assert (await client.delete("/versions", headers={"If-Match": '"7"'})).json() == 7


async def test_the_council_clock_can_be_fixed_for_a_test(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = (await client.get("/today")).json()
    assert real == clock.today().isoformat()
    monkeypatch.setattr(clock, "today", lambda: date(2025, 1, 15))
    assert (await client.get("/today")).json() == "2025-01-15"
    assert clock.this_month() == "2025-01"


def test_the_council_clock_is_uk_time() -> None:
    # Half past eleven at night UTC in June is already tomorrow in the UK (BST); in January the
    # UK is on UTC.
    assert clock.council_date(datetime(2025, 6, 30, 23, 30, tzinfo=UTC)) == date(2025, 7, 1)
    assert clock.council_date(datetime(2025, 1, 31, 23, 30, tzinfo=UTC)) == date(2025, 1, 31)


def test_a_required_field_cannot_be_emptied() -> None:
    refuse_empty({"title": "kept", "owner": None}, ["title"])
    with pytest.raises(FieldError) as raised:
        refuse_empty({"title": None}, ["title", "owner"], why="every risk has one")
    assert raised.value.errors[0]["field"] == "title"
    assert str(raised.value) == "title cannot be empty: every risk has one"


def test_group_by_keeps_the_rows_order() -> None:
    rows = [("a", 1), ("b", 2), ("a", 3)]
    assert group_by(rows, key=lambda r: r[0]) == {"a": [("a", 1), ("a", 3)], "b": [("b", 2)]}
    assert group_by(rows, lambda r: r[0], lambda r: r[1]) == {"a": [1, 3], "b": [2]}
    assert group_by([], key=lambda r: r) == {}
    assert group_by(rows, key=lambda r: r[0], keys=["a", "z"]) == {
        "a": [("a", 1), ("a", 3)],
        "z": [],
        "b": [("b", 2)],
    }


# Each shared piece's tell-tale, and the one module that may hold it.
PIECES = {
    "a required field refused as emptied ('cannot be empty')": "services/common/updates.py",
    "If-Match read into a version (ExpectedVersion)": "services/common/etag.py",
    "the council's time zone (ZoneInfo)": "services/common/clock.py",
}


def pieces_in(source: str) -> set[str]:
    """Which of PIECES ``source`` holds: a string with the refusal's words, a declaration of
    ``ExpectedVersion``, a call of ``ZoneInfo``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and "cannot be empty" in str(node.value):
            found.add("a required field refused as emptied ('cannot be empty')")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and any(
            isinstance(t, ast.Name) and t.id == "ExpectedVersion"
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        ):
            found.add("If-Match read into a version (ExpectedVersion)")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "ZoneInfo"
        ):
            found.add("the council's time zone (ZoneInfo)")
    return found


def test_each_shared_piece_has_one_home() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} has {piece}"
        for path in sorted((ROOT / "services").rglob("*.py"))
        for piece in pieces_in(path.read_text())
        if str(path.relative_to(ROOT)) != PIECES[piece]
    ]
    assert wrong == []


def test_the_home_check_sees_each_piece() -> None:
    copied = (
        "ExpectedVersion = Annotated[int, Depends(expected_version)]\n"
        "LONDON = ZoneInfo('Europe/London')\n"
        "def update(changes):\n"
        "    raise FieldError(f'{name} cannot be empty', field=name)\n"
    )
    assert pieces_in(copied) == set(PIECES)
    assert pieces_in("refuse_empty(changes, ('name',))\nday = clock.today()\n") == set()
