"""The monthly draft on a schedule: which month is due, one replica wins the lease, a run that
cannot reach the gateway fails clearly and leaves no pack."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.db import create_engine
from services.common.errors import UpstreamUnavailable
from services.common.settings import async_url
from services.reporting import schedule
from services.reporting.models import Pack, ScheduledRun
from services.reporting.settings import ReportingSettings
from tests.conftest import db_url


def test_the_month_before_the_latest_fire_time_is_due() -> None:
    cron = "0 6 3 * *"
    assert schedule.due_period(cron, datetime(2024, 8, 10, tzinfo=UTC)).code == "2024-07"
    assert schedule.due_period(cron, datetime(2024, 8, 2, tzinfo=UTC)).code == "2024-06"
    # 05:30 UTC on the 3rd of August is 06:30 in London (BST): fired already.
    assert schedule.due_period(cron, datetime(2024, 8, 3, 5, 30, tzinfo=UTC)).code == "2024-07"
    assert schedule.due_period(cron, datetime(2024, 1, 5, tzinfo=UTC)).code == "2023-12"


def test_a_bad_schedule_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a cron expression"):
        ReportingSettings(schedule="monthly please")
    assert ReportingSettings(schedule="0 6 3 * *").schedule == "0 6 3 * *"


def engine_of(api: httpx.AsyncClient) -> AsyncEngine:
    return api._transport.app.state.engine  # type: ignore[attr-defined,no-any-return]


async def test_replicas_race_and_one_wins(reporting_api: httpx.AsyncClient) -> None:
    # Two replicas: two engines, two connection pools, on the one database.
    replicas = [create_engine(async_url(db_url("reporting"))) for _ in range(2)]
    started: list[str] = []
    # Neither inserts before both are ready: the two claims meet at the database.
    gate = asyncio.Barrier(2)

    async def replica(n: int) -> int | None:
        started.append(f"r{n}")
        await gate.wait()
        return await schedule.claim(
            replicas[n], period="2024-07", portfolio_code="IRP-2024", replica=f"r{n}"
        )

    try:
        results = await asyncio.gather(*(replica(n) for n in range(2)))
    finally:
        for engine in replicas:
            await engine.dispose()
    assert sorted(started) == ["r0", "r1"], "both replicas must have tried"
    assert results.count(None) == 1, results
    later = await schedule.claim(
        engine_of(reporting_api), period="2024-07", portfolio_code="IRP-2024", replica="r2"
    )
    assert later is None
    other_plan = await schedule.claim(
        engine_of(reporting_api), period="2024-07", portfolio_code=None, replica="r2"
    )
    assert other_plan is not None


async def test_a_run_that_cannot_reach_the_gateway_writes_no_pack(
    reporting_api: httpx.AsyncClient,
) -> None:
    app = reporting_api._transport.app  # type: ignore[attr-defined]
    common = app.state.common_settings
    settings = app.state.settings.model_copy(
        update={
            "gateway_url": "http://127.0.0.1:9/graphql",
            "schedule": "0 6 3 * *",
            "schedule_portfolio_code": "IRP-2024",
        }
    )
    said: list[str] = []
    for attempt in range(2):
        with pytest.raises(UpstreamUnavailable) as failed:
            await schedule.generate(
                engine=app.state.engine,
                http=app.state.http,
                common=common,
                settings=settings,
                period="2024-07",
                replica=f"attempt-{attempt}",
                progress=said.append,
            )
        assert failed.value.errors[0]["field"] == "gateway"
    async with AsyncSession(app.state.engine) as session:
        runs = (await session.exec(select(ScheduledRun))).all()
        packs = (await session.exec(select(Pack))).all()
    assert packs == []
    assert [(r.status, r.claimed_by) for r in runs] == [("failed", "attempt-1")]
    assert runs[0].error is not None and "gateway" in runs[0].error
    assert said[0].startswith("2024-07: composing") and "no pack written" in said[-1]
