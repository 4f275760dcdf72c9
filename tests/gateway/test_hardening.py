"""The stack in production mode, as real processes on PostgreSQL, tried as an attacker would:
abusive queries refused in milliseconds at the gateway and at each subgraph called directly,
the services still healthy after; no schema to strangers; a service that is down is named."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.reporting.periods import Period
from services.reporting.sources import PACK_QUERY, pack_variables
from services.stack import SERVICES, Stack, components
from tests.conftest import RAG_SCALE, auth, db_url, free_port, recreate
from tests.conftest import SERVICES as ALL

pytestmark = pytest.mark.e2e

VIEWER = auth("viewer", "hardening-viewer")
ADMIN = auth("admin", "hardening-admin")

DEEP = "{ programmes { items { " + "risks { programme { " * 25 + "code" + " } }" * 25 + " } } }"
ALIASES = (
    "{ " + " ".join(f"a{i}: programmes(limit: 1) {{ items {{ code }} }}" for i in range(100)) + " }"
)
TOKENS = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
# Within the depth, alias and token limits, but wide: refused by cost alone (about 1,250).
COSTLY = (
    "{ programmes { items { code "
    + " ".join(
        f"r{i}: risks {{ code title owner programme {{ code name purpose directorate "
        "risks { code title } } }"
        for i in range(28)
    )
    + " } } }"
)
SCRAPER_TOKEN = "hardening-scraper-token"
SCRAPER = {"Authorization": f"Bearer {SCRAPER_TOKEN}"}
INTROSPECTION = "{ __schema { queryType { name } types { name } } }"


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, dict[str, int]]]:
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    env = {
        "CPMO_MODE": "production",
        "CPMO_MAX_BODY_BYTES": "100000",
        "CPMO_METRICS_TOKEN": SCRAPER_TOKEN,
    }
    for service in ALL:
        url = db_url(service, "_hardening")
        recreate(url)
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"{service.upper()}_MIGRATE_ON_START"] = "true"
    logs = tmp_path_factory.mktemp("hardening-logs")
    running = Stack(components(ports=ports, log_dir=Path(logs), env=env))
    running.start(timeout=120)
    try:
        yield running, ports
    finally:
        running.stop()


def _log_lines(path: Path) -> list[dict]:
    """The gateway's JSON log lines (its first few, before the config loads, are plain text)."""
    found = []
    for text in path.read_text(errors="replace").splitlines():
        if text.startswith("{"):
            found.append(json.loads(text))
    return found


def endpoints(ports: dict[str, int]) -> dict[str, str]:
    found = {"gateway": f"http://127.0.0.1:{ports['gateway']}/graphql"}
    for name in SERVICES:
        found[name] = f"http://127.0.0.1:{ports[name]}/graphql"
    return found


def ask(url: str, query: str, headers: dict[str, str] = VIEWER) -> tuple[dict, float]:
    started = time.perf_counter()
    response = httpx.post(url, json={"query": query}, headers=headers, timeout=30)
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 400), response.text
    return response.json(), elapsed


@pytest.mark.parametrize(
    ("query", "limit_named"),
    [(DEEP, "depth"), (ALIASES, "aliases"), (TOKENS, "token"), (COSTLY, "cost limit")],
    ids=["depth", "aliases", "tokens", "cost"],
)
def test_abuse_is_refused_everywhere(
    production: tuple[Stack, dict[str, int]], query: str, limit_named: str
) -> None:
    running, ports = production
    for where, url in endpoints(ports).items():
        body, _ = ask(url, query)  # how fast: bench/faults.py, as ratios
        assert not body.get("data"), (where, body)
        messages = " | ".join(e["message"] for e in body["errors"]).lower()
        assert limit_named in messages, (where, messages)
    for name in SERVICES:
        assert running[name].ready(), f"{name} stopped answering after the abuse"


def test_ordinary_queries_pass_the_limits(production: tuple[Stack, dict[str, int]]) -> None:
    _, ports = production
    response = httpx.post(
        endpoints(ports)["gateway"],
        headers=VIEWER,
        json={
            "query": PACK_QUERY,
            "variables": pack_variables(period=Period.parse("2024-07"), top_risks=5),
        },
    )
    body = response.json()
    assert "errors" not in body, body  # the pack's whole query is inside every limit
    assert body["data"]["programmes"]["items"] == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"}, VIEWER])
def test_no_schema_to_anyone_in_production(
    production: tuple[Stack, dict[str, int]], headers: dict[str, str]
) -> None:
    _, ports = production
    response = httpx.post(
        endpoints(ports)["gateway"], headers=headers, json={"query": INTROSPECTION}
    )
    body = response.json()
    assert not body.get("data") and "introspection" in body["errors"][0]["message"]
    for name in SERVICES:
        base = f"http://127.0.0.1:{ports[name]}"
        for path in ("/docs", "/openapi.json", "/redoc"):
            assert httpx.get(base + path).status_code == 404, (name, path)
        assert httpx.get(f"{base}/graphql", headers=VIEWER).status_code != 200, name
        direct = httpx.post(f"{base}/graphql", headers=headers, json={"query": INTROSPECTION})
        if headers is VIEWER:
            assert "introspection" in direct.json()["errors"][0]["message"], name
        else:
            assert direct.status_code == 401, (name, direct.text)


def test_bodies_over_the_limit_are_refused_and_nothing_is_stored(
    production: tuple[Stack, dict[str, int]],
) -> None:
    _, ports = production
    base = f"http://127.0.0.1:{ports['programmes']}"
    response = httpx.post(
        f"{base}/portfolios", headers=ADMIN, json={"code": "HUGE", "name": "x" * 200_000}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/payload-too-large")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{base}/portfolios", headers=ADMIN).json() == []


def test_security_headers_and_metrics(production: tuple[Stack, dict[str, int]]) -> None:
    _, ports = production
    base = f"http://127.0.0.1:{ports['risks']}"
    response = httpx.get(f"{base}/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    for name in SERVICES:
        httpx.get(f"http://127.0.0.1:{ports[name]}/healthz")
        # Production: only the scraper's token reads the metrics.
        for refused in ({}, VIEWER, {"Authorization": "Bearer hardening-scraper-tokeN"}):
            response = httpx.get(f"http://127.0.0.1:{ports[name]}/metrics", headers=refused)
            assert response.status_code == 401, (name, refused, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        metrics = httpx.get(f"http://127.0.0.1:{ports[name]}/metrics", headers=SCRAPER).text
        series = (
            f'cpmo_http_requests_total{{method="GET",route="/healthz",service="{name}",'
            'status="200"}'
        )
        assert series in metrics, name
        assert f'cpmo_db_pool_connections_in_use{{service="{name}"}}' in metrics, name
    gateway = f"http://127.0.0.1:{ports['gateway']}/metrics"
    for refused in ({}, VIEWER):
        assert httpx.get(gateway, headers=refused).status_code == 401, refused
    scraped = httpx.get(gateway, headers=SCRAPER)
    assert scraped.status_code == 200 and "# TYPE" in scraped.text
    # Hive's own series: the gateway's requests and its subgraph fetches.
    assert "graphql_envelop_request" in scraped.text, scraped.text[:500]


def test_no_field_suggestions_in_production(production: tuple[Stack, dict[str, int]]) -> None:
    _, ports = production
    for where, url in endpoints(ports).items():
        body, _ = ask(url, "{ programe { code } }")
        messages = " ".join(e["message"] for e in body["errors"])
        assert "programe" in messages and "Did you mean" not in messages, (where, messages)


def test_a_service_that_is_down_is_named(production: tuple[Stack, dict[str, int]]) -> None:
    running, ports = production
    base = f"http://127.0.0.1:{ports['programmes']}"
    portfolio = httpx.post(
        f"{base}/portfolios",
        headers=ADMIN,
        json={"code": "D", "name": "D", "rag_scale": RAG_SCALE},
    )
    person = httpx.post(f"{base}/people", headers=ADMIN, json={"name": "Down Test SAO"}).json()
    created = httpx.post(
        f"{base}/programmes",
        headers=ADMIN,
        json={
            "portfolio_id": portfolio.json()["id"],
            "code": "DOWN-1",
            "name": "Down",
            "sao_id": person["id"],
            "lead_member_id": person["id"],
        },
    )
    assert created.status_code == 201, created.text
    running["risks"].stop()
    query = {"query": "{ programmes { items { code risks { code } } } }"}
    response = httpx.post(endpoints(ports)["gateway"], json=query, headers=VIEWER, timeout=30)
    body = response.json()
    assert body["data"] == {"programmes": {"items": [{"code": "DOWN-1", "risks": None}]}}
    (error,) = body["errors"]
    assert error["message"] == "risks unavailable"
    assert error["extensions"]["service"] == "risks"
    assert "ECONNREFUSED" not in str(body) and "representations" not in str(body)
    # The gateway's error line for it carries the request id the caller was given (generated
    # here), and one the caller sends is used as it is.
    generated = response.headers["x-request-id"]
    sent = httpx.post(
        endpoints(ports)["gateway"],
        json=query,
        headers={**VIEWER, "x-request-id": "down-named-1"},
        timeout=30,
    )
    assert sent.headers["x-request-id"] == "down-named-1"
    for request_id in (generated, "down-named-1"):
        errors = [
            line
            for line in _log_lines(running["gateway"].log_path)
            if line.get("level") == "error" and line.get("requestId") == request_id
        ]
        assert any("risks" in json.dumps(line) for line in errors), (request_id, errors)
    # The pack's whole query with risks down: the programmes stay, the RAID reads blank.
    variables = pack_variables(period=Period.parse("2024-07"), top_risks=5)
    pack = httpx.post(
        endpoints(ports)["gateway"],
        json={"query": PACK_QUERY, "variables": variables},
        headers=VIEWER,
        timeout=30,
    ).json()
    assert [p["code"] for p in pack["data"]["programmes"]["items"]] == ["DOWN-1"]
    for read in (
        "currentHeatMap",
        "inherentHeatMap",
        "newRisks",
        "escalatedRisks",
        "riskRegister",
        "dependenciesAtRisk",
        "dependencyMap",
    ):
        assert pack["data"][read] is None, read
    # and the KPI reads still answer
    assert pack["data"]["kpis"] == {"items": []}
    assert pack["data"]["missingKpiValues"]["items"] == []
    assert pack["data"]["issuesPastDue"] is None
