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


def heat_map(cells: list[dict[str, Any]], link: Callable[[dict[str, Any]], str | None]) -> str:
    """Likelihood up, impact across; each cell in its band's colour shows risks now and (in
    brackets) before mitigation, so the board sees where mitigation moved them."""
    size, left, top = 64, 90, 24
    levels_l = sorted({c["likelihood"] for c in cells}, reverse=True)
    levels_i = sorted({c["impact"] for c in cells})
    body = [
        f'<text x="{left}" y="14" font-weight="bold">current (inherent) risks per cell</text>',
        f'<text x="0" y="{top + size * len(levels_l) // 2}">Likelihood</text>',
    ]
    for c in cells:
        x = left + levels_i.index(c["impact"]) * size
        y = top + levels_l.index(c["likelihood"]) * size
        inherent = "" if c["inherent"] is None else f" ({c['inherent']})"
        # an empty cell stays blank, so the eye goes to where the risks are
        label = "" if not c["current"] and not c["inherent"] else f"{c['current']}{inherent}"
        cell = (
            f'<rect x="{x}" y="{y}" width="{size - 2}" height="{size - 2}" '
            f"fill={quoteattr(c['colour'])}/>"
            f'<text x="{x + size // 2 - 1}" y="{y + size // 2 + 4}" text-anchor="middle" '
            f'font-size="14">{escape(label)}</text>'
        )
        body.append(_link(link(c) if c["current"] else None, cell))
    bottom = top + size * len(levels_l)
    for n, level in enumerate(levels_l):
        body.append(f'<text x="{left - 14}" y="{top + n * size + size // 2 + 4}">{level}</text>')
    for n, level in enumerate(levels_i):
        body.append(f'<text x="{left + n * size + size // 2 - 4}" y="{bottom + 14}">{level}</text>')
    body.append(
        f'<text x="{left + size * len(levels_i) // 2 - 20}" y="{bottom + 30}">Impact</text>'
    )
    return _svg(left + size * len(levels_i) + 10, bottom + 40, "RAID heat map", body)
