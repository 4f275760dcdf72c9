"""The demo pack rendered as a board member reads it: PDF pages with contents, page numbers
and charts; a workbook with a sheet per table; HTML whose figures are links."""

from __future__ import annotations

import io
import re
from typing import Any

import pypdf
import pytest
from openpyxl import load_workbook

from services.reporting.render import pdf, xlsx
from services.reporting.render.links import Links
from services.reporting.sections.kpis import flat
from services.reporting.service import render_html
from tests.reporting import demo_pack

LINKS = Links("http://programmes.test", "http://risks.test", "http://kpis.test")


@pytest.fixture(scope="module")
def content() -> dict[str, Any]:
    return demo_pack.content()


@pytest.fixture(scope="module")
def html(content: dict[str, Any]) -> str:
    return render_html(content, LINKS)


@pytest.fixture(scope="module")
def document(html: str) -> pypdf.PdfReader:
    # Laying out 20 pages takes seconds: once for the module.
    return pypdf.PdfReader(io.BytesIO(pdf.render(html)))


@pytest.fixture(scope="module")
def pages(document: pypdf.PdfReader) -> list[str]:
    return [page.extract_text() for page in document.pages]


def titles(outline: list[Any]) -> list[str]:
    found: list[str] = []
    for item in outline:
        found += titles(item) if isinstance(item, list) else [item["/Title"]]
    return found


def test_pdf_pages_contents_numbers_and_charts(pages: list[str], content: dict[str, Any]) -> None:
    count = len(pages)
    assert count >= 10, f"8 sections, 16 programme summaries: {count} pages is too few"
    for n, text in enumerate(pages, start=1):
        assert f"Page {n} of {count}" in text
    contents = pages[0]
    assert "Contents" in contents
    listed = {}
    for section in content["sections"]:
        found = re.search(re.escape(section["title"]) + r"[ .]*?(\d+)\s*$", contents, re.M)
        assert found, f"{section['title']} missing from the contents"
        listed[section["title"]] = int(found.group(1))
    # Each contents entry names the page its section opens on.
    for title, page in listed.items():
        assert title in pages[page - 1], f"{title} is not on page {page}"
    headline = pages[listed["2. Headline"] - 1]
    # The DCA chart is drawn: its column heads and a programme's bar label.
    assert "Last month" in headline and "This month" in headline
    savings = pages[listed["4. Savings"] - 1]
    for legend in ("target", "forecast", "delivered", "at risk", "£9.4m"):
        assert legend in savings
    assert "149,800,000" in savings
    raid = "\n".join(pages[listed["5. RAID"] - 1 : listed["6. KPI scorecard"] - 1])
    # The heat map is drawn: its heading, a cell's "current (inherent)" and the axes.
    assert "current (inherent) risks per cell" in raid
    assert "16 (0)" in raid and "0 (16)" in raid and "Impact" in raid
    assert "R-IRP-03-1" in raid and "I-IRP-02-1" in raid and "2024-06-30" in raid
    assert "I-OTHER-1" not in raid
    # current against target, dependencies at risk and the dependency map drawn
    assert "31 live risks: 11 above target, 15 at or below it, 5 with no target set." in " ".join(
        raid.split()
    )
    assert "Dependency map" in raid and "Whole plan" in raid and "IRP-D06b" in raid
    assert "On track" in raid and "Broken" in raid
    kpi_pages = pages[listed["6. KPI scorecard"] - 1 : listed["7. Exceptions"] - 1]
    kpis = " ".join(" ".join(kpi_pages).split())
    assert (
        "Scorecard by aim and outcome" in kpis and "AIM-1 A Financially Sustainable Council" in kpis
    )
    assert "Beyond limits 2024-07: demo: above the upper limit" in kpis
    assert "14 of 16" in kpis and "Vital signs" in kpis and "% on target" in kpis
    assert len(kpi_pages) <= 10, "61 KPIs with sparklines should not sprawl"
    exceptions = " ".join(
        " ".join(
            pages[listed["7. Exceptions"] - 1 : listed["8. Decisions and escalations"] - 1]
        ).split()
    )
    for text in ("R-IRP-04-2", "mitigation overdue", "review overdue", "KPI-07", "late"):
        assert text in exceptions, text


def test_pdf_figures_are_links(document: pypdf.PdfReader) -> None:
    reader = document
    uris = {
        a.get_object()["/A"]["/URI"]
        for page in reader.pages
        for a in page.get("/Annots") or []
        if "/URI" in a.get_object().get("/A", {})
    }
    assert "http://programmes.test/programmes/1" in uris
    assert "http://programmes.test/highlight-reports/101" in uris
    assert any(u.startswith("http://programmes.test/savings/") for u in uris)
    # RAID figures: a heat map cell's risks by code (the table under the chart), an issue
    assert "http://risks.test/risks/by-code/R-IRP-01-1" in uris
    assert "http://risks.test/issues/7" in uris
    assert "http://risks.test/dependencies/by-code/IRP-D06b" in uris
    assert "http://kpis.test/kpis/KPI-05/benchmarks" in uris
    assert "http://risks.test/mitigations/311" in uris
    outline = titles(reader.outline)
    assert "2. Headline" in outline and "8. Decisions and escalations" in outline


def test_html_figures_link_to_their_records(html: str, content: dict[str, Any]) -> None:
    for p in content["programmes"]:
        assert f'href="http://programmes.test/programmes/{p["programme_id"]}"' in html
        if p["dca"]:
            report = p["dca"]["highlight_report_id"]
            assert f'href="http://programmes.test/highlight-reports/{report}"' in html
        for r in p["top_risks"]:
            assert f'href="http://risks.test/risks/{r["risk_id"]}"' in html
    for i in content["savings"]["initiatives"]:
        if i["rag"] != "Green":
            assert f'href="http://programmes.test/savings/{i["savings_id"]}"' in html
    # DCA strip, savings bars, heat map, dependency map, and a sparkline per KPI with values
    with_values = [k for k in flat(content["kpis"]) or [] if k["sparkline"]]
    assert html.count('class="spark" viewBox') == len(with_values) == 53
    assert html.count("<svg") == 4 + len(with_values) and "<a href=" in html.split("<svg", 1)[1]
    heat = html.split("<svg")[3]
    graph = html.split("<svg")[4]
    assert "Dependency map" in graph and graph.count("<line") == 7
    assert '<a href="http://risks.test/dependencies/by-code/IRP-D06">' in graph
    assert '<a href="http://programmes.test/programmes/16">' in graph
    # the 2 cells with risks now link (16 each, so to the risks service's own heat map)
    assert heat.count('<a href="http://risks.test/views/heat-map">') == 2
    assert heat.count("<rect") == 25 and ">16 (0)<" in heat and ">0 (16)<" in heat
    for r in demo_pack.content()["raid"]["escalated_risks"]:
        assert f'href="http://risks.test/risks/{r["risk_id"]}"' in html
    assert 'href="http://risks.test/issues/3"' in html
    assert 'href="http://kpis.test/kpis/KPI-01/series">Beyond limits 2024-07</a>' in html
    for d in content["raid"]["dependencies_at_risk"]:
        assert f'href="http://risks.test/dependencies/{d["dependency_id"]}"' in html
    assert "watermelon" in html and "Demo data" in html


def test_workbook_has_a_sheet_per_table(content: dict[str, Any]) -> None:
    book = load_workbook(io.BytesIO(xlsx.render(content)))
    assert book.sheetnames == [
        "Asks", "Headline", "Programmes", "Milestones", "Savings by programme",
        "Savings by directorate", "Savings initiatives", "Risks", "New risks",
        "Escalated risks", "Risks against target", "Issues past due", "Dependencies at risk",
        "KPI scorecard", "KPI composites", "KPIs by programme", "Exceptions", "Decisions",
        "Escalations",
    ]  # fmt: skip
    target = list(book["Risks against target"].values)
    assert target[0] == ("Risk", "Risk id", "Title", "Owner", "Current", "Target", "To go")
    assert target[1][:2] == ("R-IRP-01-1", "11") and target[1][4:] == (16, 8, 8)
    assert len(target) == 1 + 11 + 5
    deps = list(book["Dependencies at risk"].values)[1:]
    assert [(d[0], d[6]) for d in deps] == [
        ("IRP-D04", "On track"), ("IRP-D06", "At risk"), ("IRP-D06b", "Broken")
    ]  # fmt: skip
    card = list(book["KPI scorecard"].values)
    assert len(card) == 62
    first = dict(zip(card[0], card[1], strict=True))
    assert (first["KPI"], first["KPI id"], first["Measurement id"]) == ("KPI-01", "1", "1001")
    assert first["SPC signal"] == "Beyond limits 2024-07" and first["Aim"] == "AIM-1"
    composites = list(book["KPI composites"].values)[1:]
    by_aim = [(a["aim_code"], a["composite"]["kpi_count"]) for a in content["kpis"]]
    assert [c[1:3] for c in composites if c[0] == "Aim"] == by_aim
    assert sum(c[2] for c in composites if c[0] == "Aim") == 61
    headline = list(book["Headline"].values)
    assert headline[0][0] == "Code" and len(headline) == 17
    by_programme = list(book["Savings by programme"].values)[1:]
    assert sum(row[1] for row in by_programme) == 149_800_000
    exceptions = [row[0] for row in list(book["Exceptions"].values)[1:]]
    assert "missing highlight report" in exceptions and "SMART: no owner" in exceptions
    for kind in ("unowned risk", "overdue mitigation", "overdue risk review", "KPI without data"):
        assert kind in exceptions, kind


def test_a_pack_composed_before_the_raid_and_kpi_views_still_renders(
    content: dict[str, Any],
) -> None:
    stored = {k: v for k, v in content.items() if k not in ("raid", "kpis", "vital_signs")}
    stored["exceptions"] = {
        k: v
        for k, v in content["exceptions"].items()
        if k
        in ("missing_reports", "stale_reports", "slipped_milestones", "no_rdl", "smart_failures")
    }
    html = render_html(stored, LINKS)
    assert html.count("<svg") == 2 and "Heat map" not in html and "Scorecard by aim" not in html
    assert "KPIs without data" not in html and "Dependency map" not in html
    assert 'href="http://kpis.test/kpis/KPI-01"' in html  # the per-programme tables stay


def test_raid_and_kpis_unavailable_are_said(content: dict[str, Any]) -> None:
    blank: dict[str, Any] = {
        "heat_map": None,
        "new_risks": None,
        "escalated_risks": [],
        "issues_past_due": None,
        "current_vs_target": None,
        "dependencies_at_risk": None,
        "dependency_map": None,
    }
    html = render_html({**content, "raid": blank, "kpis": None, "vital_signs": None}, LINKS)
    assert html.count("<svg") == 2
    assert "Heat map unavailable when composed." in html and "KPIs unavailable" in html
    assert "The risk register was unavailable when composed." in html
