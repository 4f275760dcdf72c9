"""The words the programmes service's sub-domains share: the status of a milestone or an
action, and the Delivery Confidence Assessment scale. One definition each, imported by every
sub-domain that uses them (a sub-domain's own words stay in its schemas.py)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Milestone and action status, as the 2015 highlight report and its successors write it."""

    not_started = "Not started"
    in_progress = "In progress"
    on_track = "On track"
    at_risk = "At risk"
    late = "Late"
    completed = "Completed"


STATUS_HELP = "one of: " + ", ".join(s.value for s in Status)


class DCA(StrEnum):
    """Delivery Confidence Assessment: the five-point scale, greenest first."""

    green = "Green"
    amber_green = "Amber/Green"
    amber = "Amber"
    amber_red = "Amber/Red"
    red = "Red"

    @property
    def rag(self) -> str:
        """Central government's three-point report: map five to three."""
        return {"Green": "Green", "Amber/Green": "Amber", "Amber": "Amber"}.get(self.value, "Red")

    @classmethod
    def read(cls, value: Any) -> Any:
        """The scale point a caller means: any case, and "/", "-", "_" or a space between the
        two colours (Amber/Green, amber-green, AMBER GREEN). Anything else is left for the
        enum to reject."""
        if isinstance(value, str):
            key = re.sub(r"\s*[/\-_ ]\s*", "/", value.strip().lower())
            for member in cls:
                if member.value.lower() == key:
                    return member
        return value


DCA_SCALE = ", ".join(m.value for m in DCA)
