"""Dependencies the risks service's routers share, declared once."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from services.common import asof
from services.risks.asof import ReadSessionDep


def upstream(request: Request) -> dict[str, Any]:
    """The shared outbound client and where the programmes service is (read per request from
    ``app.state.settings``, so it can be reconfigured without rebuilding the app)."""
    return {
        "http": request.app.state.http,
        "programmes_url": request.app.state.settings.programmes_url,
    }


Upstream = Annotated[dict[str, Any], Depends(upstream)]


def kpis_upstream(request: Request) -> dict[str, Any]:
    """The shared outbound client and where the kpis service is (key risk indicators)."""
    return {
        "http": request.app.state.http,
        "kpis_url": request.app.state.settings.kpis_url,
    }


KpisUpstream = Annotated[dict[str, Any], Depends(kpis_upstream)]


def as_of(
    session: ReadSessionDep,
    as_of: Annotated[
        date | None,
        Query(description="the day to judge by; default: today (council time), or the cut's day"),
    ] = None,
) -> date:
    # The route's own read session (FastAPI resolves the dependency once per request).
    return as_of or asof.today(session)


AsOf = Annotated[date, Depends(as_of)]
