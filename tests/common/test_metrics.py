"""/metrics: KPI pushes counted by outcome once committed, refusals by status, pack runs by
trigger and result; and who may read it (a token when set, off in production without one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from services.common.errors import UpstreamUnavailable
from services.common.settings import Mode
from services.reporting import schedule
from tests.conftest import EDITOR, VIEWER, auth, settings_override
from tests.kpis.helpers import make_kpi, push


async def scrape(
    api: httpx.AsyncClient, **headers: str
) -> dict[tuple[str, tuple[Any, ...]], float]:
    response = await api.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def delta(
    before: dict[tuple[str, tuple[Any, ...]], float],
    after: dict[tuple[str, tuple[Any, ...]], float],
    name: str,
    **labels: str,
) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@contextmanager
def common_settings(api: httpx.AsyncClient, **changes: Any) -> Iterator[None]:
    app = api._transport.app  # type: ignore[attr-defined]
    original = app.state.common_settings
    app.state.common_settings = original.model_copy(update=changes)
    try:
        yield
    finally:
        app.state.common_settings = original


async def test_pushes_are_counted_by_outcome_and_refusals_by_status(
    kpis_api: httpx.AsyncClient,
) -> None:
    await make_kpi(kpis_api)
    before = await scrape(kpis_api)
    assert (await push(kpis_api, "KPI-01", "2024-07", 91.5, key="m-1")).status_code == 201
    assert (await push(kpis_api, "KPI-01", "2024-07", 91.5, key="m-1")).status_code == 200
    assert (await push(kpis_api, "KPI-01", "2024-07", 91.5, key="m-2")).status_code == 200
    assert (await push(kpis_api, "KPI-01", "2024-07", 93, reason="audit")).status_code == 201
    bulk = await kpis_api.post(
        "/kpis/measurements/bulk",
        headers=EDITOR,
        json={
            "items": [
                {"code": "KPI-01", "period": p, "value": 1, "idempotency_key": f"b-{p}"}
                for p in ("2024-08", "2024-09")
            ]
        },
    )
    assert bulk.status_code == 200, bulk.text
    # Refused: an unknown KPI, a body that is not a number, a bulk push with one bad item
    # (nothing of it kept), a machine pushing outside its grant.
    assert (await push(kpis_api, "KPI-99", "2024-07", 1)).status_code == 404
    not_a_number = await kpis_api.post(
        "/kpis/KPI-01/measurements",
        headers={**EDITOR, "Idempotency-Key": "m-bad"},
        json={"period": "2024-07", "value": "lots"},
    )
    assert not_a_number.status_code == 422
    half_bad = await kpis_api.post(
        "/kpis/measurements/bulk",
        headers=EDITOR,
        json={
            "items": [
                {"code": "KPI-01", "period": "2024-10", "value": 1, "idempotency_key": "c-1"},
                {"code": "KPI-01", "period": "2024-13", "value": 1, "idempotency_key": "c-2"},
            ]
        },
    )
    assert half_bad.status_code == 422
    other = auth("machine", "other-system", kpis=["KPI-02"])
    assert (await push(kpis_api, "KPI-01", "2024-07", 1, headers=other)).status_code == 403
    after = await scrape(kpis_api)

    items = "cpmo_kpi_push_items_total"
    assert delta(before, after, items, outcome="created") == 3  # one single, two in bulk
    assert delta(before, after, items, outcome="replayed") == 1
    assert delta(before, after, items, outcome="unchanged") == 1
    assert delta(before, after, items, outcome="restated") == 1
    refusals = "cpmo_kpi_push_refusals_total"
    assert delta(before, after, refusals, status="404") == 1
    assert delta(before, after, refusals, status="422") == 2
    assert delta(before, after, refusals, status="403") == 1


async def test_pack_runs_are_counted_and_timed(reporting_api: httpx.AsyncClient) -> None:
    before = await scrape(reporting_api)
    with settings_override(reporting_api, gateway_url="http://127.0.0.1:9/graphql"):
        down = await reporting_api.post("/packs", headers=EDITOR, json={"period": "2024-07"})
    assert down.status_code == 503
    app = reporting_api._transport.app  # type: ignore[attr-defined]
    with pytest.raises(UpstreamUnavailable):
        await schedule.generate(
            engine=app.state.engine,
            http=app.state.http,
            common=app.state.common_settings,
            settings=app.state.settings.model_copy(
                update={"gateway_url": "http://127.0.0.1:9/graphql"}
            ),
            period="2024-07",
            replica="metrics-test",
        )
    after = await scrape(reporting_api)
    runs, seconds = "cpmo_pack_runs_total", "cpmo_pack_run_duration_seconds_count"
    for trigger in ("request", "schedule"):
        assert delta(before, after, runs, trigger=trigger, result="failed") == 1, trigger
        assert delta(before, after, runs, trigger=trigger, result="done") == 0, trigger
        assert delta(before, after, seconds, trigger=trigger, result="failed") == 1, trigger
    # A composed pack is counted in the end-to-end test, where a gateway answers.


async def test_metrics_need_the_token_when_one_is_set(kpis_api: httpx.AsyncClient) -> None:
    with common_settings(kpis_api, metrics_token=SecretStr("scrape-me")):
        for headers in ({}, VIEWER, {"Authorization": "Bearer scrape-mE"}):
            refused = await kpis_api.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["content-type"] == "application/problem+json"
            assert "cpmo_" not in refused.text
        assert await scrape(kpis_api, Authorization="Bearer scrape-me")


async def test_metrics_are_off_in_production_without_a_token(kpis_api: httpx.AsyncClient) -> None:
    with common_settings(kpis_api, mode=Mode.production):
        off = await kpis_api.get("/metrics")
        assert off.status_code == 404 and "CPMO_METRICS_TOKEN" in off.json()["detail"]
    with common_settings(kpis_api, mode=Mode.production, metrics_token=SecretStr("scrape-me")):
        assert await scrape(kpis_api, Authorization="Bearer scrape-me")
    # Outside production, and with no token, it is open (a developer's machine).
    assert await scrape(kpis_api)
