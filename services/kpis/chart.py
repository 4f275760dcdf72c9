"""A KPI's series as a picture: values coloured as the council rates them, the target and its
tolerance band by financial year, and the XmR chart's mean, limits and signals.

matplotlib is imported on first use, so the service starts (and pushes run) without it loaded.
"""

from __future__ import annotations

import io
from typing import Literal

from services.kpis.models import Kpi
from services.kpis.schemas import KpiSeries, Unit

COLOURS = {"Blue": "#1f5fbf", "Green": "#2e8b3e", "Amber": "#e0a100", "Red": "#c62828"}
Format = Literal["png", "svg"]


def render(kpi: Kpi, series: KpiSeries, fmt: Format = "png") -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, accessible
    # Element ids from a fixed salt, not a random one: the same series draws the same bytes
    # (a chart read at a cut is the chart drawn then).
    matplotlib.rcParams["svg.hashsalt"] = "cpmo"
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure: Figure = plt.figure(figsize=(11, 4.2), dpi=110)
    axes = figure.add_subplot()
    try:
        points = series.points
        xs = list(range(len(points)))
        labels = [p.period for p in points]
        values = [p.value for p in points]
        if points:
            axes.plot(xs, values, color="#555555", linewidth=1.2, zorder=2)
            axes.scatter(
                xs,
                values,
                c=[COLOURS.get(p.colour.value if p.colour else "", "#888888") for p in points],
                s=46,
                zorder=3,
                edgecolors="white",
                linewidths=0.8,
            )
            targets = [p.target for p in points]
            if any(t is not None for t in targets):
                axes.step(
                    xs,
                    [t if t is not None else float("nan") for t in targets],
                    where="mid",
                    color="#2e8b3e",
                    linewidth=1.4,
                    label="target",
                )
                # Amber on the bad side of the target, Blue beyond the tolerance on the good.
                sign = 1.0 if kpi.higher_is_better else -1.0
                nan = float("nan")
                target_line = [p.target if p.target is not None else nan for p in points]
                amber_edge = [
                    p.target - sign * (p.tolerance or 0) if p.target is not None else nan
                    for p in points
                ]
                blue_edge = [
                    p.target + sign * (p.tolerance or 0) if p.target is not None else nan
                    for p in points
                ]
                axes.fill_between(
                    xs,
                    amber_edge,
                    target_line,
                    step="mid",
                    color=COLOURS["Amber"],
                    alpha=0.18,
                    label="Amber band",
                )
                axes.step(
                    xs,
                    blue_edge,
                    where="mid",
                    color=COLOURS["Blue"],
                    linestyle="--",
                    linewidth=0.9,
                    label="Blue beyond",
                )
        if series.xmr is not None:
            axes.axhline(
                series.xmr.mean, color="#777777", linestyle="--", linewidth=1, label="mean"
            )
            for limit in (series.xmr.upper_limit, series.xmr.lower_limit):
                axes.axhline(limit, color="#c62828", linestyle=":", linewidth=1)
            axes.plot([], [], color="#c62828", linestyle=":", label="process limits")
        index = {p.period: i for i, p in enumerate(points)}
        fired: dict[str, list[str]] = {}
        for signal in series.signals:  # one label per point, naming every rule that fired
            fired.setdefault(signal.period, [])
            if signal.rule.value not in fired[signal.period]:
                fired[signal.period].append(signal.rule.value)
        for period, rules in fired.items():
            i = index[period]
            axes.annotate(
                ", ".join(rules),
                (i, values[i]),
                textcoords="offset points",
                xytext=(0, 12),
                ha="center",
                fontsize=8,
                color="#c62828",
                arrowprops={"arrowstyle": "-", "color": "#c62828", "linewidth": 0.6},
            )
        step = max(1, len(labels) // 12)
        axes.set_xticks(xs[::step], labels[::step], rotation=45, ha="right", fontsize=8)
        polarity = "higher is better" if kpi.higher_is_better else "lower is better"
        demo = " [demo data]" if kpi.demo else ""
        axes.set_title(f"{kpi.code} {kpi.name[:80]}{demo}", fontsize=10, loc="left")
        axes.set_ylabel(f"{Unit(kpi.unit).value} ({polarity})", fontsize=9)
        axes.grid(axis="y", color="#eeeeee")
        if Unit(kpi.unit) is Unit.pounds and max(map(abs, values), default=0) >= 1e6:
            axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"£{y / 1e6:,.0f}m"))
        if series.improving_for:
            axes.text(
                0.99,
                0.02,
                f"improving for {series.improving_for} periods",
                transform=axes.transAxes,
                ha="right",
                fontsize=8,
                color="#2e8b3e",
            )
        if not points:
            axes.text(0.5, 0.5, "no values yet", transform=axes.transAxes, ha="center")
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, metadata=None if fmt == "png" else {"Date": None})
        return buffer.getvalue()
    finally:
        plt.close(figure)
