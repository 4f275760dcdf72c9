"""The plans side by side: each item's rating on its own plan's scale and on the common one."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from services.programmes.plan.schemas import CommonRag, RagGradeRead

NOT_RATED = "not rated"


class RatedKind(StrEnum):
    """What a compared item is: a programme (rated by its DCA or confidence) or an action
    (rated by its status)."""

    programme = "programme"
    action = "action"


class RatedItem(BaseModel):
    kind: RatedKind = Field(description="programme or action")
    code: str = Field(description="the programme's code, or programme code and action number")
    title: str
    rated: str | None = Field(description="the grade as the plan writes it, if rated")
    rated_from: str | None = Field(description="what the rating was read from")
    common: CommonRag | None = Field(description="the same rating on the common scale")
    mapped: str = Field(description="how the plan's grade was mapped, in words")


class PlanComparison(BaseModel):
    portfolio: str
    name: str
    rag_definition: str | None
    rag_scale: list[RagGradeRead]
    counts: dict[str, int] = Field(description="items by common grade, and not rated")
    items: list[RatedItem]


class Comparison(BaseModel):
    common_scale: dict[str, str] = Field(description="what each common grade means")
    plans: list[PlanComparison]
