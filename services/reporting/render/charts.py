"""Charts drawn server-side as SVG, so HTML and PDF carry the same vectors and every mark
links to its record. Two kinds are enough for now: a DCA strip (last month beside this month,
per programme) and horizontal savings bars."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

COLOURS = {
    "Green": "#2e7d32",
    "Amber/Green": "#9e9d24",
    "Amber": "#f9a825",
    "Amber/Red": "#ef6c00",
    "Red": "#c62828",
    None: "#e0e0e0",
}
FONT = 'font-family="DejaVu Sans, sans-serif" font-size="11"'


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _link(href: str | None, inner: str) -> str:
    return inner if href is None else f"<a href={quoteattr(href)}>{inner}</a>"


def dca_strip(programmes: list[dict[str, Any]], link: Callable[[str], str]) -> str:
    """Each programme's DCA last month and this month, as two coloured cells and an arrow."""
    row, label_w, cell = 20, 330, 90
    height = 30 + row * len(programmes) + 10
    body = [
        f'<text x="{label_w}" y="16" font-weight="bold">Last month</text>',
        f'<text x="{label_w + cell + 40}" y="16" font-weight="bold">This month</text>',
    ]
    for n, p in enumerate(programmes):
        y = 26 + n * row
        before = (p.get("dca_previous") or {}).get("value")
        now = (p.get("dca") or {}).get("value")
        name = f"{p['code']} {p['name']}"
        name = name if len(name) <= 50 else name[:49] + "…"
        label = f'<text x="0" y="{y + 13}">{escape(name)}</text>'
        body.append(_link(link(p["programme_id"]), label))
        for x, value in ((label_w, before), (label_w + cell + 40, now)):
            ink = "#000" if value in (None, "Amber") else "#fff"
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{row - 4}" rx="3" '
                f'fill="{COLOURS.get(value, COLOURS[None])}"/>'
                f'<text x="{x + 4}" y="{y + 12}" fill="{ink}">'
                f"{escape(value or 'none')}</text>"
            )
        arrow = {"improved": "▲", "worse": "▼", "same": "=", "new": "new"}.get(p["dca_change"], "")
        body.append(f'<text x="{label_w + cell + 8}" y="{y + 12}">{arrow}</text>')
    return _svg(label_w + 2 * cell + 60, height, "DCA by programme, last month and this", body)


def savings_bars(groups: list[dict[str, Any]], link: Callable[[dict[str, Any]], str | None]) -> str:
    """Target as an outline, forecast and delivered as bars inside it, at risk in red below."""
    row, label_w, bar_w = 34, 230, 380
    top = max((Decimal(g["target"]) for g in groups), default=Decimal(0))
    top = max(top, *(Decimal(g["forecast"]) for g in groups)) if groups else top
    scale = Decimal(bar_w) / top if top else Decimal(0)
    legend = [
        ("#ffffff", "target", "#455a64"),
        ("#90caf9", "forecast", None),
        ("#1565c0", "delivered", None),
        ("#c62828", "at risk", None),
    ]
    body = []
    for i, (fill, text, stroke) in enumerate(legend):
        x = label_w + i * 95
        outline = f' stroke="{stroke}"' if stroke else ""
        body.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{fill}"{outline}/>'
            f'<text x="{x + 16}" y="14">{text}</text>'
        )
    for n, g in enumerate(groups):
        y = 26 + n * row
        label = g["label"] if len(g["label"]) <= 36 else g["label"][:35] + "…"
        w = {k: int(Decimal(g[k]) * scale) for k in ("target", "forecast", "delivered", "at_risk")}
        body.append(_link(link(g), f'<text x="0" y="{y + 12}">{escape(label)}</text>'))
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{w["target"]}" height="16" fill="#fff" '
            'stroke="#455a64"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w["forecast"]}" height="10" fill="#90caf9"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w["delivered"]}" height="6" fill="#1565c0"/>'
            f'<rect x="{label_w}" y="{y + 19}" width="{w["at_risk"]}" height="6" fill="#c62828"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 12}">£{_short(g["target"])}</text>'
        )
    return _svg(label_w + bar_w + 80, 30 + row * len(groups), "Savings by programme", body)


def _short(value: str) -> str:
    """£ in millions when large: the bars' scale, not the ledger (the tables carry pence)."""
    amount = Decimal(value)
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:.1f}m"
    if amount >= 1_000:
        return f"{amount / 1_000:.0f}k"
    return f"{amount:.0f}"
