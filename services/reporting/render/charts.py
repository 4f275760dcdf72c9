"""Charts drawn server-side as SVG, so HTML and PDF carry the same vectors and every mark
links to its record: a DCA strip (last month beside this month, per programme), horizontal
savings bars, the RAID heat map, the dependency map and KPI sparklines."""

from __future__ import annotations

import math
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


def _labelled(href: str | None, shape: str, x: float, y: float, label: str, **style: str) -> str:
    """A shape and its label at (x, y), linked as one mark; ``style`` holds the label's SVG
    attributes in order, ``font_size`` written ``font-size``."""
    attributes = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in style.items())
    return _link(href, f'{shape}<text x="{x:.1f}" y="{y:.1f}"{attributes}>{escape(label)}</text>')


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


KPI_COLOURS = {"Blue": "#1565c0", "Green": "#2e7d32", "Amber": "#f9a825", "Red": "#c62828"}


def sparkline(points: list[dict[str, Any]], target: float | None, title: str) -> str:
    """A KPI's values up to the pack's month as a line, the target dashed, each point in its
    colour (the last larger): the trend a board member reads before the numbers."""
    width, height, pad = 110, 26, 4
    values = [p["value"] for p in points]
    span = [*values, *([] if target is None else [target])]
    if not values:
        return ""
    low, high = min(span), max(span)
    scale = (height - 2 * pad) / (high - low) if high > low else 0.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return height / 2 if not scale else height - pad - (v - low) * scale

    xy = [(pad + i * step, y(v)) for i, v in enumerate(values)]
    body = []
    if target is not None:
        body.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
            'stroke="#888" stroke-dasharray="2,2" stroke-width="0.8"/>'
        )
    if len(xy) > 1:
        line = " ".join(f"{x:.1f},{v:.1f}" for x, v in xy)
        body.append(f'<polyline points="{line}" fill="none" stroke="#455a64" stroke-width="1"/>')
    for n, ((x, v), p) in enumerate(zip(xy, points, strict=True)):
        r = 2.6 if n == len(xy) - 1 else 1.4
        fill = KPI_COLOURS.get(p.get("colour") or "", "#9e9e9e")
        body.append(f'<circle cx="{x:.1f}" cy="{v:.1f}" r="{r}" fill="{fill}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="spark" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


DEPENDENCY_COLOURS = {
    "On track": "#2e7d32",
    "At risk": "#ef6c00",
    "Broken": "#c62828",
    "Met": "#78909c",
}


def dependency_map(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    node_link: Callable[[dict[str, Any]], str | None],
    edge_link: Callable[[dict[str, Any]], str],
) -> str:
    """Programmes (and the parties outside them) on a circle, the whole plan in the middle;
    each dependency an arrow from the one relying to the one relied on, coloured by status
    (the risks service's map, drawn the same way, for print)."""
    width, height = 700, 420
    cx, cy, radius = width / 2, height / 2 + 10, 165
    ring = [n for n in nodes if n["kind"] != "plan"]
    at: dict[str, tuple[float, float]] = {}
    for i, node in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, len(ring))
        at[node["id"]] = (cx + radius * 1.45 * math.cos(angle), cy + radius * math.sin(angle))
    for node in nodes:
        at.setdefault(node["id"], (cx, cy))
    labels = {
        n["id"]: n["label"] if len(n["label"]) <= 28 else n["label"][:27] + "…" for n in nodes
    }
    half = {key: 6 + 3.3 * len(text) for key, text in labels.items()}
    body = [
        "<defs>"
        + "".join(
            f'<marker id="dep-{i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>'
            "</marker>"
            for i, colour in enumerate(DEPENDENCY_COLOURS.values())
        )
        + "</defs>"
    ]
    markers = {status: i for i, status in enumerate(DEPENDENCY_COLOURS)}
    for e in edges:
        (x1, y1), (x2, y2) = at[e["source"]], at[e["target"]]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        # stop at the target's box so the arrowhead shows
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        stop = min(
            half[e["target"]] / abs(ux) if ux else math.inf, 12 / abs(uy) if uy else math.inf
        )
        tx, ty = x2 - ux * (stop + 2), y2 - uy * (stop + 2)
        colour = DEPENDENCY_COLOURS.get(e["status"], "#333")
        dash = ' stroke-dasharray="5,3"' if e.get("in_cycle") else ""
        line = (
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{tx:.1f}" y2="{ty:.1f}" stroke="{colour}" '
            f'stroke-width="2"{dash} marker-end="url(#dep-{markers.get(e["status"], 0)})"/>'
        )
        mid_x, mid_y = (x1 + tx) / 2 + 4, (y1 + ty) / 2 - 3
        body.append(
            _labelled(edge_link(e), line, mid_x, mid_y, e["code"], font_size="9", fill=colour)
        )
    fills = {"programme": "#e3f2fd", "other": "#fff8e1", "plan": "#ede7f6"}
    for n in nodes:
        x, y = at[n["id"]]
        box = (
            f'<rect x="{x - half[n["id"]]:.1f}" y="{y - 11:.1f}" width="{2 * half[n["id"]]:.1f}" '
            f'height="22" rx="4" fill="{fills.get(n["kind"], "#eee")}" stroke="#607d8b"/>'
        )
        label = labels[n["id"]]
        body.append(
            _labelled(node_link(n), box, x, y + 4, label, text_anchor="middle", font_size="10")
        )
    for i, (status, colour) in enumerate(DEPENDENCY_COLOURS.items()):
        body.append(
            f'<rect x="{10 + i * 90}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{26 + i * 90}" y="16">{status}</text>'
        )
    return _svg(width, height, "Dependency map", body)
