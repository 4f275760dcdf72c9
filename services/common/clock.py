"""The council's clock: "today" is the date in the UK, not in UTC.

What "overdue", "this month" and a DCA's date are measured against. Call ``clock.today()``
through the module (``from services.common import clock``) so a test can fix the date with
``monkeypatch.setattr(clock, "today", lambda: date(2025, 1, 15))``. A service judges by
``asof.today(session)``, which is this day on a live session and the cut's day on a session
reading at a cut (a read at a cut must not answer by the wall clock).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

COUNCIL_TIMEZONE = ZoneInfo("Europe/London")


def council_date(moment: datetime) -> date:
    """The UK date of an aware ``moment``."""
    return moment.astimezone(COUNCIL_TIMEZONE).date()


def today() -> date:
    """The council's today (Europe/London)."""
    return council_date(datetime.now(UTC))


def this_month() -> str:
    """The council's current month, ``YYYY-MM``."""
    return today().strftime("%Y-%m")
