"""Scoring matrices as data: labels, score bands with names and colours, the escalation line.

A version is never edited once an assessment used it; a change makes the next version.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

SIZES = (3, 5)  # 3x3 up to the 5x5 the ratings' scale allows


class Band(SQLModel):
    name: str = Field(min_length=1, max_length=40, description="e.g. High")
    min_score: int = Field(ge=1, description="lowest score in the band, inclusive")
    max_score: int = Field(ge=1, description="highest score in the band, inclusive")
    colour: str = Field(regex=r"^#[0-9a-fA-F]{6}$", description="#rrggbb")


class MatrixBase(SQLModel):
    code: str = Field(
        min_length=1, max_length=40, description="the matrix's name, e.g. council-5x5"
    )
    name: str = Field(min_length=1, max_length=200)
    size: int = Field(ge=SIZES[0], le=SIZES[1], description="likelihood and impact levels")
    likelihood_labels: list[str] = Field(description="lowest first, one per level")
    impact_labels: list[str] = Field(description="lowest first, one per level")
    bands: list[Band] = Field(description="cover 1..size² without gap or overlap")
    escalation_score: int = Field(
        ge=1, description="a current score at or above this goes to the board"
    )


class MatrixCreate(MatrixBase):
    pass


class MatrixRead(MatrixBase):
    id: int
    version: int
    created_by: str
    created_at: datetime
    in_use: bool = Field(description="an assessment was scored on it: it can no longer change")
