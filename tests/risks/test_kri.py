"""Key risk indicators: a risk follows a KPI in a live kpis service (over HTTP) and is flagged
for review when the trigger fires; the feed cursor is stored, so nothing is missed or counted
twice across passes and replays."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.risks.main import app
from services.stack import Component, Stack
from tests.conftest import EDITOR, VIEWER, db_url, free_port, recreate
from tests.risks.factories import make_risk


@pytest.fixture(scope="module")
def live_kpis() -> Iterator[str]:
    url = db_url("kpis", "_live_raid")
    recreate(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    live = Stack(
        [
            Component(
                name="kpis",
                args=[
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "services.kpis.main:app",
                    "--port",
                    str(port),
                ],
                env={"KPIS_DATABASE_URL": url, "KPIS_MIGRATE_ON_START": "true"},
                ready_url=f"{base}/readyz",
                log_path=Path(os.environ.get("CPMO_TEST_LOGS", "/tmp")) / "cpmo-test-kpis-raid.log",
            )
        ]
    )
    live.start(timeout=60)
    try:
        yield base
    finally:
        live.stop()


@pytest.fixture
def risks_follow(live_kpis: str) -> Iterator[str]:
    original = app.state.settings
    app.state.settings = original.model_copy(update={"kpis_url": live_kpis})
    try:
        yield live_kpis
    finally:
        app.state.settings = original


async def push(client: httpx.AsyncClient, code: str, period: str, value: float) -> None:
    response = await client.post(
        f"/kpis/{code}/measurements",
        headers={**EDITOR, "Idempotency-Key": str(uuid.uuid4())},
        json={"period": period, "value": value},
    )
    assert response.status_code == 201, response.text


async def test_a_kpi_going_red_flags_its_risk_once(
    risks_api: httpx.AsyncClient, risks_follow: str
) -> None:
    async with httpx.AsyncClient(base_url=risks_follow) as kpis:
        created = await kpis.post(
            "/kpis",
            headers=EDITOR,
            json={
                "code": "KRI-01",
                "name": "Budget on target (within agreed tolerances)",
                "portfolio_code": "IRP-2024",
                "aim_code": "AIM-1",
                "outcome": "A balanced budget",
                "unit": "%",
                "higher_is_better": True,
                "frequency": "monthly",
                "target": 90.0,
                "tolerance": 5.0,
            },
        )
        assert created.status_code == 201, created.text
        risk = await make_risk(risks_api)
        url = f"/risks/{risk['id']}/kris"
        red = await risks_api.post(
            url, headers=EDITOR, json={"kpi_code": "KRI-01", "trigger": "goes Red"}
        )
        assert red.status_code == 201, red.text
        below = await risks_api.post(
            url, headers=EDITOR, json={"kpi_code": "KRI-01", "trigger": "below", "threshold": 80}
        )
        assert below.status_code == 201, below.text
        for body, field in [
            ({"kpi_code": "NOPE", "trigger": "goes Red"}, "kpi_code"),
            ({"kpi_code": "KRI-01", "trigger": "above"}, "threshold"),
            ({"kpi_code": "KRI-01", "trigger": "sideways"}, "trigger"),
        ]:
            bad = await risks_api.post(url, headers=EDITOR, json=body)
            assert bad.status_code == 422, bad.text
            assert bad.json()["errors"][0]["field"] == field
        assert len((await risks_api.get(url, headers=VIEWER)).json()) == 2

        await push(kpis, "KRI-01", "2024-06", 95.0)  # Green: nothing fires
        first = (await risks_api.post("/kris/sync", headers=EDITOR)).json()
        assert first["fired"] == 0 and first["processed"] >= 2
        assert (await risks_api.get(f"/risks/{risk['id']}", headers=VIEWER)).json()[
            "needs_review"
        ] is False

        await push(kpis, "KRI-01", "2024-07", 70.0)  # Red, and below 80
        second = (await risks_api.post("/kris/sync", headers=EDITOR)).json()
        assert (second["processed"], second["fired"]) == (1, 2)
        assert second["cursor"] > first["cursor"]
        flagged = (await risks_api.get(f"/risks/{risk['id']}", headers=VIEWER)).json()
        assert flagged["needs_review"] is True and "KRI-01" in flagged["review_reason"]

        again = (await risks_api.post("/kris/sync", headers=EDITOR)).json()
        assert (again["processed"], again["fired"], again["cursor"]) == (0, 0, second["cursor"])

    # A replay from the start (the cursor lost, as after restoring an old backup) fires nothing
    # twice: each trigger is recorded once per feed entry.
    conn = await asyncpg.connect(db_url("risks"))
    try:
        await conn.execute("UPDATE feed_cursor SET cursor = 0")
        replay = (await risks_api.post("/kris/sync", headers=EDITOR)).json()
        assert replay["fired"] == 0 and replay["processed"] >= 3
        assert await conn.fetchval("SELECT count(*) FROM kri_event") == 2
    finally:
        await conn.close()

    reviewed = await risks_api.post(
        f"/risks/{risk['id']}/assessments",
        headers={**EDITOR, "If-Match": f'"{flagged["version"]}"'},
        json={"residual_likelihood": 3, "residual_impact": 5, "reason": "KRI review"},
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["needs_review"] is False
