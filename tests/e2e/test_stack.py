"""All five components as real processes on PostgreSQL: load the plan, push a KPI value over
REST with a machine token, read it back through the gateway in a query that crosses services,
compose a pack and find the value in it."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pypdf
import pytest

from services import demo, demo_month
from services.reporting import cli as reporting_cli
from services.reporting.sections.kpis import flat as kpi_rows
from services.stack import SERVICES, Stack, components
from tests.conftest import SERVICES as ALL
from tests.conftest import auth, db_url, free_port, recreate, token

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, dict[str, int]]]:
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    env = {}
    for service in ALL:
        url = db_url(service, "_e2e")
        recreate(url)
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"{service.upper()}_MIGRATE_ON_START"] = "true"
    logs = tmp_path_factory.mktemp("logs")
    running = Stack(components(ports=ports, log_dir=Path(logs), env=env))
    running.start(timeout=120)
    try:
        yield running, ports
    finally:
        running.stop()


def url(ports: dict[str, int], name: str, path: str = "") -> str:
    return f"http://127.0.0.1:{ports[name]}{path}"


CROSSING = """query($code: String!) {
  programmeByCode(code: $code) {
    code sao { name } leadMember { name } aimCode
    risks(top: 2) { code residualScore programme { code } }
    kpis { code latest(upToPeriod: "2024-07") { value period revision colour } }
  }
}"""


def assert_raid_seed(ports: dict[str, int], admin: str) -> None:
    """The RAID seed: the plan's 6 overarching dependencies (D06 drawn as its two ends), the
    2015 report's 7 risks with their actions; its heat map and dependency map kept to look at."""
    headers = {"Authorization": f"Bearer {admin}"}
    graph = httpx.get(url(ports, "risks", "/views/dependency-map"), headers=headers).json()
    assert sorted(e["code"] for e in graph["edges"]) == [
        "IRP-D01", "IRP-D02", "IRP-D03", "IRP-D04", "IRP-D05", "IRP-D06", "IRP-D06b",
    ]  # fmt: skip
    assert any(n["label"].startswith("IRP-16") for n in graph["nodes"])
    fcp = httpx.get(url(ports, "risks", "/risks/by-code/FCP-2015-R03"), headers=headers).json()
    actions = httpx.get(url(ports, "risks", f"/risks/{fcp['id']}/mitigations"), headers=headers)
    assert len(actions.json()) == 4
    heat = httpx.get(url(ports, "risks", "/views/heat-map"), headers=headers).json()
    assert sum(c["count"] for c in heat["cells"]) >= 8 + 7
    artefacts = Path(os.environ.get("CPMO_TEST_LOGS", "/tmp")) / "cpmo-raid-seed"
    artefacts.mkdir(parents=True, exist_ok=True)
    for name in ("heat-map", "dependency-map"):
        picture = httpx.get(url(ports, "risks", f"/views/{name}.svg"), headers=headers)
        assert picture.status_code == 200 and picture.text.startswith("<svg")
        (artefacts / f"{name}.svg").write_text(picture.text)


def test_push_read_through_gateway_and_pack(
    stack: tuple[Stack, dict[str, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    running, ports = stack
    admin = token(["admin"], "e2e-admin")
    created = demo.load({n: url(ports, n) for n in SERVICES}, admin, progress=lambda *_: None)
    # Three portfolios: the 2024 plan's 16 programmes, the 2015 plan's five action plans and
    # the 2018 governance plan's six themes.
    assert created["programmes"] == 27 and created["risks"] >= 24 and created["kpis"] >= 3
    again = demo.load({n: url(ports, n) for n in SERVICES}, admin, progress=lambda *_: None)
    assert again == {}, "loading the demo twice must create nothing"
    assert_raid_seed(ports, admin)

    # Both plans can be browsed side by side through the gateway.
    plans = httpx.post(
        url(ports, "gateway", "/graphql"),
        headers=auth("viewer", "e2e-viewer"),
        json={
            "query": """{ programmes(portfolioCode: "OIAP-2015", limit: 10) { items {
            code actions { number timescale } latestHighlightReport { period confidence }
            keyActivities { title status } } } }"""
        },
    ).json()
    assert "errors" not in plans, plans
    action_plans = plans["data"]["programmes"]["items"]
    three = httpx.post(
        url(ports, "gateway", "/graphql"),
        headers=auth("viewer", "e2e-viewer"),
        json={"query": "{ portfolios { items { code ragScale { code meaning common } } } }"},
    ).json()
    assert "errors" not in three, three
    scales = {p["code"]: p["ragScale"] for p in three["data"]["portfolios"]["items"]}
    assert set(scales) == {"IRP-2024", "OIAP-2015", "CGIP-2018"}
    assert {"code": "Amber", "meaning": "on track", "common": "GREEN"} in scales["CGIP-2018"]
    assert [p["code"] for p in action_plans] == ["AP-1", "AP-2", "AP-3", "AP-4", "AP-5"]
    assert action_plans[0]["actions"][0]["number"] == "1.1"
    assert action_plans[0]["latestHighlightReport"]["period"] == "2015-04"

    # A directorate system pushes a value for a KPI it is granted, and retries.
    machine = auth("machine", "finance-ledger", kpis=["KPI-01"])
    # The demo holds a value for July 2024 already, so this one restates it, with a reason.
    push = {"period": "2024-07", "value": 0.75, "reason": "ledger close re-run"}
    key = {"Idempotency-Key": "ledger-2024-07-001"}
    first = httpx.post(
        url(ports, "kpis", "/kpis/KPI-01/measurements"), headers={**machine, **key}, json=push
    )
    assert first.status_code == 201, first.text
    retry = httpx.post(
        url(ports, "kpis", "/kpis/KPI-01/measurements"), headers={**machine, **key}, json=push
    )
    assert retry.status_code == 200 and retry.json() == first.json()
    refused = httpx.post(
        url(ports, "kpis", "/kpis/KPI-02/measurements"), headers={**machine, **key}, json=push
    )
    assert refused.status_code == 403

    # One query through the gateway crosses programmes, risks and kpis.
    request_id = "e2e-trace-0001"
    response = httpx.post(
        url(ports, "gateway", "/graphql"),
        headers={**auth("viewer", "e2e-viewer"), "x-request-id": request_id},
        json={"query": CROSSING, "variables": {"code": "IRP-01"}},
    )
    body = response.json()
    assert "errors" not in body, body
    programme = body["data"]["programmeByCode"]
    assert programme["sao"]["name"] == "Director of Finance and Section 151 Officer"
    assert programme["risks"] and programme["risks"][0]["programme"]["code"] == "IRP-01"
    scores = [r["residualScore"] for r in programme["risks"]]
    assert scores == sorted(scores, reverse=True)
    kpi = next(k for k in programme["kpis"] if k["code"] == "KPI-01")
    assert kpi["latest"]["value"] == 0.75 and kpi["latest"]["period"] == "2024-07"
    # The request id travelled from the client through the gateway to every subgraph.
    for name in ("programmes", "risks", "kpis"):
        assert request_id in running[name].log_path.read_text(), f"{name} never saw the request id"

    # The pack for the period is composed through the gateway and carries the value.
    editor = auth("editor", "cpmo-analyst")
    pack = httpx.post(
        url(ports, "reporting", "/packs"),
        headers=editor,
        json={"period": "2024-07", "portfolio_code": "IRP-2024"},
        timeout=60,
    )
    assert pack.status_code == 201, pack.text
    content = pack.json()["content"]
    assert content["programme_count"] == 16 and pack.json()["complete"] is True
    irp01 = next(p for p in content["programmes"] if p["code"] == "IRP-01")
    row = next(k for k in irp01["kpi_scorecard"] if k["code"] == "KPI-01")
    assert row["latest"]["value"] == 0.75
    assert row["latest"]["measurement_id"] == str(first.json()["id"])
    html = httpx.get(url(ports, "reporting", f"/packs/{pack.json()['id']}.html"), headers=editor)
    assert html.status_code == 200 and "0.75" in html.text and "IRP-01" in html.text

    # Composed again from the same data, the pack says the same.
    again_pack = httpx.post(
        url(ports, "reporting", "/packs"),
        headers=editor,
        json={"period": "2024-07", "portfolio_code": "IRP-2024"},
        timeout=60,
    )
    assert again_pack.json()["content_sha256"] == pack.json()["content_sha256"]
    # Both compositions are counted and timed (ours is the only reporting process here).
    scraped = httpx.get(url(ports, "reporting", "/metrics")).text
    assert 'cpmo_pack_runs_total{result="done",trigger="request"} 2.0' in scraped
    assert 'cpmo_pack_run_duration_seconds_count{result="done",trigger="request"} 2.0' in (scraped)
    assert json.dumps(again_pack.json()["content"], sort_keys=True) == json.dumps(
        content, sort_keys=True
    )

    # The demo pack as a board member gets it: a PDF with contents and page numbers, a
    # workbook, and what changed since the first composition (nothing).
    pdf = httpx.get(
        url(ports, "reporting", f"/packs/{pack.json()['id']}.pdf"), headers=editor, timeout=120
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages]
    assert "Contents" in pages[0] and f"Page 1 of {len(pages)}" in pages[0]
    assert any("Last month" in text and "This month" in text for text in pages)
    xlsx = httpx.get(url(ports, "reporting", f"/packs/{pack.json()['id']}.xlsx"), headers=editor)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    changed = httpx.get(
        url(ports, "reporting", f"/packs/{again_pack.json()['id']}/diff"),
        headers=editor,
        params={"against": pack.json()["id"]},
    ).json()
    assert changed["dca_moves"] == [] and changed["new_risks"] == []
    # `cpmo pack` composes a month and writes its files, step by step.
    said: list[str] = []
    out = tmp_path_factory.mktemp("pack")
    done = reporting_cli.run(
        url=url(ports, "reporting"),
        token=token(["editor"], "e2e-cli"),
        period="2024-07",
        portfolio_code="IRP-2024",
        out=out,
        progress=said.append,
    )
    assert done == 0, said
    assert [line.split(" ")[0] for line in said if line.startswith("[")] == [
        "[1/4]", "[2/4]", "[3/4]", "[4/4]",
    ]  # fmt: skip
    assert sorted(p.suffix for p in out.iterdir()) == [".html", ".pdf", ".xlsx"]
    # Packs are reachable through the gateway too, with their lifecycle state.
    listed = httpx.post(
        url(ports, "gateway", "/graphql"),
        headers=editor,
        json={"query": '{ packs(period: "2024-07") { items { id status contentSha256 } } }'},
    ).json()
    assert "errors" not in listed, listed
    assert {p["status"] for p in listed["data"]["packs"]["items"]} == {"draft"}


def test_the_demo_month_fills_every_section_of_its_pack(
    stack: tuple[Stack, dict[str, int]],
) -> None:
    """What `./cpmo up` loads for its reporting month, read back as the board's pack."""
    _, ports = stack
    admin = token(["admin"], "e2e-admin")
    demo.load({n: url(ports, n) for n in SERVICES}, admin, progress=lambda *_: None)
    response = httpx.post(
        url(ports, "reporting", "/packs"),
        headers=auth("editor", "cpmo-analyst"),
        json={"period": demo_month.PERIOD, "portfolio_code": "IRP-2024"},
        timeout=120,
    )
    assert response.status_code == 201, response.text
    pack = response.json()
    content = pack["content"]
    # Under heavy machine load a section can time out; say which, so a failure explains itself.
    assert content["unavailable_sections"] == [], content["unavailable_sections"]
    assert pack["complete"] is True
    assert content["period"] == "2025-03" and content["previous_period"] == "2025-02"
    # 1. Escalations awaiting the TIB become asks.
    asks = content["purpose"]["escalations_awaiting"]
    awaiting = {(e["programme_code"], e["kind"]) for e in asks}
    assert awaiting == {
        ("IRP-06", "programme_exception"), ("IRP-15", "programme_exception"), ("IRP-06", "risk"),
    }  # fmt: skip
    # 2. and 3. Every programme's DCA this month beside last month's, the change marked.
    by_code = {p["code"]: p for p in content["programmes"]}
    assert len(by_code) == 16
    assert (by_code["IRP-06"]["dca"]["value"], by_code["IRP-06"]["dca_previous"]["value"]) == (
        "Red",
        "Amber/Red",
    )
    assert by_code["IRP-06"]["dca_change"] == "worse"
    assert by_code["IRP-14"]["dca_change"] == "improved"
    assert by_code["IRP-16"]["dca"]["stale"] is True  # its March report never came
    moves = content["headline"]["moves"]
    assert moves["improved"] == 4 and moves["worse"] == 4 and moves["same"] == 8
    # 4. Savings for 2024/25 add up to the plan's £149.8m.
    savings = content["savings"]
    assert savings["financial_year"] == "2024/25"
    assert savings["total"]["target"] == "149800000.00"
    assert len(savings["initiatives"]) == 19 and len(savings["by_directorate"]) == 7
    # 5. RAID: the month's new risk, the risks escalated in it, the issue past due.
    raid = content["raid"]
    # new: identified in March (the plan's own risks were recorded on the day the demo loaded)
    assert [r["code"] for r in raid["new_risks"]] == ["DEMO-R01"]
    assert {r["code"] for r in raid["escalated_risks"]} == {"IRP-R14", "IRP-R24"}
    assert [i["code"] for i in raid["issues_past_due"]] == ["DEMO-I01"]
    # The 2015 plan's plan-wide risks are not the 2024 plan's: not mapped, not listed.
    mapped = {c for cell in raid["heat_map"]["cells"] for c in cell["current_codes"]}
    live = raid["current_vs_target"]
    listed = {r["code"] for k in ("above_target", "at_target", "no_target") for r in live[k]}
    assert "IRP-R01" in mapped and "IRP-R01" in listed  # the 2024 plan's own plan-wide risk
    assert not any(c.startswith("FCP-2015") for c in mapped | listed), mapped | listed
    # 6. KPIs have values for the month; the composites are the KPI service's up to March.
    latest = [k["latest"] for k in kpi_rows(content["kpis"]) or [] if k["latest"]]
    assert any(v["period"] == "2025-03" for v in latest)
    service = httpx.get(
        url(ports, "kpis", "/kpis/composites"),
        headers={"Authorization": f"Bearer {admin}"},
        params={"grouping": "aim", "up_to_period": "2025-03", "portfolio_code": "IRP-2024"},
    ).json()
    assert [
        (a["aim_code"], a["composite"]["with_data"], a["composite"]["on_target"])
        for a in content["kpis"]
    ] == [(c["group"], c["with_data"], c["on_target"]) for c in service]
    # 7. Exceptions: the missing March report; the milestones the month's progress left slipped.
    assert [r["code"] for r in content["exceptions"]["stale_reports"]] == ["IRP-16"]
    slipped = {m["title"] for m in content["exceptions"]["slipped_milestones"]}
    assert "Income Management Solution Go-Live" in slipped and len(slipped) == 10, slipped
    # 8. The month's decisions, not February's; one resolved an escalation.
    decisions = content["decisions"]["decisions"]
    assert [d["reference"] for d in decisions] == ["TIB/2025/03/1", "TIB/2025/03/2"]
    assert decisions[1]["escalation_id"] is not None
    # The month's escalations by the days they were raised (loaded today, dated March), and
    # February's resolved by March's decision; the risks' escalations dated with their steps.
    escalations = [
        (e["raised_on"], e["programme_code"], e["kind"], e["status"], e["resolved_on"])
        for e in content["decisions"]["escalations"]
    ]
    assert escalations == [
        ("2025-02-20", "IRP-14", "programme_exception", "resolved", "2025-03-13"),
        ("2025-03-06", "IRP-06", "programme_exception", "open", None),
        ("2025-03-06", "IRP-06", "risk", "open", None),
        ("2025-03-11", "IRP-15", "programme_exception", "open", None),
        ("2025-03-11", "IRP-15", "risk", "open", None),
    ], escalations
    # As a board member gets it: every section in the PDF, the charts drawn, kept to look at.
    editor = auth("editor", "cpmo-analyst")
    html = httpx.get(url(ports, "reporting", f"/packs/{pack['id']}.html"), headers=editor).text
    assert html.count("<svg") >= 3 and "Demo:" in html
    pdf = httpx.get(
        url(ports, "reporting", f"/packs/{pack['id']}.pdf"), headers=editor, timeout=300
    )
    assert pdf.status_code == 200, pdf.text
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages]
    text = "\n".join(pages)
    for section in content["sections"]:
        assert section["title"] in text, section["title"]
    assert "Last month" in text and "This month" in text and "149,800,000" in text
    artefacts = Path(os.environ.get("CPMO_TEST_LOGS", "/tmp")) / "cpmo-demo-month"
    artefacts.mkdir(parents=True, exist_ok=True)
    (artefacts / "pack-2025-03.pdf").write_bytes(pdf.content)


def test_one_service_down_degrades_the_answer(stack: tuple[Stack, dict[str, int]]) -> None:
    running, ports = stack
    running["risks"].stop()
    response = httpx.post(
        url(ports, "gateway", "/graphql"),
        headers=auth("viewer"),
        json={"query": CROSSING, "variables": {"code": "IRP-02"}},
    )
    body = response.json()
    programme = body["data"]["programmeByCode"]
    assert programme["code"] == "IRP-02" and programme["risks"] is None
    assert programme["kpis"] is not None
    assert body["errors"]
