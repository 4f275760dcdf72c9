"""Schemathesis against every service's OpenAPI document, as an admin (the caller who reaches
the most code), over HTTP to the real services on PostgreSQL: no input gets a 5xx, and every
answer is one the document declares (status code, content type, headers, body schema; `Allow`
on a 405).

Bounded and derandomised so a run is reproducible and fits the suite; raise CPMO_FUZZ_EXAMPLES
for a deeper search (the bench's fault suite does)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks
from schemathesis.core.failures import Failure, FailureGroup

from services.stack import SERVICES, Stack, components
from tests.conftest import auth, db_url, free_port, recreate

pytestmark = pytest.mark.e2e

ADMIN = auth("admin", "fuzz-admin")
CONFORMANCE = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.allow_header_conformance,
]
EXAMPLES = int(os.environ.get("CPMO_FUZZ_EXAMPLES", "6"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    env = {}
    for service in SERVICES:
        url = db_url(service, "_fuzz")
        recreate(url)
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"{service.upper()}_MIGRATE_ON_START"] = "true"
    running = Stack(components(ports=ports, log_dir=tmp_path_factory.mktemp("fuzz"), env=env))
    running.start(timeout=120)
    try:
        yield ports
    finally:
        for name in SERVICES:
            log = running[name].log_path
            Path(os.environ.get("CPMO_TEST_LOGS", "/tmp"), f"cpmo-fuzz-{name}.log").write_bytes(
                log.read_bytes()
            )
        running.stop()


def _base(ports: dict[str, int], service: str) -> str:
    return f"http://127.0.0.1:{ports[service]}"


@pytest.mark.parametrize("service", SERVICES)
def test_no_input_gets_a_server_error(stack: dict[str, int], service: str) -> None:
    base = _base(stack, service)
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err raises here, loudly
        operations += 1

        @given(case=operation.as_strategy())
        @BOUNDED
        def fuzz(case: Any) -> None:
            response = case.call(base_url=base, headers=ADMIN, timeout=30)
            try:
                case.validate_response(response, checks=CONFORMANCE)
            except (Failure, FailureGroup) as failed:
                found = failed.exceptions if isinstance(failed, FailureGroup) else [failed]
                failures.append(
                    f"{response.status_code} {case.method} {case.formatted_path}: "
                    + "; ".join(f"{f.title}: {f.message[:300]}" for f in found)
                    + f"\n  {response.text[:300]}\n  {case.as_curl_command()}"
                )

        fuzz()
    assert operations > 3, f"{service}'s OpenAPI document lists only {operations} operations"
    assert not failures, f"{len(failures)} nonconforming answers:\n" + "\n".join(failures[:30])
