"""The risks REST API against PostgreSQL built by its migrations, checking programme ids
against a live programmes service over HTTP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.risks.main import app
from tests.conftest import ADMIN, EDITOR, RAG_SCALE, VIEWER, auth, free_port, live_programme
from tests.risks.factories import make_risk, risk_body, total
from tests.support import changes


async def test_create_read_and_audit(risks_api: httpx.AsyncClient, live_programmes: str) -> None:
    programme = live_programme(live_programmes, "IRP-01")
    created = await risks_api.post(
        "/risks", headers=EDITOR, json=risk_body(programme_id=programme["id"])
    )
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    body = created.json()
    assert created.headers["location"] == f"/risks/{body['id']}"
    assert body["programme_id"] == programme["id"]
    assert (body["inherent_score"], body["residual_score"]) == (20, 12)
    assert body["status"] == "Open" and body["version"] == 1

    got = await risks_api.get(f"/risks/{body['id']}", headers=VIEWER)
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    assert got.json() == body
    by_code = await risks_api.get("/risks/by-code/IRP-R01", headers=VIEWER)
    assert by_code.status_code == 200 and by_code.json()["id"] == body["id"]
    assert by_code.headers["etag"] == '"1"'
    assert (await risks_api.get("/risks/by-code/NOPE", headers=VIEWER)).status_code == 404
    missing = await risks_api.get("/risks/999", headers=VIEWER)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "risk_id"

    feed = await changes(risks_api)
    assert [(c["entity"], c["action"], c["actor"]) for c in feed] == [
        ("risk", "create", "test-editor")
    ]
    assert feed[0]["before"] is None
    assert feed[0]["after"]["code"] == "IRP-R01"
    assert feed[0]["after"]["status"] == "Open"
    assert feed[0]["after"]["residual_score"] == 12
    assert feed[0]["entity_id"] == str(body["id"])


async def test_plan_wide_risks_need_no_programme(risks_api: httpx.AsyncClient) -> None:
    # No programme id: the programmes service is not asked (nor started for this test).
    created = await make_risk(risks_api, "IRP-R02", programme_id=None, status="Closed")
    assert created["programme_id"] is None and created["status"] == "Closed"


async def test_list_filters_and_sorts_by_residual_score(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    first = live_programme(live_programmes, "IRP-01")["id"]
    second = live_programme(live_programmes, "IRP-02")["id"]
    await make_risk(risks_api, "IRP-R01", programme_id=first)  # residual 3x4 = 12
    await make_risk(
        risks_api, "IRP-R02", programme_id=first, residual_likelihood=2, residual_impact=2
    )  # 4
    await make_risk(
        risks_api, "IRP-R03", programme_id=second, residual_likelihood=4, residual_impact=5
    )  # 20
    await make_risk(risks_api, "IRP-R04", status="Closed")  # plan-wide, 12

    async def codes(**params: str | int) -> list[str]:
        response = await risks_api.get("/risks", headers=VIEWER, params=params)
        assert response.status_code == 200, response.text
        return [r["code"] for r in response.json()["items"]]

    assert await codes() == ["IRP-R01", "IRP-R02", "IRP-R03", "IRP-R04"]
    assert await codes(sort="-residual_score,code") == ["IRP-R03", "IRP-R01", "IRP-R04", "IRP-R02"]
    assert await codes(sort="residual_score") == ["IRP-R02", "IRP-R01", "IRP-R04", "IRP-R03"]
    assert await codes(programme_id=first) == ["IRP-R01", "IRP-R02"]
    assert await codes(plan_wide="true") == ["IRP-R04"]
    assert await codes(plan_wide="false") == ["IRP-R01", "IRP-R02", "IRP-R03"]
    assert await codes(status="Closed") == ["IRP-R04"]
    assert await codes(status="Open", min_residual_score=12) == ["IRP-R01", "IRP-R03"]
    assert await codes(sort="-residual_score", limit=2, offset=1) == ["IRP-R01", "IRP-R04"]

    page = (await risks_api.get("/risks", headers=VIEWER, params={"limit": 1})).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (4, 1, 0, 1)

    cases: list[tuple[dict[str, str | int], str]] = [
        ({"sort": "description"}, "sort"),
        ({"status": "Dormant"}, "status"),
        ({"min_residual_score": 26}, "min_residual_score"),
        ({"programme_id": first, "plan_wide": "true"}, "plan_wide"),
    ]
    for params, field in cases:
        bad = await risks_api.get("/risks", headers=VIEWER, params=params)
        assert bad.status_code == 422, params
        assert bad.json()["errors"][0]["field"] == field


async def test_auth_is_required_and_roles_enforced(risks_api: httpx.AsyncClient) -> None:
    anonymous = await risks_api.get("/risks")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.json()["errors"][0]["field"] == "Authorization"
    bad = await risks_api.get("/risks", headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401
    forbidden = await risks_api.post("/risks", headers=VIEWER, json=risk_body())
    assert forbidden.status_code == 403
    assert forbidden.json()["type"].endswith("/forbidden")
    machine = await risks_api.get("/risks", headers=auth("machine", "kpi-feeder"))
    assert machine.status_code == 403
    created = await make_risk(risks_api)
    viewer_patch = await risks_api.patch(
        f"/risks/{created['id']}", headers={**VIEWER, "If-Match": '"1"'}, json={"owner": "x"}
    )
    assert viewer_patch.status_code == 403
    admin_patch = await risks_api.patch(
        f"/risks/{created['id']}",
        headers={**ADMIN, "If-Match": '"1"'},
        json={"owner": "Chief Executive"},
    )
    assert admin_patch.status_code == 200
    assert [c["actor"] for c in await changes(risks_api)] == ["test-editor", "test-admin"]


async def test_bad_input_names_the_field_and_writes_nothing(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    off_scale = await risks_api.post(
        "/risks", headers=EDITOR, json=risk_body(inherent_likelihood=6)
    )
    assert off_scale.status_code == 422
    assert off_scale.json()["errors"][0]["field"] == "inherent_likelihood"
    zero = await risks_api.post("/risks", headers=EDITOR, json=risk_body(residual_impact=0))
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "residual_impact"

    worse = await risks_api.post(
        "/risks", headers=EDITOR, json=risk_body(residual_likelihood=5, residual_impact=5)
    )
    assert worse.status_code == 422
    assert worse.json()["errors"][0]["field"] == "residual_likelihood"

    missing = await risks_api.post("/risks", headers=EDITOR, json={"code": "IRP-R09"})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} >= {"title", "description", "owner"}

    status = await risks_api.post("/risks", headers=EDITOR, json=risk_body(status="Dormant"))
    assert status.status_code == 422 and status.json()["errors"][0]["field"] == "status"

    unknown = await risks_api.post("/risks", headers=EDITOR, json=risk_body(programme_id=999_999))
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["field"] == "programme_id"
    assert "999999" in unknown.json()["detail"]

    assert await total(risks_api) == 0
    assert await changes(risks_api) == []

    await make_risk(risks_api)
    duplicate = await risks_api.post("/risks", headers=EDITOR, json=risk_body())
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "code"
    assert await total(risks_api) == 1
    assert len(await changes(risks_api)) == 1


async def test_the_callers_request_id_reaches_the_programmes_service(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    programme = live_programme(live_programmes, "IRP-01")
    request_id = "risks-test-forwarded-request-id"
    created = await risks_api.post(
        "/risks",
        headers={**EDITOR, "X-Request-ID": request_id},
        json=risk_body(programme_id=programme["id"]),
    )
    assert created.status_code == 201, created.text
    # The live programmes service logs each request, as JSON, with the request id it received.
    log = Path(os.environ.get("CPMO_TEST_LOGS", "/tmp")) / "cpmo-test-programmes.log"
    for _ in range(50):
        if request_id in log.read_text(errors="replace"):
            break
        await asyncio.sleep(0.05)
    lines = [line for line in log.read_text(errors="replace").splitlines() if request_id in line]
    assert any(f'"/programmes/{programme["id"]}"' in line for line in lines), lines


@pytest.fixture
def programmes_down() -> Iterator[str]:
    """Point the risks app at a port nobody listens on, then put its settings back.

    Routes read ``app.state.settings`` on every request, so swapping it is enough.
    (Not ``monkeypatch.setattr``: Starlette's ``State`` keeps attributes outside ``__dict__``,
    which pytest's undo mistakes for "was never set" and deletes.)
    """
    original = app.state.settings
    closed = f"http://127.0.0.1:{free_port()}"
    app.state.settings = original.model_copy(update={"programmes_url": closed})
    try:
        yield closed
    finally:
        app.state.settings = original


async def test_programmes_down_is_503_and_writes_nothing(
    risks_api: httpx.AsyncClient, programmes_down: str
) -> None:
    down = await risks_api.post("/risks", headers=EDITOR, json=risk_body(programme_id=1))
    assert down.status_code == 503, down.text
    assert down.headers["content-type"] == "application/problem+json"
    assert down.json()["type"].endswith("/upstream-unavailable")
    assert down.json()["errors"][0]["field"] == "programme_id"
    assert await total(risks_api) == 0
    assert await changes(risks_api) == []

    # Plan-wide risks never ask, so they can still be recorded; moving one to a programme can't.
    plan_wide = await make_risk(risks_api, "IRP-R05")
    move = await risks_api.patch(
        f"/risks/{plan_wide['id']}", headers={**EDITOR, "If-Match": '"1"'}, json={"programme_id": 1}
    )
    assert move.status_code == 503
    assert (await risks_api.get(f"/risks/{plan_wide['id']}", headers=VIEWER)).json()["version"] == 1


async def test_optimistic_concurrency(risks_api: httpx.AsyncClient) -> None:
    risk = await make_risk(risks_api)
    url = f"/risks/{risk['id']}"
    blind = await risks_api.patch(url, headers=EDITOR, json={"owner": "A. Owner"})
    assert blind.status_code == 428
    assert blind.json()["errors"][0]["field"] == "If-Match"
    first = await risks_api.patch(
        url,
        headers={**EDITOR, "If-Match": '"1"'},
        json={"owner": "A. Owner", "residual_likelihood": 2, "residual_impact": 3},
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"'
    assert (first.json()["residual_score"], first.json()["inherent_score"]) == (6, 20)
    stale = await risks_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"owner": "B. Owner"}
    )
    assert stale.status_code == 412
    assert stale.json()["errors"][0]["field"] == "If-Match"
    garbled = await risks_api.patch(url, headers={**EDITOR, "If-Match": "v2"}, json={"owner": "B"})
    assert garbled.status_code == 422

    now = (await risks_api.get(url, headers=VIEWER)).json()
    assert now["owner"] == "A. Owner" and now["version"] == 2
    feed = await changes(risks_api)
    assert [c["action"] for c in feed] == ["create", "update"]
    assert feed[-1]["before"]["owner"] == risk["owner"]
    assert feed[-1]["after"]["owner"] == "A. Owner"
    assert (feed[-1]["before"]["residual_score"], feed[-1]["after"]["residual_score"]) == (12, 6)
    assert feed[-1]["before"]["version"] == 1 and feed[-1]["after"]["version"] == 2


async def test_updates_keep_the_scoring_rule(risks_api: httpx.AsyncClient) -> None:
    risk = await make_risk(risks_api)  # inherent 4x5, residual 3x4
    url = f"/risks/{risk['id']}"
    # Lowering the inherent rating below the stored residual one is checked against the merge.
    worse = await risks_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"inherent_likelihood": 2}
    )
    assert worse.status_code == 422
    assert worse.json()["errors"][0]["field"] == "residual_likelihood"
    off = await risks_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"residual_impact": 6}
    )
    assert off.status_code == 422 and off.json()["errors"][0]["field"] == "residual_impact"
    blank = await risks_api.patch(url, headers={**EDITOR, "If-Match": '"1"'}, json={"owner": None})
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "owner"
    closed = await risks_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"status": "Closed"}
    )
    assert closed.status_code == 200 and closed.json()["status"] == "Closed"
    assert closed.json()["residual_score"] == 12
    assert [c["action"] for c in await changes(risks_api)] == ["create", "update"]
    missing = await risks_api.patch("/risks/999", headers={**EDITOR, "If-Match": '"1"'}, json={})
    assert missing.status_code == 404


async def test_moving_a_risk_checks_the_new_programme(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    programme = live_programme(live_programmes, "IRP-03")
    risk = await make_risk(risks_api)
    url = f"/risks/{risk['id']}"
    unknown = await risks_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"programme_id": 999_999}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "programme_id"
    moved = await risks_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"programme_id": programme["id"]}
    )
    assert moved.status_code == 200 and moved.json()["programme_id"] == programme["id"]
    back = await risks_api.patch(
        url, headers={**EDITOR, "If-Match": '"2"'}, json={"programme_id": None}
    )
    assert back.status_code == 200 and back.json()["programme_id"] is None


def plan_codes(base: str) -> dict[int, str]:
    return {p["id"]: p["code"] for p in httpx.get(f"{base}/portfolios", headers=ADMIN).json()}


def portfolio(base: str, code: str) -> dict[str, Any]:
    """A portfolio (plan) in the live programmes service, made once."""
    found = {p["code"]: p for p in httpx.get(f"{base}/portfolios", headers=ADMIN).json()}
    if code in found:
        return found[code]
    response = httpx.post(
        f"{base}/portfolios",
        headers=ADMIN,
        json={"code": code, "name": f"Plan {code}", "rag_scale": RAG_SCALE},
    )
    response.raise_for_status()
    return dict(response.json())


async def test_a_risk_belongs_to_a_plan_and_the_plans_reads_keep_to_it(
    risks_api: httpx.AsyncClient, live_programmes: str
) -> None:
    """A programme's risk takes its programme's plan; a plan-wide risk names its own, which
    must exist; a plan's heat map and register hold its risks and no other plan's (the 2015
    plan's plan-wide risks are not the 2024 plan's)."""
    programme = live_programme(live_programmes, "IRP-01")
    plans = plan_codes(live_programmes)
    theirs = plans[programme["portfolio_id"]]
    other = portfolio(live_programmes, "OIAP-2015")["code"]
    assert other != theirs
    own = await make_risk(risks_api, "IRP-R01", programme_id=programme["id"])
    assert own["portfolio_code"] == theirs
    wide = await make_risk(risks_api, "IRP-R02", portfolio_code=theirs)
    old = await make_risk(risks_api, "FCP-2015-R01", portfolio_code=other)
    assert (wide["portfolio_code"], old["portfolio_code"]) == (theirs, other)
    before = await changes(risks_api)
    for fields in (
        {"programme_id": programme["id"], "portfolio_code": other},
        {"portfolio_code": "NO-SUCH-PLAN"},
    ):
        refused = await risks_api.post("/risks", headers=EDITOR, json=risk_body("X-1", **fields))
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "portfolio_code"
    moved = await risks_api.patch(
        f"/risks/{old['id']}", headers={**EDITOR, "If-Match": '"1"'}, json={"portfolio_code": "Z"}
    )
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "portfolio_code"
    assert await changes(risks_api) == before
    listed = await risks_api.get("/risks", headers=VIEWER, params={"portfolio_code": theirs})
    assert [r["code"] for r in listed.json()["items"]] == ["IRP-R01", "IRP-R02"]
    heat = await risks_api.get("/views/heat-map", headers=VIEWER, params={"portfolio_code": theirs})
    assert sorted(c for cell in heat.json()["cells"] for c in cell["codes"]) == [
        "IRP-R01",
        "IRP-R02",
    ]
    query = f'{{ heatMap(portfolioCode: "{other}") {{ cells {{ codes }} }} }}'
    graph = await risks_api.post("/graphql", headers=VIEWER, json={"query": query})
    codes = [c for cell in graph.json()["data"]["heatMap"]["cells"] for c in cell["codes"]]
    assert codes == ["FCP-2015-R01"]
    # made plan-wide, a programme's risk stays in its plan
    left = await risks_api.patch(
        f"/risks/{own['id']}", headers={**EDITOR, "If-Match": '"1"'}, json={"programme_id": None}
    )
    assert left.status_code == 200, left.text
    assert (left.json()["programme_id"], left.json()["portfolio_code"]) == (None, theirs)
