from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import field_validator
from sqlmodel import Field, SQLModel

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class PackBase(SQLModel):
    period: str = Field(max_length=7, index=True, description="reporting month, YYYY-MM")
    portfolio_code: str | None = Field(
        default=None,
        max_length=40,
        description="the plan reported on, e.g. IRP-2024; all if omitted",
    )

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if not PERIOD.match(value):
            raise ValueError("a reporting period is a month written YYYY-MM, e.g. 2024-07")
        return value


class PackStatus(StrEnum):
    draft = "draft"
    reviewed = "reviewed"
    signed_off = "signed_off"


class AskKind(StrEnum):
    note = "note"
    endorse = "endorse"
    decide = "decide"


class Ask(SQLModel):
    """Something the board is asked to note, endorse or decide, entered for the pack."""

    kind: AskKind
    text: str = Field(min_length=1, max_length=1000)

    @field_validator("text")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            raise ValueError("an ask is plain text: no control characters")
        return value.strip()


class PackCreate(PackBase):
    asks: list[Ask] = Field(default_factory=list, max_length=50)
    supersedes_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="the signed-off pack this one corrects",
    )


class PackSummary(PackBase):
    id: int
    generated_at: datetime
    generated_by: str
    content_sha256: str
    complete: bool
    signed_off_by: str | None = None
    signed_off_at: datetime | None = None
    status: PackStatus = PackStatus.draft
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    supersedes_id: int | None = None


class PackRead(PackSummary):
    content: dict[str, Any]


class Verification(SQLModel):
    """A pack composed again from its stored cuts, compared with itself as stored."""

    pack_id: int
    stored_sha256: str = Field(description="the hash stored when the pack was composed")
    regenerated_sha256: str = Field(description="the hash of the pack composed again now")
    stored_content_intact: bool = Field(
        description="the stored content still hashes to the stored hash"
    )
    match: bool = Field(
        description="both hashes agree and the stored content is intact: it says what it said"
    )
    differences: list[str] = Field(
        default_factory=list, description="on a mismatch, the first paths that differ"
    )
    cuts: dict[str, Any] = Field(description="the cut each service was read at (null: live)")
    read_live: list[str] = Field(
        default_factory=list, description="services without cuts, read as they are now"
    )
