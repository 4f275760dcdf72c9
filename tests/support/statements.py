"""Count the SQL statements a service's app runs while a block is open (N+1 checks)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements(
    source: httpx.AsyncClient | AsyncEngine, table: str | None = None
) -> Iterator[list[str]]:
    """The SELECTs run in the block by the app behind a test client (or by an engine), those
    reading ``table`` if given.

    ``FROM table`` is matched as a whole word, so ``risk`` does not count ``risk_score``."""
    if isinstance(source, AsyncEngine):
        engine = source.sync_engine
    else:
        engine = source._transport.app.state.engine.sync_engine  # type: ignore[attr-defined]
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
