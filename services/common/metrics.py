"""Prometheus metrics for every service: requests and their latency by route template (so a
KPI push, a pack run or an import is its own series), the database pool in use, and the two
things an operator watches by count: KPI values pushed (by outcome) and packs composed."""

from __future__ import annotations

import hmac
import time
from collections import Counter as Tally
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import NotFound, Unauthorized
from services.common.logging import CLIENT_CLOSED_REQUEST, CLIENT_GONE
from services.common.settings import CommonSettings, Mode

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


class OutcomeTally:
    """What one write request kept, by outcome; counted when its request commits."""

    def __init__(self, outcomes: tuple[str, ...]) -> None:
        self.outcomes = outcomes
        self.kept: Tally[str] = Tally()

    def record(self, result: Any) -> Any:
        """Record one outcome (a string enum), or a batch result carrying a count per outcome
        as attributes; returns ``result``, so a route can ``return tally.record(...)``."""
        if isinstance(result, str):
            self.kept[str(result)] += 1
        else:
            for outcome in self.outcomes:
                self.kept[outcome] += getattr(result, outcome)
        return result


def counted_outcomes(name: str, what: str, outcomes: tuple[str, ...]) -> Any:
    """A route dependency counting what the request kept, ``cpmo_<name>_items_total{outcome}``,
    and a refused request (nothing written; a batch counts once) in
    ``cpmo_<name>_refusals_total{status}``. Declare it as the route's first parameter: it
    closes after the session dependency, so items count only once committed, and a refusal
    anywhere (auth, body, service, commit) is seen."""
    kept = Counter(
        f"cpmo_{name}_items_total", f"{what} and kept, by outcome, once committed", ["outcome"]
    )
    refused = Counter(
        f"cpmo_{name}_refusals_total",
        f"{what} and refused with nothing written, by HTTP status",
        ["status"],
    )

    async def counting() -> AsyncIterator[OutcomeTally]:
        tally = OutcomeTally(outcomes)
        try:
            yield tally
        except Exception as exc:
            refused.labels(str(_status_of(exc))).inc()
            raise
        for outcome, n in tally.kept.items():
            kept.labels(outcome).inc(n)

    return Annotated[OutcomeTally, Depends(counting, scope="function")]


def _status_of(exc: Exception) -> int:
    # DomainError carries ``status``, Starlette's HTTPException ``status_code``.
    if isinstance(exc, RequestValidationError):
        return 422
    for name in ("status", "status_code"):
        code = getattr(exc, name, None)
        if isinstance(code, int):
            return code
    return 500


class Runs:
    """Counts and times runs of a long job by trigger and result: ``cpmo_<name>_runs_total``
    and ``cpmo_<name>_run_duration_seconds``; an exception out of a run is a failed one."""

    def __init__(self, name: str, what: str) -> None:
        self.count = Counter(
            f"cpmo_{name}_runs_total", f"{what}, by trigger and result", ["trigger", "result"]
        )
        self.seconds = Histogram(
            f"cpmo_{name}_run_duration_seconds",
            f"Time taken by {what}, by trigger and result",
            ["trigger", "result"],
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )

    def requested(self) -> Any:
        """A route dependency running the whole request as one run (trigger "request").
        Declare it first in the route, so a run counts as done only once committed."""

        async def requested() -> AsyncIterator[None]:
            with self.run("request"):
                yield

        return Annotated[None, Depends(requested, scope="function")]

    @contextmanager
    def run(self, trigger: str) -> Iterator[None]:
        started = time.perf_counter()
        result = "failed"
        try:
            yield
            result = "done"
        finally:
            self.count.labels(trigger, result).inc()
            self.seconds.labels(trigger, result).observe(time.perf_counter() - started)


router = APIRouter(tags=["health"])


def _check_scraper(request: Request) -> None:
    common: CommonSettings = request.app.state.common_settings
    if common.metrics_token is None:
        if common.mode == Mode.production:
            # Counts by route and outcome tell an attacker what the service does: off unless a
            # token says who may read them.
            raise NotFound("/metrics is off in production until CPMO_METRICS_TOKEN is set")
        return
    expected = f"Bearer {common.metrics_token.get_secret_value()}".encode()
    given = request.headers.get("authorization", "").encode()
    if not hmac.compare_digest(given, expected):
        raise Unauthorized("the metrics token is required", field="Authorization")


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    _check_scraper(request)
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
            if scope.get(CLIENT_GONE):
                status = CLIENT_CLOSED_REQUEST
            route = scope.get("route")
            # The template, never the raw path: ids and codes would make series without end.
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            REQUESTS.labels(self.service, method, template, str(status)).inc()
            LATENCY.labels(self.service, method, template).observe(time.perf_counter() - started)
