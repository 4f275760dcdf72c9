"""The plans side by side in the programmes subgraph."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from services.common.graphql import Context
from services.programmes.comparison import service
from services.programmes.plan.graphql import RagGrade
from services.programmes.plan.schemas import CommonRag


@strawberry.type(description="an item of a plan rated on its own scale and on the common one")
class RatedItem:
    kind: str = strawberry.field(description="programme or action")
    code: str
    title: str
    rated: str | None = strawberry.field(description="the grade as the plan writes it")
    rated_from: str | None = strawberry.field(description="what the rating was read from")
    common: CommonRag | None = strawberry.field(
        description="the same rating on the common Red/Amber/Green scale"
    )
    mapped: str = strawberry.field(description="how the plan's grade was mapped, in words")


@strawberry.type(description="how many of a plan's items stand at a common grade")
class GradeCount:
    grade: str = strawberry.field(description="Green, Amber, Red or not rated")
    items: int


@strawberry.type(description="one plan in the comparison")
class PlanComparison:
    portfolio_code: str
    name: str
    rag_definition: str | None
    rag_scale: list[RagGrade]
    counts: list[GradeCount]
    items: list[RatedItem]


@strawberry.type
class ComparisonQuery:
    @strawberry.field(
        description="the plans' items side by side on the common RAG scale, each saying how "
        "its own plan's grade was mapped"
    )
    async def plan_comparison(
        self, info: Info[Context, None], portfolio_codes: list[str] | None = None
    ) -> list[PlanComparison]:
        async with info.context.reading() as session:
            found = await service.compare(
                session=session, portfolio_codes=(portfolio_codes or None)
            )
        return [
            PlanComparison(
                portfolio_code=p.portfolio,
                name=p.name,
                rag_definition=p.rag_definition,
                rag_scale=[RagGrade.from_read(g) for g in p.rag_scale],
                counts=[GradeCount(grade=k, items=v) for k, v in p.counts.items()],
                items=[RatedItem(**i.model_dump()) for i in p.items],
            )
            for p in found.plans
        ]
