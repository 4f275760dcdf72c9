"""Pushing KPI values: idempotency, restatements, authorisation and races."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from services.common import groupwrite
from tests.conftest import ADMIN, EDITOR, VIEWER, auth, db_url
from tests.kpis.helpers import make_kpi, measurements, push, register_client
from tests.support import changes
from tests.support.race import rendezvous, terminate

FINANCE = auth("machine", "finance-system", kpis=["KPI-01"])


async def test_first_value_for_a_period_is_revision_one(kpis_api: httpx.AsyncClient) -> None:
    kpi = await make_kpi(kpis_api)
    response = await push(kpis_api, "KPI-01", "2024-07", 91.5, key="k-1", note="July close")
    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    body = response.json()
    assert body["kpi_id"] == kpi["id"]
    assert (body["period"], body["period_start"], body["period_end"]) == (
        "2024-07",
        "2024-07-01",
        "2024-07-31",
    )
    assert (body["value"], body["revision"], body["note"]) == (91.5, 1, "July close")
    assert (body["pushed_by"], body["idempotency_key"]) == ("test-editor", "k-1")
    feed = await changes(kpis_api, entity="measurement")
    assert [(c["entity"], c["action"], c["actor"]) for c in feed][-1] == (
        "measurement",
        "create",
        "test-editor",
    )
    assert feed[-1]["after"]["value"] == 91.5 and feed[-1]["entity_id"] == str(body["id"])
    # The audit entry records the row exactly as the push answered it, time included.
    assert feed[-1]["after"] == body


async def test_replay_answers_the_same_record_and_writes_nothing(
    kpis_api: httpx.AsyncClient,
) -> None:
    await make_kpi(kpis_api)
    first = await push(kpis_api, "KPI-01", "2024-07", 91.5, key="k-1", note="July close")
    assert first.status_code == 201
    feed = await changes(kpis_api)
    again = await push(kpis_api, "KPI-01", "2024-07", 91.5, key="k-1", note="July close")
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await changes(kpis_api) == feed
    assert await measurements(kpis_api, "KPI-01") == [first.json()]
    # Still a replay after another value has restated the period since.
    assert (await push(kpis_api, "KPI-01", "2024-07", 93, reason="ledger")).status_code == 201
    late = await push(kpis_api, "KPI-01", "2024-07", 91.5, key="k-1", note="July close")
    assert late.status_code == 200 and late.json() == first.json()
    assert len(await measurements(kpis_api, "KPI-01")) == 2


async def test_same_value_with_a_new_key_is_a_no_op(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    first = await push(kpis_api, "KPI-01", "2024-07", 91.5, key="k-1")
    feed = await changes(kpis_api)
    same = await push(kpis_api, "KPI-01", "2024-07", 91.5, key="k-2", note="sent again")
    assert same.status_code == 200
    assert "idempotent-replayed" not in same.headers
    assert same.json() == first.json()
    assert await changes(kpis_api) == feed
    assert len(await measurements(kpis_api, "KPI-01")) == 1


async def test_restatement_is_kept_beside_the_original(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    may = await push(kpis_api, "KPI-01", "2024-05", 80)
    original = await push(kpis_api, "KPI-01", "2024-06", 85, note="provisional")
    restated = await push(kpis_api, "KPI-01", "2024-06", 88, note="audited", reason="audit")
    assert restated.status_code == 201
    assert (restated.json()["revision"], restated.json()["value"]) == (2, 88)
    # Going back to the first figure is a further restatement, not a no-op.
    back = await push(kpis_api, "KPI-01", "2024-06", 85)  # a reason is kept when given
    assert back.status_code == 201 and back.json()["revision"] == 3
    assert (restated.json()["reason"], back.json()["reason"]) == ("audit", None)
    listed = await measurements(kpis_api, "KPI-01")
    assert [(m["period"], m["revision"], m["value"]) for m in listed] == [
        ("2024-06", 3, 85),
        ("2024-06", 2, 88),
        ("2024-06", 1, 85),
        ("2024-05", 1, 80),
    ]
    assert listed[2] == original.json()  # the original untouched
    assert listed[3] == may.json()
    only_june = await kpis_api.get(
        "/kpis/KPI-01/measurements", headers=VIEWER, params={"period": "2024-06"}
    )
    assert [m["revision"] for m in only_june.json()] == [3, 2, 1]
    assert [c["entity"] for c in await changes(kpis_api)].count("measurement") == 4


async def test_key_reused_with_a_different_body_is_refused(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    await make_kpi(kpis_api, "KPI-02")
    assert (await push(kpis_api, "KPI-01", "2024-07", 91.5, key="k-1")).status_code == 201
    feed = await changes(kpis_api)
    for code, period, value, note in (
        ("KPI-01", "2024-07", 92.0, None),  # another value
        ("KPI-01", "2024-08", 91.5, None),  # another period
        ("KPI-01", "2024-07", 91.5, "a note"),  # another note
        ("KPI-02", "2024-07", 91.5, None),  # another KPI
    ):
        reused = await push(kpis_api, code, period, value, key="k-1", note=note)
        assert reused.status_code == 422, (code, period, value, note)
        assert reused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await changes(kpis_api) == feed
    assert len(await measurements(kpis_api, "KPI-01")) == 1
    assert await measurements(kpis_api, "KPI-02") == []
    # Keys belong to their principal: another client may use the same one.
    other = await push(kpis_api, "KPI-01", "2024-08", 70, key="k-1", headers=ADMIN)
    assert other.status_code == 201 and other.json()["pushed_by"] == "test-admin"


async def test_idempotency_key_is_required(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    missing = await kpis_api.post(
        "/kpis/KPI-01/measurements", headers=EDITOR, json={"period": "2024-07", "value": 1}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "Idempotency-Key"
    blank = await kpis_api.post(
        "/kpis/KPI-01/measurements",
        headers={**EDITOR, "Idempotency-Key": "  "},
        json={"period": "2024-07", "value": 1},
    )
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "Idempotency-Key"
    too_long = await push(kpis_api, "KPI-01", "2024-07", 1, key="k" * 201)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await measurements(kpis_api, "KPI-01") == []


async def test_who_may_push(kpis_api: httpx.AsyncClient) -> None:
    await make_kpi(kpis_api)
    await make_kpi(kpis_api, "KPI-02")
    # A machine token alone is not enough: the client must be registered.
    unregistered = await push(kpis_api, "KPI-01", "2024-07", 91, headers=FINANCE)
    assert unregistered.status_code == 403
    assert unregistered.json()["errors"][0]["field"] == "Authorization"
    await register_client(kpis_api, "finance-system", ["KPI-01"])
    mine = await push(kpis_api, "KPI-01", "2024-07", 91, headers=FINANCE)
    assert mine.status_code == 201 and mine.json()["pushed_by"] == "finance-system"
    not_mine = await push(kpis_api, "KPI-02", "2024-07", 91, headers=FINANCE)
    assert not_mine.status_code == 403
    assert not_mine.json()["type"].endswith("/forbidden")
    # A code outside the claim is refused before anything says whether it exists.
    assert (await push(kpis_api, "KPI-99", "2024-07", 91, headers=FINANCE)).status_code == 403
    assert (await push(kpis_api, "KPI-99", "2024-07", 91, headers=ADMIN)).status_code == 404
    assert (await push(kpis_api, "KPI-02", "2024-07", 91, headers=VIEWER)).status_code == 403
    no_claim = auth("machine", "hr-system")
    assert (await push(kpis_api, "KPI-01", "2024-08", 91, headers=no_claim)).status_code == 403
    anonymous = await kpis_api.post(
        "/kpis/KPI-01/measurements",
        headers={"Idempotency-Key": "k-9"},
        json={"period": "2024-07", "value": 1},
    )
    assert anonymous.status_code == 401
    assert (await push(kpis_api, "KPI-02", "2024-07", 91, headers=ADMIN)).status_code == 201
    assert len(await measurements(kpis_api, "KPI-01")) == 1
    assert len(await measurements(kpis_api, "KPI-02")) == 1
    # A machine client pushes; it does not read.
    assert (await kpis_api.get("/kpis/KPI-01", headers=FINANCE)).status_code == 403


async def test_grants_change_and_revocation_bite_on_the_next_push(
    kpis_api: httpx.AsyncClient,
) -> None:
    await make_kpi(kpis_api)
    await make_kpi(kpis_api, "KPI-02")
    client = await register_client(kpis_api, "finance-system", ["KPI-01"])
    assert (await push(kpis_api, "KPI-02", "2024-07", 91, headers=FINANCE)).status_code == 403
    # The same token (its claim says KPI-01 only) may push KPI-02 once the registry grants it.
    granted = await kpis_api.patch(
        "/push-clients/finance-system",
        headers={**ADMIN, "If-Match": f'"{client["version"]}"'},
        json={"kpi_codes": ["KPI-01", "KPI-02"]},
    )
    assert granted.status_code == 200, granted.text
    assert (await push(kpis_api, "KPI-02", "2024-07", 91, headers=FINANCE)).status_code == 201
    stale = await kpis_api.patch(
        "/push-clients/finance-system",
        headers={**ADMIN, "If-Match": f'"{client["version"]}"'},
        json={"active": False},
    )
    assert stale.status_code == 412  # someone changed it since: reload first
    emptied = await kpis_api.patch(
        "/push-clients/finance-system",
        headers={**ADMIN, "If-Match": granted.headers["ETag"]},
        json={"active": None},
    )
    assert emptied.status_code == 422 and emptied.json()["errors"][0]["field"] == "active"
    revoked = await kpis_api.patch(
        "/push-clients/finance-system",
        headers={**ADMIN, "If-Match": granted.headers["ETag"]},
        json={"active": False},
    )
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    refused = await push(kpis_api, "KPI-01", "2024-08", 91, headers=FINANCE)
    assert refused.status_code == 403 and "revoked" in refused.json()["detail"]
    assert [m["period"] for m in await measurements(kpis_api, "KPI-01")] == []
    audited = [c["action"] for c in await changes(kpis_api, entity="push_client")]
    assert audited == ["create", "update", "update"]
    # Only admins manage clients; grants must name KPIs that exist.
    assert (await kpis_api.get("/push-clients", headers=EDITOR)).status_code == 403
    unknown = await kpis_api.post(
        "/push-clients",
        headers=ADMIN,
        json={"client_id": "hr-system", "name": "HR", "kpi_codes": ["KPI-01", "KPI-77"]},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "kpi_codes[1]"


async def test_period_format_follows_the_frequency(kpis_api: httpx.AsyncClient) -> None:
    for code, frequency, good, bad in (
        ("KPI-01", "monthly", "2024-07", "2024/25 Q2"),
        ("KPI-02", "quarterly", "2024/25 Q2", "2024-07"),
        ("KPI-03", "annual", "2024/25", "2024"),
        ("KPI-04", "survey", "2024", "2024/25"),
    ):
        await make_kpi(kpis_api, code, frequency=frequency)
        refused = await push(kpis_api, code, bad, 50)
        assert refused.status_code == 422, (code, bad)
        assert refused.json()["errors"][0]["field"] == "period"
        assert frequency in refused.json()["detail"]
        accepted = await push(kpis_api, code, good, 50)
        assert accepted.status_code == 201, (code, good, accepted.text)
    annual = await measurements(kpis_api, "KPI-03")
    assert (annual[0]["period_start"], annual[0]["period_end"]) == ("2024-04-01", "2025-03-31")
    for bad in ("2024/26", "2024-13", "July"):
        assert (await push(kpis_api, "KPI-01", bad, 1)).status_code == 422
    nan = await kpis_api.post(
        "/kpis/KPI-01/measurements",
        headers={**EDITOR, "Idempotency-Key": "k-nan", "Content-Type": "application/json"},
        content=b'{"period": "2024-08", "value": NaN}',
    )
    assert nan.status_code == 422
    missing_value = await kpis_api.post(
        "/kpis/KPI-01/measurements",
        headers={**EDITOR, "Idempotency-Key": "k-x"},
        json={"period": "2024-08"},
    )
    assert missing_value.status_code == 422
    assert missing_value.json()["errors"][0]["field"] == "value"
    assert len(await measurements(kpis_api, "KPI-01")) == 1


def push_read(sql: str) -> bool:
    """The push's one read (its key's earlier push and the period's current revision)."""
    return "FROM measurement" in sql and "idempotency_key" in sql


async def test_concurrent_identical_pushes_land_once(
    kpis_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_kpi(kpis_api)
    # Both read before either writes: the loser's insert fails and its retry finds the winner's.
    with rendezvous(monkeypatch, push_read):
        responses = await asyncio.gather(
            *(push(kpis_api, "KPI-01", "2024-07", 91.5, key="same-key") for _ in range(2))
        )
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].json() == responses[1].json()
    replayed = next(r for r in responses if r.status_code == 200)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert len(await measurements(kpis_api, "KPI-01")) == 1
    assert [c["entity"] for c in await changes(kpis_api)].count("measurement") == 1


async def test_concurrent_pushes_with_different_keys(
    kpis_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_kpi(kpis_api)
    # The same value under three keys, all read before any writes: one record, the others
    # (whose inserts lose the race for revision 1) retry and answer it.
    with rendezvous(monkeypatch, push_read, parties=3):
        same = await asyncio.gather(*(push(kpis_api, "KPI-01", "2024-07", 91.5) for _ in range(3)))
    assert sorted(r.status_code for r in same) == [200, 200, 201]
    assert len({r.json()["id"] for r in same}) == 1
    # Different values at once: each lands as its own revision, none lost, none doubled.
    values = [70.0, 71.0, 72.0]
    with rendezvous(monkeypatch, push_read, parties=3):
        racing = await asyncio.gather(
            *(push(kpis_api, "KPI-01", "2024-08", v, reason="recount") for v in values)
        )
    assert [r.status_code for r in racing] == [201, 201, 201]
    listed = await measurements(kpis_api, "KPI-01")
    august = [m for m in listed if m["period"] == "2024-08"]
    assert sorted(m["revision"] for m in august) == [1, 2, 3]
    assert sorted(m["value"] for m in august) == values
    assert [c["entity"] for c in await changes(kpis_api)].count("measurement") == 4


@pytest.mark.parametrize("gone", [True, False], ids=["closed", "closing"])
async def test_a_write_whose_connection_is_terminated_is_retried_once(
    kpis_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, gone: bool
) -> None:
    await make_kpi(kpis_api)
    killed: list[int] = []
    original = groupwrite.GroupWriter._fetch

    async def terminated_first(
        self: groupwrite.GroupWriter, driver: asyncpg.Connection, round_: Any
    ) -> None:
        # The database ends the write's backend just before the write (a restart, an admin).
        if not killed:
            killed.append(driver.get_server_pid())
            await terminate(db_url("kpis"), killed[0], wait=gone)
        await original(self, driver, round_)

    monkeypatch.setattr(groupwrite.GroupWriter, "_fetch", terminated_first)
    response = await push(kpis_api, "KPI-01", "2024-07", 91.5, key="k-lost")
    assert killed, "the write never ran"
    assert response.status_code == 201, response.text
    assert [m["idempotency_key"] for m in await measurements(kpis_api, "KPI-01")] == ["k-lost"]
    assert [c["entity"] for c in await changes(kpis_api)].count("measurement") == 1
