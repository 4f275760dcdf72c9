"""A client that goes away stops its work: the request's task is cancelled, and with it the
query it was waiting on in PostgreSQL (gone from pg_stat_activity while the lock it waited for
is still held), and nothing is written. Against a real uvicorn process: only a real server
reports a closed connection."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from tests.conftest import ADMIN, PG, db_url

WAITING = """
    SELECT pid, query FROM pg_stat_activity
    WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active'
      AND wait_event_type = 'Lock'
"""


async def _until(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_client_that_leaves_cancels_its_query(live_programmes: str) -> None:
    base = live_programmes
    async with httpx.AsyncClient(base_url=base) as setup:
        person = await setup.post("/people", headers=ADMIN, json={"name": "Disconnect Test"})
    assert person.status_code == 201, person.text
    person_id, etag = person.json()["id"], person.headers["etag"]
    database = db_url("programmes", "_live").rsplit("/", 1)[1]
    blocker = await asyncpg.connect(f"{PG}/{database}")
    watcher = await asyncpg.connect(f"{PG}/postgres")
    try:
        # Hold the person's row so the service's UPDATE waits on it in PostgreSQL.
        lock = blocker.transaction()
        await lock.start()
        await blocker.execute("SELECT id FROM person WHERE id = $1 FOR UPDATE", person_id)

        async def waiting() -> bool:
            return bool(await watcher.fetch(WAITING, database))

        async def gone() -> bool:
            return not await waiting()

        async with httpx.AsyncClient(base_url=base) as client:
            request = asyncio.create_task(
                client.patch(
                    f"/people/{person_id}",
                    headers={**ADMIN, "If-Match": etag},
                    json={"name": "Never Written"},
                )
            )
            assert await _until(waiting, 20), "the update never reached the database"
            # The client gives up: its connection closes.
            request.cancel()
        # The service notices and cancels the query, while the lock is still held.
        assert await _until(gone, 10), await watcher.fetch(WAITING, database)
        await lock.rollback()
    finally:
        await blocker.close()
        await watcher.close()
    async with httpx.AsyncClient(base_url=base) as check:
        after = await check.get(f"/people/{person_id}", headers=ADMIN)
        assert after.json()["name"] == "Disconnect Test"
        assert after.headers["etag"] == etag
        assert (await check.get("/readyz")).status_code == 200
        # Counted as the client's doing (499), not as a server error.
        metrics = (await check.get("/metrics")).text
    series = 'cpmo_http_requests_total{method="PATCH",route="/people/{person_id}",'
    assert series + 'service="programmes",status="499"} 1.0' in metrics
    assert series + 'service="programmes",status="500"}' not in metrics
