"""One cut per service through the real gateway (the ``CPMO-Cuts`` header), federated fields
included, and the pack composed at every service's cut, stored with them, and composed again
later from them with the same hash: all five components as processes on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
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
SERVICES_WITH_CUTS = ("kpis", "programmes", "risks")

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


def sql(service: str, statement: str, *args: Any) -> list[Any]:
    """Run one statement on a service's database (to age a stored pack or a service's
    history, which no API may do)."""

    async def run() -> list[Any]:
        connection = await asyncpg.connect(db_url(service, "_cuts"))
        try:
            return list(await connection.fetch(statement, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def compose(ports: dict[str, int]) -> dict[str, Any]:
    response = httpx.post(
        f"{base(ports, 'reporting')}/packs",
        headers=EDITOR,
        json={"period": PERIOD, "portfolio_code": "IRP-2024"},
        timeout=120,
    )
    assert response.status_code == 201, response.text
    pack: dict[str, Any] = response.json()
    return pack


def verify(ports: dict[str, int], pack_id: int) -> httpx.Response:
    return httpx.post(
        f"{base(ports, 'reporting')}/packs/{pack_id}/verify", headers=VIEWER, timeout=120
    )


def restate_dca(ports: dict[str, int], programme_id: str) -> None:
    """A new highlight report for the pack's month, or its DCA changed if one is in."""
    programmes = base(ports, "programmes")
    reports = httpx.get(
        f"{programmes}/programmes/{programme_id}/highlight-reports", headers=VIEWER
    ).json()
    this_month = next((r for r in reports if r["period"] == PERIOD), None)
    if this_month is None:
        response = httpx.post(
            f"{programmes}/programmes/{programme_id}/highlight-reports",
            headers=ADMIN,
            json={"period": PERIOD, "dca": "Red", "dca_reason": "restated after the cut (test)"},
        )
        assert response.status_code == 201, response.text
        return
    dca = "Green" if this_month["dca"] != "Green" else "Red"
    response = httpx.patch(
        f"{programmes}/highlight-reports/{this_month['id']}",
        headers={**ADMIN, "If-Match": f'"{this_month["version"]}"'},
        json={"dca": dca, "dca_reason": "restated after the cut (test)"},
    )
    assert response.status_code == 200, response.text


def restate_kpi(ports: dict[str, int], content: dict[str, Any]) -> str:
    """A directorate system restates a KPI value the pack shows (a new revision)."""
    shown = next(
        k
        for p in content["programmes"]
        for k in p["kpi_scorecard"] or []
        if k["latest"] and k["latest"]["period"] == PERIOD
    )
    code = shown["code"]
    client = httpx.post(
        f"{base(ports, 'kpis')}/push-clients",
        headers=ADMIN,
        json={"client_id": "cuts-ledger", "name": "Ledger (test)", "kpi_codes": [code]},
    )
    assert client.status_code == 201, client.text
    response = httpx.post(
        f"{base(ports, 'kpis')}/kpis/{code}/measurements",
        headers={**auth("machine", "cuts-ledger", kpis=[code]), "Idempotency-Key": f"cuts-{code}"},
        json={
            "period": PERIOD,
            "value": float(shown["latest"]["value"]) + 1,
            "reason": "restated after the cut (test)",
        },
    )
    assert response.status_code == 201, response.text
    return str(code)


def test_a_pack_composed_at_its_cuts_says_the_same_later(
    stack: tuple[Stack, dict[str, int]],
) -> None:
    _, ports = stack
    before = {name: cut(ports, name) for name in SERVICES_WITH_CUTS}
    pack = compose(ports)
    content = pack["content"]
    assert pack["complete"], content.get("unavailable_sections")
    stored = content["cuts"]
    for name in SERVICES_WITH_CUTS:
        assert stored[name]["position"] >= before[name] and stored[name]["at"]
    assert content["read_live"] == []
    html = httpx.get(f"{base(ports, 'reporting')}/packs/{pack['id']}.html", headers=VIEWER).text
    for name in SERVICES_WITH_CUTS:
        assert f"{name} position {stored[name]['position']}" in html

    # Later, every service the pack read at a cut changes what it showed.
    shown = next(p for p in content["programmes"] if p["top_risks"])
    # ... each figure's record named with the version it was read at
    risk = shown["top_risks"][0]
    read = httpx.get(f"{base(ports, 'risks')}/risks/{risk['risk_id']}", headers=VIEWER).json()
    assert content["record_versions"]["risk"][str(risk["risk_id"])] == read["version"]
    assert content["record_versions"]["programme"][str(shown["programme_id"])] >= 1
    if shown["dca"]:
        report = str(shown["dca"]["highlight_report_id"])
        assert content["record_versions"]["highlight_report"][report] >= 1
    restate_dca(ports, shown["programme_id"])
    rescore(ports, shown["top_risks"][0]["risk_id"])
    kpi = restate_kpi(ports, content)

    proof = verify(ports, pack["id"])
    assert proof.status_code == 200, proof.text
    assert proof.json() | {"cuts": None} == {
        "pack_id": pack["id"],
        "stored_sha256": pack["content_sha256"],
        "regenerated_sha256": pack["content_sha256"],
        "stored_content_intact": True,
        "match": True,
        "differences": [],
        "cuts": None,
        "read_live": [],
    }
    assert proof.json()["cuts"] == stored
    through_gateway = ask(
        ports,
        "query($id: ID!) { verifyPack(id: $id) { match storedSha256 regeneratedSha256 } }",
        {"id": str(pack["id"])},
    )
    assert through_gateway == {
        "data": {
            "verifyPack": {
                "match": True,
                "storedSha256": pack["content_sha256"],
                "regeneratedSha256": pack["content_sha256"],
            }
        }
    }
    # Composed live now, the pack differs where the data changed.
    fresh = compose(ports)
    assert fresh["content_sha256"] != pack["content_sha256"]
    assert fresh["content"]["cuts"]["programmes"]["position"] > stored["programmes"]["position"]
    changed = next(p for p in fresh["content"]["programmes"] if p["code"] == shown["code"])
    assert changed["dca"] != shown["dca"] or changed["top_risks"] != shown["top_risks"]
    restated = fresh["content"]["record_versions"]["kpi_value"]
    assert restated != content["record_versions"]["kpi_value"], kpi

    # A stored pack altered behind the service's back no longer matches, and says where.
    tampered = dict(content, title=content["title"] + " (altered)")
    sql(
        "reporting",
        "UPDATE pack SET content = $1::json WHERE id = $2",
        json.dumps(tampered),
        pack["id"],
    )
    mismatch = verify(ports, pack["id"]).json()
    assert mismatch["match"] is False and mismatch["stored_content_intact"] is False
    assert mismatch["differences"] == ["title"]
    assert mismatch["stored_sha256"] == pack["content_sha256"]
    assert mismatch["regenerated_sha256"] == pack["content_sha256"]  # the data still agrees
    assert sql("reporting", "SELECT count(*) FROM pack")[0][0] == 2  # verify wrote nothing


def test_a_cut_a_service_no_longer_has_is_410_naming_it(
    stack: tuple[Stack, dict[str, int]],
) -> None:
    _, ports = stack
    pack = compose(ports)
    position = pack["content"]["cuts"]["programmes"]["position"]
    shown = pack["content"]["programmes"][0]
    current = httpx.get(
        f"{base(ports, 'programmes')}/programmes/{shown['programme_id']}", headers=VIEWER
    ).json()
    rename(ports, current, current["name"] + " (later)")  # a commit after the cut
    kept = sql("programmes", "SELECT position, at FROM asof_commit WHERE position <= $1", position)
    # programmes' history now begins after the pack's cut (as if pruned)
    sql("programmes", "DELETE FROM asof_commit WHERE position <= $1", position)
    try:
        gone = verify(ports, pack["id"])
    finally:
        sql(
            "programmes",
            "INSERT INTO asof_commit (position, at) SELECT * FROM unnest($1::bigint[], "
            "$2::timestamptz[])",
            [row[0] for row in kept],
            [row[1] for row in kept],
        )
    assert gone.status_code == 410, gone.text
    assert gone.json()["errors"][0]["field"] == "programmes"
    assert "history begins" in gone.json()["detail"]
    assert verify(ports, pack["id"]).json()["match"] is True


def test_verifying_with_a_service_down_is_503_naming_it(
    stack: tuple[Stack, dict[str, int]],
) -> None:
    running, ports = stack
    pack = compose(ports)
    running["risks"].stop()
    try:
        down = verify(ports, pack["id"])
    finally:
        running["risks"].start()
        deadline = time.monotonic() + 60
        while not running["risks"].ready() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert down.status_code == 503, down.text
    assert down.json()["errors"][0]["field"] == "risks"
    assert sql("reporting", "SELECT count(*) FROM pack WHERE id > $1", pack["id"])[0][0] == 0
