"""Count the SQL statements a service's app runs while a block is open (N+1 checks)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event


@contextmanager
def statements(api: httpx.AsyncClient, table: str | None = None) -> Iterator[list[str]]:
    """The SELECTs the app behind ``api`` runs in the block, those reading ``table`` if given.

    ``FROM table`` is matched as a whole word, so ``risk`` does not count ``risk_score``."""
    engine = api._transport.app.state.engine.sync_engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        if table is None or _reads(statement, table):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _reads(statement: str, table: str) -> bool:
    words = statement.replace("\n", " ").split()
    return any(
        a.upper() in ("FROM", "JOIN") and b.strip('",') == table
        for a, b in itertools.pairwise(words)
    )
