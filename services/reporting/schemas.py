from __future__ import annotations

import re
from datetime import datetime
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


class PackCreate(PackBase):
    programmes_cut: int | None = Field(
        default=None,
        ge=0,
        le=10**18,
        description="compose as of this programmes change-feed position (GET /cut); "
        "default: its position now. The pack records the cut, so composing it again with the "
        "same cut says the same",
    )


class PackSummary(PackBase):
    id: int
    generated_at: datetime
    generated_by: str
    content_sha256: str
    complete: bool
    signed_off_by: str | None = None
    signed_off_at: datetime | None = None


class PackRead(PackSummary):
    content: dict[str, Any]
