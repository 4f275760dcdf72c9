"""The reporting service's tables, in metadata of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
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


AuditEntry = audit_model(Base)
