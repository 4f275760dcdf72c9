"""24 months of demo values (April 2024 to March 2026, two financial years) for the 2024
plan's KPIs. Invented, labelled demo in every note, and reproducible: the same KPI gets the same
series on every run and machine (a random generator seeded by its code).

Each KPI follows one of six shapes, so every colour, direction, streak and XmR signal appears:
steady near target, improving, deteriorating, a shift (a run on one side of the mean), a spike
(a point beyond the limits), and hovering in Amber. Every tenth KPI's last period is left out,
so the submissions report shows missing values, and one value is restated with a reason.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from services.kpis import periods
from services.kpis.schemas import Frequency, Unit

FIRST, LAST = date(2024, 4, 1), date(2026, 3, 31)
NOTE = "demo value, generated (not the council's figure)"
SHAPES = ("steady", "improving", "deteriorating", "shift", "spike", "amber")


def _offset(shape: str, i: int, n: int, rng: random.Random) -> float:
    """How many tolerances on the good side of the target the i-th of n points is."""
    noise = rng.uniform(-0.4, 0.4)
    turn = n - 7  # improving and deteriorating KPIs change course in their last 7 periods
    if shape == "steady":
        return 0.5 + noise
    if shape == "improving":
        return -1.2 + noise if i < turn else -1.2 + 0.45 * (i - turn + 1) + noise / 3
    if shape == "deteriorating":
        return 0.8 + noise if i < turn else 0.8 - 0.4 * (i - turn + 1) + noise / 3
    if shape == "shift":
        return (-0.8 if i < n // 2 else 0.9) + noise / 2
    if shape == "spike":
        return (4.0 if i == n - 4 else 0.3) + noise / 2
    return -0.5 + noise / 2  # amber


def _sane(unit: Unit, value: float) -> float:
    if unit is Unit.percent:
        value = min(max(value, 0.0), 100.0)
    elif unit in (Unit.number, Unit.days, Unit.rate_per_1000):
        value = max(value, 0.0)
    return round(value) if unit is Unit.pounds else round(value, 2)


def series(kpi: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """Bulk items for one KPI of the seed file (``index`` picks its shape)."""
    frequency = Frequency(kpi["frequency"])
    unit = Unit(kpi["unit"])
    target = float(kpi["target"]) if kpi.get("target") is not None else 50.0
    tolerance = float(kpi.get("tolerance") or max(abs(target) * 0.1, 1.0))
    sign = 1.0 if kpi["higher_is_better"] else -1.0
    shape = SHAPES[index % len(SHAPES)]
    rng = random.Random(kpi["code"])
    found = periods.between(FIRST, LAST, frequency)
    if index % 10 == 9:
        found = found[:-1]  # a missing submission
    items = []
    for i, period in enumerate(found):
        value = _sane(unit, target + sign * tolerance * _offset(shape, i, len(found), rng))
        items.append(
            {
                "code": kpi["code"],
                "period": period.text,
                "value": value,
                "note": f"{NOTE}; shape {shape}",
                "key": f"demo:{kpi['code']}:{period.text}",
            }
        )
    return items


def all_items(kpis: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = [item for i, kpi in enumerate(kpis) for item in series(kpi, i)]
    # A restatement, as finance close corrections arrive: KPI-05's last month, with a reason.
    last = next(i for i in reversed(items) if i["code"] == "KPI-05")
    items.append(
        {
            **last,
            "value": _sane(Unit.pounds, last["value"] * 0.97),
            "reason": "demo restatement: year-end accruals",
            "key": f"{last['key']}:restated",
        }
    )
    return items
