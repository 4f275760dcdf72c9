"""The heat map and the dependency map as SVG, drawn from the same read models the JSON views
answer (Jinja2 templates: markup escaped, layout computed here)."""

from __future__ import annotations

import math
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.risks.views.schemas import DependencyMap, HeatMap

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["svg.j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
CELL = 56
LEFT = 96
STATUS_COLOURS = {
    "On track": "#2e7d32",
    "At risk": "#ef6c00",
    "Broken": "#c62828",
    "Met": "#78909c",
}
TITLES = {"inherent": "Inherent", "current": "Current", "target": "Target"}


def heat_map(maps: list[HeatMap], *, title: str, subtitle: str, bands: list[dict]) -> str:
    """Side-by-side panels (inherent, current, target) on the same matrix."""
    first = maps[0]
    size = len(first.likelihood_labels)
    grid = size * CELL
    panel_width = LEFT + grid + 30
    panels = []
    for index, heat in enumerate(maps):
        cells = [
            {
                **cell.model_dump(),
                "x": (cell.impact - 1) * CELL,
                "y": (size - cell.likelihood) * CELL,
                "over_line": cell.score >= heat.escalation_score,
            }
            for cell in heat.cells
        ]
        panels.append(
            {
                "x": 10 + index * panel_width,
                "title": TITLES[heat.score_kind.value],
                "total": sum(c.count for c in heat.cells),
                "unscored": heat.unscored,
                "cells": cells,
            }
        )
    width = 20 + panel_width * len(maps)
    return _env.get_template("heat_map.svg.j2").render(
        title=title,
        subtitle=subtitle,
        width=width,
        height=60 + 26 + grid + 40 + 50,
        top=70,
        left=LEFT,
        grid=grid,
        size=size,
        cell_size=CELL,
        panels=panels,
        likelihood_labels=first.likelihood_labels,
        impact_labels=first.impact_labels,
        matrix_code=first.matrix_code,
        matrix_version=first.matrix_version,
        escalation_score=first.escalation_score,
        bands=bands,
        legend_x=20,
    )


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def dependency_map(graph: DependencyMap, *, title: str, subtitle: str) -> str:
    """Nodes on a circle (the whole plan, if present, in the middle); curved edges coloured by
    status, dashed where they form a cycle."""
    count = len(graph.nodes)
    width = max(760, 240 + count * 80)
    height = width - 80
    cx, cy = width / 2, (height + 40) / 2
    radius = min(cx, cy - 40) - 110
    ring = [n for n in graph.nodes if n.kind != "plan"]
    positions: dict[str, tuple[float, float]] = {}
    for index, node in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * index / max(1, len(ring))
        positions[node.id] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    for node in graph.nodes:
        positions.setdefault(node.id, (cx, cy))
    widths = {n.id: 18 + 6.2 * len(_short(n.label)) for n in graph.nodes}
    fills = {"programme": "#e3f2fd", "other": "#fff8e1", "plan": "#ede7f6"}
    nodes = [
        {
            "x": positions[n.id][0],
            "y": positions[n.id][1],
            "w": widths[n.id],
            "short": _short(n.label),
            "label": n.label,
            "fill": fills.get(n.kind, "#eeeeee"),
        }
        for n in graph.nodes
    ]
    markers = {status: i + 1 for i, status in enumerate(STATUS_COLOURS)}
    edges = []
    for edge in graph.edges:
        (x1, y1), (x2, y2) = positions[edge.source], positions[edge.target]
        if edge.source == edge.target:  # a programme on one of its own activities: a loop
            x2, y2 = x1 + 12, y1 - 16
            x1, y1 = x1 - 12, y1 - 16
        # Bend each edge to its left so A->B and B->A stay apart; stop short of the box.
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1.0
        bend = 0.18 * length
        qx, qy = mx - dy / length * bend, my + dx / length * bend
        if edge.source == edge.target:
            qx, qy = (x1 + x2) / 2, y1 - 60
        reach = math.hypot(x2 - qx, y2 - qy) or 1.0
        # Stop where the curve enters the target's box (plus a gap), so the arrowhead shows.
        half_width = widths[edge.target] / 2
        ux, uy = abs(x2 - qx) / reach, abs(y2 - qy) / reach
        into_box = min(half_width / ux if ux else math.inf, 16 / uy if uy else math.inf)
        stop = 0 if edge.source == edge.target else into_box + 3
        tx, ty = x2 - (x2 - qx) / reach * stop, y2 - (y2 - qy) / reach * stop
        edges.append(
            {
                **edge.model_dump(),
                "path": f"M {x1:.1f} {y1:.1f} Q {qx:.1f} {qy:.1f} {tx:.1f} {ty:.1f}",
                "label_x": f"{(mx + qx) / 2:.1f}",
                "label_y": f"{(my + qy) / 2:.1f}",
                "colour": STATUS_COLOURS.get(edge.status, "#333"),
                "marker": markers.get(edge.status, 1),
            }
        )
    return _env.get_template("dependency_map.svg.j2").render(
        title=title,
        subtitle=subtitle,
        width=width,
        height=height,
        nodes=nodes,
        edges=edges,
        colours=STATUS_COLOURS,
    )
