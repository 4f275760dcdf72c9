"""Prometheus metrics for every service: requests and their latency by route template (so a
KPI push, a pack run or an import is its own series), and the database pool in use."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# One set for the process: several services' apps may share it (tests), told apart by label.
REQUESTS = Counter(
    "cpmo_http_requests_total",
    "HTTP requests answered, by service, method, route template and status",
    ["service", "method", "route", "status"],
)
LATENCY = Histogram(
    "cpmo_http_request_duration_seconds",
    "Time to answer an HTTP request, by service, method and route template",
    ["service", "method", "route"],
)
POOL_IN_USE = Gauge(
    "cpmo_db_pool_connections_in_use", "Database connections checked out", ["service"]
)
POOL_SIZE = Gauge("cpmo_db_pool_size", "Database connections held by the pool", ["service"])

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    service = request.app.state.settings.service_name
    pool = request.app.state.engine.pool
    # SQLite's NullPool/StaticPool have no counts; report what the pool knows.
    if hasattr(pool, "checkedout"):
        POOL_IN_USE.labels(service).set(pool.checkedout())
        POOL_SIZE.labels(service).set(pool.size())
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route = scope.get("route")
            # The template, never the raw path: ids and codes would make series without end.
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            REQUESTS.labels(self.service, method, template, str(status)).inc()
            LATENCY.labels(self.service, method, template).observe(time.perf_counter() - started)
