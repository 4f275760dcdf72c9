"""The monthly draft on a schedule. Every replica ticks; at each fire time of the cron
expression the draft for the month before is due, and a lease row decides which replica
composes it: the insert that lands wins, the others see the row and leave it. A run that
fails (a service unreachable) records why, writes no pack, and may be claimed again."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from croniter import croniter
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import clock
from services.common.auth import Principal, Role, issue_token
from services.common.db import utcnow
from services.common.errors import DomainError
from services.common.settings import CommonSettings
from services.reporting import service
from services.reporting.metrics import PACK_RUNS
from services.reporting.models import ScheduledRun
from services.reporting.periods import Period
from services.reporting.schemas import PackCreate
from services.reporting.settings import ReportingSettings

log = logging.getLogger("cpmo.reporting.schedule")
SUBJECT = "reporting-scheduler"


def due_period(cron: str, now: datetime) -> Period:
    """The month whose draft the latest fire time at or before ``now`` is for: the month
    before the fire time (council time)."""
    fired = croniter(cron, now.astimezone(clock.COUNCIL_TIMEZONE)).get_prev(datetime)
    return Period(fired.year, fired.month).previous()


async def claim(
    engine: AsyncEngine, *, period: str, portfolio_code: str | None, replica: str
) -> int | None:
    """The lease's id if this replica now holds it, else None (another has it, or the draft
    is done)."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        run = ScheduledRun(period=period, portfolio_code=portfolio_code or "", claimed_by=replica)
        session.add(run)
        try:
            await session.commit()
            return run.id
        except IntegrityError:
            await session.rollback()
        # A failed run is claimed again by whoever flips it first.
        flipped = await session.exec(
            update(ScheduledRun)
            .where(
                col(ScheduledRun.period) == period,
                col(ScheduledRun.portfolio_code) == (portfolio_code or ""),
                col(ScheduledRun.status) == "failed",
            )
            .values(status="running", claimed_by=replica, claimed_at=utcnow(), error=None)
            .returning(col(ScheduledRun.id))
        )
        run_id = flipped.scalar_one_or_none()
        await session.commit()
        return run_id


async def generate(
    *,
    engine: AsyncEngine,
    http: httpx.AsyncClient,
    common: CommonSettings,
    settings: ReportingSettings,
    period: str,
    replica: str,
    progress: Callable[[str], None] = lambda _: None,
) -> int | None:
    """Compose the draft if this replica wins the lease; the new pack's id, or None."""
    run_id = await claim(
        engine, period=period, portfolio_code=settings.schedule_portfolio_code, replica=replica
    )
    if run_id is None:
        progress(f"{period}: another replica has it, or it is done")
        return None
    actor = Principal(
        subject=SUBJECT,
        roles=frozenset({Role.editor}),
        token=issue_token(common, subject=SUBJECT, roles=[Role.editor.value]),
    )
    progress(f"{period}: composing through {settings.gateway_url}")
    async with AsyncSession(engine, expire_on_commit=False) as session:
        try:
            with PACK_RUNS.run("schedule"):
                pack = await service.create(
                    session=session,
                    actor=actor,
                    data=PackCreate(period=period, portfolio_code=settings.schedule_portfolio_code),
                    http=http,
                    settings=settings,
                    top_risks=settings.top_risks,
                )
                await session.flush()
                await _finish(session, run_id, status="done", pack_id=pack.id)
                await session.commit()
        except DomainError as exc:
            await session.rollback()
            await _finish(session, run_id, status="failed", error=exc.detail)
            await session.commit()
            progress(f"{period}: failed, no pack written: {exc.detail}")
            raise
    progress(f"{period}: draft pack {pack.id} composed")
    return pack.id


async def _finish(session: AsyncSession, run_id: int, **values: Any) -> None:
    await session.exec(update(ScheduledRun).where(col(ScheduledRun.id) == run_id).values(**values))


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """Tick in the background while the app serves, when a schedule is set."""
    settings: ReportingSettings = app.state.settings
    if settings.schedule is None:
        yield
        return
    replica = f"{socket.gethostname()}:{id(app)}"

    async def tick() -> None:
        cron = settings.schedule
        assert cron is not None
        while True:
            period = due_period(cron, utcnow())
            try:
                await generate(
                    engine=app.state.engine,
                    http=app.state.http,
                    common=app.state.common_settings,
                    settings=settings,
                    period=period.code,
                    replica=replica,
                    progress=log.info,
                )
            except DomainError as exc:
                log.warning("scheduled pack for %s failed: %s", period.code, exc.detail)
            await asyncio.sleep(settings.schedule_tick_seconds)

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()


def with_schedule(
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's own lifespan (engine, HTTP client), then the schedule inside it."""

    @asynccontextmanager
    async def both(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app), running(app):
            yield

    return both
