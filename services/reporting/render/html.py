"""The pack as HTML: printable, one section per page in print, every figure a link."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from services.reporting.render import charts
from services.reporting.render.links import Links

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parents[1] / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def gbp(value: str | None) -> str:
    """Pounds with thousands separated; pence only where there are any."""
    if value is None:
        return ""
    amount = Decimal(value)
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def figure(value: float | None, unit: str | None) -> str:
    """A KPI value as the council writes it: £ before, % after, thousands separated, no
    trailing zeros (the JSON keeps the value as measured)."""
    if value is None:
        return ""
    amount = f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit == "£":
        return f"£{amount}"
    return f"{amount}%" if unit == "%" else f"{amount} {unit or ''}".rstrip()


TEMPLATES.filters["gbp"] = gbp
TEMPLATES.filters["figure"] = figure


def render(content: dict[str, Any], links: Links) -> str:
    programmes = content.get("programmes") or []
    savings = content.get("savings") or {}
    heat = (content.get("raid") or {}).get("heat_map")
    graph = (content.get("raid") or {}).get("dependency_map")
    drawn: dict[str, Any] = {
        "dca": charts.dca_strip(programmes, links.programme) if programmes else "",
        "savings": charts.savings_bars(
            savings.get("by_programme") or [],
            lambda g: links.programme(g["programme_id"]) if g.get("programme_id") else None,
        )
        if savings.get("by_programme")
        else "",
        "heat_map": charts.heat_map(heat["cells"], lambda c: _cell_link(c, links))
        if heat and heat["cells"]
        else "",
        "dependency_map": charts.dependency_map(
            graph["nodes"],
            graph["edges"],
            lambda n: links.programme(n["programme_id"]) if n["programme_id"] else None,
            lambda e: links.dependency_by_code(e["code"]),
        )
        if graph and graph["edges"]
        else "",
        "spark": _spark,
    }
    return TEMPLATES.get_template("pack.html").render(pack=content, links=links, charts=drawn)


def _spark(kpi: dict[str, Any]) -> str:
    return charts.sparkline(
        kpi.get("sparkline") or [], kpi.get("target"), f"{kpi['code']} up to its latest value"
    )


def _cell_link(cell: dict[str, Any], links: Links) -> str:
    """One risk: its record; several: the risks service's own heat map, which lists them."""
    codes = cell["current_codes"]
    return links.risk_by_code(codes[0]) if len(codes) == 1 else links.heat_map()
