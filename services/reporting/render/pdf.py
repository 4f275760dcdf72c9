"""The pack as PDF: WeasyPrint lays out the stored HTML with its print CSS (A4 pages, running
title, page numbers, contents with page numbers, one bookmark per heading, SVG as vectors)."""

from __future__ import annotations

from services.common.errors import UpstreamUnavailable


def render(html: str, base_url: str | None = None) -> bytes:
    try:
        # Imported here: without Pango the service still serves everything but the PDF.
        import weasyprint
    except OSError as exc:
        raise UpstreamUnavailable(
            f"PDF rendering is not installed on this server ({exc})", field="pdf"
        ) from exc
    document = weasyprint.HTML(string=html, base_url=base_url, media_type="print")
    pdf = document.write_pdf()
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf
