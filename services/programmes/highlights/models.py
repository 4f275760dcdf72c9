"""Monthly highlight reports and the delivery confidence they declare."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from services.common.db import utc_column, utcnow
from services.programmes.base import Base
from services.programmes.highlights.schemas import HighlightReportBase


class HighlightReport(Base, HighlightReportBase, table=True):
    __tablename__ = "highlight_report"
    __table_args__ = (UniqueConstraint("programme_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    author: str = Field(max_length=200)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    version: int = 1
