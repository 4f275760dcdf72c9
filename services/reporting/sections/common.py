"""Small pieces every section uses: people, money, the DCA scale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# The five-point Delivery Confidence Assessment, greenest first: a lower index is better.
DCA_SCALE = ("Green", "Amber/Green", "Amber", "Amber/Red", "Red")


def person(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else {"person_id": value["id"], "name": value["name"]}


def money(value: Any) -> str:
    """Money as an exact decimal string: JSON floats would make the pack's hash depend on
    rounding."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def dca_change(now: str | None, before: str | None) -> str:
    """How the DCA moved since last month: improved, worse, same, new or none."""
    if now is None or now not in DCA_SCALE:
        return "none"
    if before is None or before not in DCA_SCALE:
        return "new"
    step = DCA_SCALE.index(now) - DCA_SCALE.index(before)
    return "same" if step == 0 else ("improved" if step < 0 else "worse")
