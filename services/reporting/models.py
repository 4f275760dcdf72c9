"""The reporting service's tables, in metadata of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.audit import audit_model
from services.common.db import UTCDateTime, new_registry, utc_column, utcnow
from services.reporting.schemas import PackBase


class Base(SQLModel, registry=new_registry()):
    pass


class Pack(Base, PackBase, table=True):
    """An assurance pack as composed: stored whole so it can be served exactly as issued."""

    id: int | None = Field(default=None, primary_key=True)
    generated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    generated_by: str = Field(max_length=200)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))
    # Over the canonical JSON of the content: equal hashes mean the same pack.
    content_sha256: str = Field(max_length=64, index=True)
    complete: bool = True
    # Signing off the pack locks the period's highlight reports in the programmes service.
    signed_off_by: str | None = Field(default=None, max_length=200)
    signed_off_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # draft -> reviewed -> signed_off; a signed pack never changes again.
    status: str = Field(default="draft", max_length=20, index=True)
    reviewed_by: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # A correction of a signed pack names the pack it supersedes.
    supersedes_id: int | None = Field(default=None, foreign_key="pack.id", unique=True)
    version: int = 1
    # The position of each service's change feed it was read at ({"programmes": {"position":
    # N, "at": ...}, "kpis": null} when kpis read live), and what else composing it took (asks,
    # top risks): enough to compose it again and prove it unchanged. Null before cuts existed.
    cuts: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    inputs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ScheduledRun(Base, table=True):
    """The lease on one scheduled generation: the replica whose insert lands runs it; the
    others find the row and leave it. A failed run may be claimed again."""

    __tablename__ = "scheduled_run"
    __table_args__ = (UniqueConstraint("period", "portfolio_code"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7)
    # "" for all plans: NULLs would never collide in the unique constraint.
    portfolio_code: str = Field(default="", max_length=40)
    claimed_by: str = Field(max_length=200)
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    status: str = Field(default="running", max_length=20)
    pack_id: int | None = Field(default=None, foreign_key="pack.id")
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


AuditEntry = audit_model(Base)
