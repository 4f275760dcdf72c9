"""Actions, in the 2015 action plan's shape: XBase -> XCreate / XUpdate / XRead.

Each action has a number within its programme ("1.3": action plan 1, action 3), a description,
a timescale as written ("Mar-15", "Spring 15", "TBC", "Ongoing") with the window parsed from it,
measures of success and the officer responsible.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from services.programmes.vocabulary import STATUS_HELP, Status

NUMBER = re.compile(r"^[0-9A-Za-z]+(?:[./-][0-9A-Za-z]+)*$")


def check_number(value: str) -> str:
    value = value.strip()
    if not NUMBER.match(value):
        raise ValueError(
            "an action number is digits or letters separated by dots, e.g. 1.3 or 2.10a"
        )
    return value


def number_key(number: str) -> str:
    """Sorts numbers as people read them: 1.2 before 1.10."""
    parts = re.findall(r"\d+|[A-Za-z]+", number)
    return ".".join(p.zfill(8) if p.isdigit() else p.lower() for p in parts)


# Action ------------------------------------------------------------------------------------


class ActionBase(SQLModel):
    number: str = Field(min_length=1, max_length=20, description='e.g. "1.3", unique per programme')
    description: str = Field(min_length=1)
    timescale: str | None = Field(
        default=None, max_length=80, description='as the plan writes it, e.g. "Mar-15", "TBC"'
    )
    measures: str | None = Field(default=None, description="how success will be measured")
    responsible: str | None = Field(default=None, max_length=200, description="officer or post")
    review_references: str | None = Field(
        default=None, description='the review recommendations it answers, e.g. "3a, 3c"'
    )

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        return check_number(value)


class ActionCreate(ActionBase):
    status: Status = Field(default=Status.not_started, description=STATUS_HELP)


class ActionUpdate(SQLModel):
    """Only the fields sent change; ``null`` clears an optional field."""

    number: str | None = Field(default=None, min_length=1, max_length=20)
    description: str | None = Field(default=None, min_length=1)
    timescale: str | None = Field(default=None, max_length=80)
    measures: str | None = None
    responsible: str | None = Field(default=None, max_length=200)
    review_references: str | None = None
    status: Status | None = Field(default=None, description=STATUS_HELP)

    @field_validator("number")
    @classmethod
    def _number(cls, value: str | None) -> str | None:
        return None if value is None else check_number(value)


class ActionRead(ActionBase):
    id: int
    programme_id: int
    timescale_start: date | None = Field(description="window parsed from timescale")
    timescale_end: date | None
    timescale_precision: str
    status: Status
    version: int
    overdue: bool = Field(description="not completed and the timescale ended before today")
