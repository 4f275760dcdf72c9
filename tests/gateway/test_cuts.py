"""One cut per service through the real gateway (the ``CPMO-Cuts`` header), federated fields
included, and the pack composed at every service's cut, stored with them, and composed again
later from them with the same hash: all five components as processes on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services import demo
from services.stack import SERVICES, Stack, components
from tests.conftest import SERVICES as ALL
from tests.conftest import auth, db_url, free_port, recreate, token

pytestmark = pytest.mark.e2e

ADMIN = auth("admin", "cuts-admin")
EDITOR = auth("editor", "cuts-editor")
VIEWER = auth("viewer", "cuts-viewer")
PERIOD = "2024-07"

# Programme.risks is answered by the risks subgraph and Risk.programme by the programmes
# subgraph, each through _entities: both must read at their service's cut.
CROSSING = """query($code: String!) {
  programmeByCode(code: $code) {
    id code name version
    risks(top: 10) { id code residualScore version programme { id name version } }
  }
}"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, dict[str, int]]]:
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    env = {}
    for service in ALL:
        url = db_url(service, "_cuts")
        recreate(url)
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"{service.upper()}_MIGRATE_ON_START"] = "true"
    running = Stack(components(ports=ports, log_dir=Path(tmp_path_factory.mktemp("cuts")), env=env))
    running.start(timeout=120)
    try:
        urls = {n: f"http://127.0.0.1:{ports[n]}" for n in SERVICES}
        demo.load(urls, token(["admin"], "cuts-admin"), progress=lambda *_: None)
        yield running, ports
    finally:
        running.stop()


def base(ports: dict[str, int], name: str) -> str:
    return f"http://127.0.0.1:{ports[name]}"


def ask(
    ports: dict[str, int], query: str, variables: dict[str, Any], cuts: str | None = None
) -> dict[str, Any]:
    headers = {**VIEWER, **({"CPMO-Cuts": cuts} if cuts is not None else {})}
    response = httpx.post(
        f"{base(ports, 'gateway')}/graphql",
        headers=headers,
        json={"query": query, "variables": variables},
        timeout=60,
    )
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body


def cut(ports: dict[str, int], service: str) -> int:
    response = httpx.get(f"{base(ports, service)}/cut", headers=VIEWER)
    assert response.status_code == 200, response.text
    return int(response.json()["position"])


def programme_with_risks(ports: dict[str, int]) -> dict[str, Any]:
    found = ask(ports, "{ programmes(limit: 100) { items { code risks(top: 1) { id } } } }", {})
    assert "errors" not in found, found
    code = next(p["code"] for p in found["data"]["programmes"]["items"] if p["risks"])
    answer = ask(ports, CROSSING, {"code": code})
    assert "errors" not in answer, answer
    programme: dict[str, Any] = answer["data"]["programmeByCode"]
    return programme


def rename(ports: dict[str, int], programme: dict[str, Any], name: str) -> None:
    response = httpx.patch(
        f"{base(ports, 'programmes')}/programmes/{programme['id']}",
        headers={**ADMIN, "If-Match": f'"{programme["version"]}"'},
        json={"name": name},
    )
    assert response.status_code == 200, response.text


def rescore(ports: dict[str, int], risk_id: str) -> None:
    url = f"{base(ports, 'risks')}/risks/{risk_id}"
    current = httpx.get(url, headers=VIEWER)
    likelihood = 1 if current.json()["residual_likelihood"] != 1 else 2
    response = httpx.post(
        f"{url}/assessments",
        headers={**ADMIN, "If-Match": current.headers["ETag"]},
        json={
            "residual_likelihood": likelihood,
            "residual_impact": 1,
            "reason": "rescored after the cut (test)",
        },
    )
    assert response.status_code == 200, response.text


def errors_of(body: dict[str, Any]) -> list[tuple[int | None, str | None]]:
    found = []
    for error in body.get("errors") or []:
        extensions = error.get("extensions") or {}
        fields = [e.get("field") for e in extensions.get("errors") or []]
        found.append((extensions.get("status"), fields[0] if fields else None))
    return found


def test_federated_fields_read_at_each_services_cut(stack: tuple[Stack, dict[str, int]]) -> None:
    _, ports = stack
    before = programme_with_risks(ports)
    cuts = f"programmes={cut(ports, 'programmes')}, risks={cut(ports, 'risks')}"
    rename(ports, before, before["name"] + " (renamed after the cut)")
    rescore(ports, before["risks"][0]["id"])

    code = before["code"]
    live = ask(ports, CROSSING, {"code": code})
    assert "errors" not in live, live
    now = live["data"]["programmeByCode"]
    assert now["name"] != before["name"] and now["version"] == before["version"] + 1
    assert now["risks"] != before["risks"]  # the rescore and the rename both show live
    assert now["risks"][0]["programme"]["name"] == now["name"]

    at_cut = ask(ports, CROSSING, {"code": code}, cuts=cuts)
    assert "errors" not in at_cut, at_cut
    # Risk.programme (programmes' _entities) and Programme.risks (risks' _entities) read the
    # past as the root field did: the whole answer is the one taken before the changes.
    assert at_cut["data"]["programmeByCode"] == before

    # One service at its cut, the other live: the header names only risks.
    mixed = ask(ports, CROSSING, {"code": code}, cuts=cuts.split(", ")[1])
    assert "errors" not in mixed, mixed
    programme = mixed["data"]["programmeByCode"]
    assert programme["name"] == now["name"]
    assert [r["residualScore"] for r in programme["risks"]] == [
        r["residualScore"] for r in before["risks"]
    ]
    assert programme["risks"][0]["programme"]["name"] == now["name"]


@pytest.mark.parametrize(
    ("cuts", "field"),
    [
        ("programmes", "CPMO-Cuts"),  # not service=cut
        ("programmes=1, programmes=2", "CPMO-Cuts"),  # twice
        ("programmes=yesterday", "CPMO-Cuts"),  # neither a position nor an instant
        ("programmes=99999999999", "CPMO-Cuts"),  # after the current position
        ("programs=1", "CPMO-Cuts"),  # no such service: refused at the gateway
    ],
)
def test_a_bad_header_is_422_naming_it(
    stack: tuple[Stack, dict[str, int]], cuts: str, field: str
) -> None:
    _, ports = stack
    body = ask(ports, "{ programmes(limit: 1) { items { code } } }", {}, cuts=cuts)
    assert not (body.get("data") or {}).get("programmes"), body
    assert (422, field) in errors_of(body), body


def test_a_cut_argument_conflicting_with_the_header_is_422_on_cut(
    stack: tuple[Stack, dict[str, int]],
) -> None:
    _, ports = stack
    now = cut(ports, "programmes")
    query = "query($c: String) { programmes(limit: 1, cut: $c) { items { code } } }"
    conflict = ask(ports, query, {"c": str(now - 1)}, cuts=f"programmes={now}")
    assert (422, "cut") in errors_of(conflict), conflict
    same = ask(ports, query, {"c": str(now)}, cuts=f"programmes={now}")
    assert "errors" not in same, same
