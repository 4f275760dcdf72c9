"""What an import reports: each row's outcome, and the counts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ImportedRow(BaseModel):
    row: int
    id: int | None
    outcome: Literal["created", "updated", "unchanged"]


class ImportResult(BaseModel):
    format: str
    dry_run: bool = False
    created: int
    updated: int
    unchanged: int
    rows: list[ImportedRow]
