"""What every domain of the programmes service shares: its declarative base (metadata of its
own), its audit table, and its audit recorder."""

from __future__ import annotations

from sqlmodel import SQLModel

from services.common import audit
from services.common.db import new_registry


class Base(SQLModel, registry=new_registry()):
    pass


AuditEntry = audit.audit_model(Base)


# The one way a domain records a change: ``await record(session, actor, action, row, before)``.
record = audit.Recorder(AuditEntry)
