"""Builds a service's FastAPI app the same way for every service."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.fastapi import GraphQLRouter

from services.common import health, tracing
from services.common.db import create_engine
from services.common.errors import install_error_handlers
from services.common.graphql import get_context
from services.common.http import client
from services.common.inputs import check_inputs
from services.common.logging import RequestIdMiddleware, configure_logging
from services.common.metrics import MetricsMiddleware
from services.common.metrics import router as metrics_router
from services.common.posture import (
    PROBLEM_RESPONSES,
    BodyLimitMiddleware,
    PostureSettings,
    SecurityHeadersMiddleware,
    TimeBudgetMiddleware,
    document_preconditions,
    install_safety_net,
)
from services.common.settings import CommonSettings, ServiceSettings

_FROZEN = False


def _freeze_startup_objects() -> None:
    """Move what start-up built (modules, schemas, routes, the engine) out of the garbage
    collector's sight: a full collection no longer walks these hundreds of thousands of
    objects whenever a request allocates many (a 1,000-item KPI push: a quarter of its CPU).
    Once per process, so a test run starting many apps freezes only the first."""
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.collect()
        gc.freeze()


def create_app(
    *,
    title: str,
    description: str,
    settings: ServiceSettings,
    router: APIRouter,
    schema: Any,
    engine_factory: Callable[[str], AsyncEngine] | None = None,
) -> FastAPI:
    common = CommonSettings()
    configure_logging(settings.service_name, common.log_level)
    url = settings.resolved_database_url()
    traced = tracing.enabled(common)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            from services.common import migrate  # Alembic is large: only when it runs here

            # Alembic's env.py runs its own event loop; give it a thread of its own.
            await asyncio.to_thread(migrate.upgrade, settings.service_name, url)
        if engine_factory is None:
            app.state.engine = create_engine(
                url,
                pool_size=settings.database_pool_size,
                pool_pre_ping=settings.database_pre_ping,
            )
        else:
            app.state.engine = engine_factory(url)
        if traced:
            tracing.instrument_engine(app.state.engine)
        app.state.http = client(timeout=common.http_timeout_seconds)
        _freeze_startup_objects()
        try:
            yield
        finally:
            if traced:
                await asyncio.to_thread(tracing.flush)
            await app.state.http.aclose()
            await app.state.engine.dispose()

    posture = PostureSettings()
    docs = posture.docs_on(common.mode)
    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        telemetry=tracing.fastapi_telemetry(settings.service_name, traced),
        dependencies=[Depends(check_inputs)],
        # In production no document describes the API to strangers unless a setting says so.
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    openapi = app.openapi

    def openapi_with_preconditions() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_preconditions(openapi())
        return app.openapi_schema

    app.openapi = openapi_with_preconditions  # type: ignore[method-assign]
    app.state.common_settings = common
    app.add_middleware(TimeBudgetMiddleware, seconds=posture.request_budget_seconds)
    app.add_middleware(BodyLimitMiddleware, settings=posture)
    app.add_middleware(SecurityHeadersMiddleware, strict_csp=not docs)
    app.add_middleware(MetricsMiddleware, service=settings.service_name)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    install_safety_net(app, settings.service_name)
    app.include_router(health.router, responses=PROBLEM_RESPONSES)
    app.include_router(metrics_router)
    app.include_router(router, responses=PROBLEM_RESPONSES)
    app.include_router(
        GraphQLRouter(schema, context_getter=get_context, graphql_ide="graphiql" if docs else None),
        prefix="/graphql",
        include_in_schema=False,
    )
    return app
