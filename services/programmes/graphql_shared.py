"""What programmes' sub-domain graphs share: the shared words declared once as GraphQL enums
(UPPER_SNAKE names of the domain enums in vocabulary.py, timescales.py and plan/schemas.py), and
the arguments several lists take. A sub-domain's own statuses and kinds are declared in its
graphql.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from services.common import asof
from services.common.graphql import Context, graphql_enum
from services.programmes.plan.schemas import CommonRag
from services.programmes.timescales import Precision, Unit
from services.programmes.vocabulary import DCA, Status

__all__ = [
    "DCA",
    "CommonRag",
    "DueFrom",
    "DueTo",
    "OfProgramme",
    "Precision",
    "Status",
    "Unit",
    "today_of",
]

graphql_enum(
    Status,
    name="DeliveryStatus",
    description="A milestone's or an action's status, as the highlight report writes it: "
    "NOT_STARTED, IN_PROGRESS, ON_TRACK, AT_RISK, LATE or COMPLETED",
)
graphql_enum(
    DCA,
    description="Delivery Confidence Assessment, five points greenest first: GREEN (delivery "
    "highly likely, no major outstanding issues), AMBER_GREEN (probable, constant attention "
    "needed), AMBER (feasible, significant issues need management attention), AMBER_RED (in "
    "doubt, urgent action needed), RED (appears unachievable without re-scoping)",
)
graphql_enum(
    CommonRag,
    description="The common Red/Amber/Green scale the board reads every plan on: GREEN on track "
    "or done, AMBER issues needing attention, RED off track",
)
graphql_enum(
    Precision,
    name="TimescalePrecision",
    description="How exactly a plan's timescale names its window: a DAY, MONTH, QUARTER, "
    "SEASON or YEAR; RECURRING (every N weeks/months/years); ONGOING; UNKNOWN (no window read)",
)
graphql_enum(Unit, name="RecurrenceUnit", description="What a recurring timescale counts in")

# A list's filters on its programme and its due date, described once.
OfProgramme = Annotated[
    strawberry.ID | None, strawberry.argument(description="only this programme's")
]
DueFrom = Annotated[
    date | None, strawberry.argument(description="only those due on or after this day")
]
DueTo = Annotated[
    date | None, strawberry.argument(description="only those due on or before this day")
]


async def _today(session: AsyncSession, keys: Sequence[int]) -> dict[int, date]:
    day = asof.today(session)
    return dict.fromkeys(keys, day)


async def today_of(info: Info[Context, None]) -> date:
    """The operation's "today", for a field whose rows a DataLoader read (so it holds no session
    of its own): the cut's day when the operation reads at a cut, else the council's today.
    A field that opens its session calls ``asof.today(session)`` on it, which is the same.
    One operation reads one cut, so its loader asks once and every row after reads its cache."""
    day = await info.context.loader("today", _today).load(0)
    assert day is not None  # _today answers every key
    return day
