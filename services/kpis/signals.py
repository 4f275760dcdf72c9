"""What the council reads off a KPI's series: streaks of improvement and XmR chart signals.

Pure functions over values oldest first, so REST, GraphQL, composites and events agree.

XmR (individuals and moving range) as Wheeler describes it: natural process limits at the mean
plus or minus 2.66 times the mean moving range, computed from a baseline of the first points.
Three rules, each labelled when it fires: a point beyond the limits; a run of 8 points on one
side of the mean; a trend of 6 points each rising (or each falling). A chart needs at least
``MIN_POINTS`` points before its limits mean much.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from services.kpis.schemas import SignalRule

MIN_POINTS = 10
BASELINE = 12  # limits come from the first year of monthly points, then later ones are judged
RUN_LENGTH = 8
TREND_LENGTH = 6
SCALING = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two


@dataclass(frozen=True)
class Limits:
    mean: float
    upper: float
    lower: float
    moving_range_mean: float
    points: int


@dataclass(frozen=True)
class Fired:
    rule: SignalRule
    index: int  # the point where it fired (a run's or trend's last point)
    detail: str


def improving_for(values: Sequence[float], *, higher_is_better: bool) -> int:
    """How many consecutive periods, up to the latest, each improved on the one before."""
    streak = 0
    for i in range(len(values) - 1, 0, -1):
        better = values[i] > values[i - 1] if higher_is_better else values[i] < values[i - 1]
        if not better:
            break
        streak += 1
    return streak


def xmr_limits(values: Sequence[float]) -> Limits | None:
    """Limits from the first ``BASELINE`` points: a change after them shows against them
    instead of widening the limits that should reveal it."""
    if len(values) < MIN_POINTS:
        return None
    values = values[:BASELINE]
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    mr_mean = sum(ranges) / len(ranges)
    return Limits(
        mean=mean,
        upper=mean + SCALING * mr_mean,
        lower=mean - SCALING * mr_mean,
        moving_range_mean=mr_mean,
        points=len(values),
    )


def xmr_signals(values: Sequence[float], limits: Limits | None = None) -> list[Fired]:
    """Every signal on the chart, in the order the points fired them."""
    limits = limits or xmr_limits(values)
    if limits is None:
        return []
    fired: list[Fired] = []
    side_run = 0
    side = 0
    trend_run = 1
    trend_dir = 0
    for i, value in enumerate(values):
        if value > limits.upper or value < limits.lower:
            where = "above the upper" if value > limits.upper else "below the lower"
            fired.append(
                Fired(SignalRule.beyond_limits, i, f"{value:g} is {where} natural process limit")
            )
        this_side = (value > limits.mean) - (value < limits.mean)
        side_run = side_run + 1 if this_side and this_side == side else (1 if this_side else 0)
        side = this_side
        if side_run == RUN_LENGTH:
            where = "above" if side > 0 else "below"
            fired.append(Fired(SignalRule.run, i, f"{RUN_LENGTH} points in a row {where} the mean"))
        if i:
            step = (value > values[i - 1]) - (value < values[i - 1])
            trend_run = trend_run + 1 if step and step == trend_dir else (2 if step else 1)
            trend_dir = step
            if trend_run == TREND_LENGTH:
                way = "rising" if step > 0 else "falling"
                fired.append(Fired(SignalRule.trend, i, f"{TREND_LENGTH} points in a row {way}"))
    return fired
