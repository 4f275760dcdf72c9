"""OpenTelemetry traces across the real processes: one request through the gateway to two
subgraphs and their PostgreSQL databases arrives at an OTLP/HTTP receiver (the collector's
stand-in) as one trace, every span linked to its parent; with no endpoint configured, nothing of
the OpenTelemetry SDK is even imported."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.stack import SERVICES, Stack, components
from tests.conftest import ROOT, VIEWER, db_url, free_port, recreate
from tests.support.otlp import Receiver, Span

pytestmark = pytest.mark.e2e

QUERY = "{ programmes(limit: 1) { items { code } } kpis(limit: 1) { items { code } } }"
TRACED = ("programmes", "kpis")


@pytest.fixture(scope="module")
def traced_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Receiver, int]]:
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    with Receiver() as receiver:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            # Both SDKs read it: export batches every 200 ms instead of every 5 s.
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        }
        for service in SERVICES:
            url = db_url(service, "_traces")
            recreate(url)
            env[f"{service.upper()}_DATABASE_URL"] = url
            env[f"{service.upper()}_MIGRATE_ON_START"] = "true"
        logs = Path(tmp_path_factory.mktemp("traces"))
        running = Stack(components(ports=ports, log_dir=logs, env=env))
        running.start(timeout=120)
        try:
            yield receiver, ports["gateway"]
        finally:
            running.stop()


def _wait_for(receiver: Receiver, trace_id: str) -> list[Span]:
    """The trace once the gateway and both subgraphs (with their queries) have exported it."""
    deadline = time.monotonic() + 30
    while True:
        spans = receiver.trace(trace_id)
        services = {s.service for s in spans}
        queried = {s.service for s in spans if s.attributes.get("db.system") == "postgresql"}
        if {"gateway", *TRACED} <= services and set(TRACED) <= queried:
            # One more batch interval, for the spans still in flight.
            time.sleep(0.5)
            return receiver.trace(trace_id)
        if time.monotonic() > deadline:
            found = sorted({(s.service, s.name) for s in spans})
            raise AssertionError(f"trace incomplete after 30 s: {found}")
        time.sleep(0.2)


def _ancestors(span: Span, by_id: dict[str, Span]) -> list[Span]:
    chain = []
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        chain.append(span)
    return chain


def test_one_request_is_one_trace_from_gateway_to_database(
    traced_stack: tuple[Receiver, int],
) -> None:
    receiver, gateway_port = traced_stack
    # The caller's own span: the gateway continues its trace.
    trace_id, caller_span = os.urandom(16).hex(), os.urandom(8).hex()
    response = httpx.post(
        f"http://127.0.0.1:{gateway_port}/graphql",
        json={"query": QUERY},
        headers={**VIEWER, "traceparent": f"00-{trace_id}-{caller_span}-01"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.json()

    spans = _wait_for(receiver, trace_id)
    by_id = {s.span_id: s for s in spans}
    assert len(by_id) == len(spans), "a span id was reused"
    # Every span hangs from another of this trace, except the gateway's root, from the caller's.
    roots = [s for s in spans if s.parent_id not in by_id]
    assert [(r.service, r.parent_id) for r in roots] == [("gateway", caller_span)], roots

    for service in TRACED:
        servers = [s for s in spans if s.service == service and s.kind == "server"]
        assert servers, f"no server span from {service}"
        for server in servers:
            parent = by_id[server.parent_id]
            # The subgraph's request is a child of the gateway's fetch to it.
            assert (parent.service, parent.kind) == ("gateway", "client"), (server, parent)
        queries = [s for s in spans if s.service == service and "db.system" in s.attributes]
        assert queries, f"no database span from {service}"
        server_ids = {s.span_id for s in servers}
        for query in queries:
            assert query.kind == "client"
            assert query.attributes["db.system"] == "postgresql"
            chain = _ancestors(query, by_id)
            assert server_ids & {a.span_id for a in chain}, (query, chain)
            assert chain[-1] == roots[0]
    # Nothing from another service: reporting and risks were not asked.
    assert {s.service for s in spans} == {"gateway", *TRACED}


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:9"])
def test_opentelemetry_is_imported_only_when_configured(endpoint: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    if endpoint:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    # FastAPI imports the OpenTelemetry API itself; the SDK, exporter and instrumentations
    # (the weight) must stay out unless an endpoint is set.
    probe = (
        "import sys, services.kpis.main; "
        "print(sorted({'.'.join(m.split('.')[:2]) for m in sys.modules "
        "if m.startswith(('opentelemetry.sdk', 'opentelemetry.exporter', "
        "'opentelemetry.instrumentation'))}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    expected = (
        "['opentelemetry.exporter', 'opentelemetry.instrumentation', 'opentelemetry.sdk']"
        if endpoint
        else "[]"
    )
    assert out == expected, out


@pytest.mark.parametrize(
    ("sampler", "expected"),
    [
        ({}, "ParentBased{root:AlwaysOnSampler"),
        (
            {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
            "ParentBased{root:TraceIdRatioBased{0.25}",
        ),
        ({"OTEL_TRACES_SAMPLER": "always_off"}, "AlwaysOffSampler"),
    ],
)
def test_the_sampler_is_the_standard_variables(sampler: dict[str, str], expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"
    env.update(sampler)
    probe = (
        "import services.kpis.main; from services.common import tracing; "
        "print(tracing._provider.sampler.get_description())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out.startswith(expected), out


@pytest.mark.parametrize(
    ("sampler", "kept"),
    [
        # Unset: parentbased_always_on. New traces are kept; a caller's decision is followed.
        ({}, {"new": True, "sampled": True, "unsampled": False}),
        # A ratio of 0 keeps no new trace, but still every trace a caller sampled.
        (
            {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"},
            {"new": False, "sampled": True, "unsampled": False},
        ),
    ],
)
def test_the_gateway_samples_by_the_standard_variables(
    sampler: dict[str, str], kept: dict[str, bool], tmp_path: Path
) -> None:
    with Receiver() as receiver:
        ports = {name: free_port() for name in (*SERVICES, "gateway")}
        port = ports["gateway"]
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            **sampler,
        }
        parts = components(ports=ports, log_dir=tmp_path, env=env)
        running = Stack(
            [p for p in parts if p.name == "gateway"]
        )  # no subgraph: its fetch fails, its spans are still made
        running.start(timeout=90)
        try:
            traces = {}
            for case, flags in (("new", None), ("unsampled", "00"), ("sampled", "01")):
                trace_id = os.urandom(16).hex()
                headers = dict(VIEWER)
                if flags is not None:
                    headers["traceparent"] = f"00-{trace_id}-{os.urandom(8).hex()}-{flags}"
                    traces[case] = trace_id
                httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ programmesCut { position } }"},
                    headers=headers,
                    timeout=30,
                )
            # The caller-sampled trace is kept in every case: once it is in, so is all before it.
            deadline = time.monotonic() + 30
            while not receiver.trace(traces["sampled"]) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(0.5)
            exported = {s.trace_id for s in receiver.spans}
        finally:
            running.stop()
    assert (traces["sampled"] in exported) is kept["sampled"]
    assert (traces["unsampled"] in exported) is kept["unsampled"]
    # A new trace's id is the gateway's own: any trace but the caller's two is a new one.
    assert bool(exported - {traces["sampled"], traces["unsampled"]}) is kept["new"], exported
