"""The pack says, under its title, the cut each service was read at (HTML and PDF)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pypdf

from services.reporting import cuts
from services.reporting.render import pdf
from services.reporting.render.links import Links
from services.reporting.service import render_html
from tests.reporting import demo_pack

LINKS = Links("http://programmes.test", "http://risks.test", "http://kpis.test")
TAKEN: cuts.Cuts = {
    "programmes": {"position": 120, "at": "2024-08-01T06:00:00.123456Z"},
    "risks": {"position": 45, "at": "2024-08-01T05:59:58Z"},
    "kpis": None,
}


def test_the_cuts_are_named_under_the_title() -> None:
    content = {**demo_pack.content(), **cuts.described(TAKEN)}
    html = render_html(content, LINKS)
    line = (
        "As of: kpis read live (no cut); programmes position 120 "
        "(2024-08-01 06:00:00 UTC); risks position 45 (2024-08-01 05:59:58 UTC)."
    )
    assert line in html
    printed = pdf.render(html)
    document = pypdf.PdfReader(io.BytesIO(printed))
    first = " ".join(document.pages[0].extract_text().split())
    assert "As of: kpis read live (no cut); programmes position 120" in first
    artefacts = Path(os.environ.get("CPMO_TEST_LOGS", "/tmp")) / "cpmo-pack-cuts"
    artefacts.mkdir(parents=True, exist_ok=True)
    (artefacts / "pack.pdf").write_bytes(printed)  # to look at
