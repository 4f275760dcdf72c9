"""Liveness (/healthz: the process answers) and readiness (/readyz: its database answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.common.db import ping
from services.common.errors import UpstreamUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, str]:
    return {"status": "ok", "service": request.app.title}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    try:
        await ping(request.app.state.engine)
    except Exception as exc:
        raise UpstreamUnavailable(
            f"database unreachable: {type(exc).__name__}", field="database"
        ) from exc
    return {"status": "ready", "service": request.app.title}
