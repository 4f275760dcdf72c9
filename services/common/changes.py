"""``GET /changes?after=<cursor>``: the audit table, in order, as a feed other services follow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import SQLModel

from services.common import audit
from services.common.auth import Reader
from services.common.db import SessionDep


def changes_router(audit_table: type[SQLModel]) -> APIRouter:
    router = APIRouter(tags=["changes"])

    @router.get("/changes", response_model=audit.ChangePage)
    async def list_changes(
        session: SessionDep,
        _: Reader,
        after: Annotated[int, Query(ge=0, description="the last cursor you processed")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> audit.ChangePage:
        return await audit.changes_after(session, audit_table, after=after, limit=limit)

    return router
