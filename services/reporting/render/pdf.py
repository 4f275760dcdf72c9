"""The pack as PDF: WeasyPrint lays out the stored HTML with its print CSS (A4 pages, running
title, page numbers, contents with page numbers, one bookmark per heading, SVG as vectors)."""

from __future__ import annotations

import weasyprint


def render(html: str, base_url: str | None = None) -> bytes:
    document = weasyprint.HTML(string=html, base_url=base_url, media_type="print")
    pdf = document.write_pdf()
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf
