"""As-of reads for the risks service (the mechanism: services/common/asof.py)."""

from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof, clock
from services.risks.models import history

# Every REST read takes ``?cut=``; without it, it reads live.
ReadSessionDep = Annotated[AsyncSession, Depends(history.read_session, scope="function")]


def today(session: AsyncSession) -> date:
    """The day overdue checks judge by: the cut's day when ``session`` reads at a cut, so a
    past mitigation, review or issue is overdue as it was then; otherwise today."""
    return asof.day_of(session, clock.COUNCIL_TIMEZONE) or clock.today()


__all__ = ["ReadSessionDep", "history", "today"]
