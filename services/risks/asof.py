"""As-of reads for the risks service (the mechanism: services/common/asof.py)."""

from typing import Annotated

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from services.risks.models import history

# Every REST read takes ``?cut=``; without it, it reads live.
ReadSessionDep = Annotated[AsyncSession, Depends(history.read_session, scope="function")]


__all__ = ["ReadSessionDep", "history"]
