"""The plans side by side in the programmes subgraph."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from services.common.graphql import Context, graphql_enum
from services.programmes.comparison import service
from services.programmes.comparison.schemas import NOT_RATED, RatedKind
from services.programmes.graphql_shared import CommonRag
from services.programmes.plan.graphql import RagGrade

graphql_enum(
    RatedKind,
    name="RatedItemKind",
    description="A compared item: a PROGRAMME (rated by its DCA or confidence) or an ACTION "
    "(rated by its status)",
)


@strawberry.type(description="an item of a plan rated on its own scale and on the common one")
class RatedItem:
    kind: RatedKind = strawberry.field(description="programme or action")
    code: str = strawberry.field(
        description="the programme's code, or its code and the action's number"
    )
    title: str = strawberry.field(description="the programme's name, or the action's words")
    rated: str | None = strawberry.field(description="the grade as the plan writes it")
    rated_from: str | None = strawberry.field(description="what the rating was read from")
    common: CommonRag | None = strawberry.field(
        description="the same rating on the common Red/Amber/Green scale"
    )
    mapped: str = strawberry.field(description="how the plan's grade was mapped, in words")


@strawberry.type(description="how many of a plan's items stand at a common grade")
class GradeCount:
    grade: CommonRag | None = strawberry.field(description="the common grade; null: not rated")
    items: int = strawberry.field(description="how many items stand there")


@strawberry.type(description="one plan in the comparison")
class PlanComparison:
    portfolio_code: str = strawberry.field(description="the plan's code, e.g. IRP-2024")
    name: str = strawberry.field(description="the plan's title")
    rag_definition: str | None = strawberry.field(description="the plan's RAG, in its words")
    rag_scale: list[RagGrade] = strawberry.field(
        description="the plan's own RAG scale, and how each grade maps"
    )
    counts: list[GradeCount] = strawberry.field(
        description="how many items stand at each common grade, and not rated"
    )
    items: list[RatedItem] = strawberry.field(description="every item, rated both ways")


@strawberry.type
class ComparisonQuery:
    @strawberry.field(
        description="the plans' items side by side on the common RAG scale, each saying how "
        "its own plan's grade was mapped"
    )
    async def plan_comparison(
        self,
        info: Info[Context, None],
        portfolio_codes: Annotated[
            list[str] | None,
            strawberry.argument(description="only these plans; every plan if left out"),
        ] = None,
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
                counts=[
                    GradeCount(grade=None if k == NOT_RATED else CommonRag(k), items=v)
                    for k, v in p.counts.items()
                ],
                items=[RatedItem(**i.model_dump()) for i in p.items],
            )
            for p in found.plans
        ]
