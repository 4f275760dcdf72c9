"""Key activities / milestones: XBase -> XCreate / XUpdate / XRead."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel

# Key activity ------------------------------------------------------------------------------


class KeyActivityBase(SQLModel):
    title: str = Field(min_length=1)
    start_text: str | None = Field(default=None, max_length=80, description="as the plan writes it")
    end_text: str | None = Field(default=None, max_length=80, description="as the plan writes it")


class KeyActivityCreate(KeyActivityBase):
    pass


class KeyActivityRead(KeyActivityBase):
    id: int
    programme_id: int
    position: int
    start_date: date | None
    end_date: date | None
    start_precision: str
    end_precision: str
    version: int
