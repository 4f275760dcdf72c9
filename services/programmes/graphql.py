"""The programmes subgraph: each domain's queries and mutations merged into one schema."""

from strawberry.tools import merge_types

from services.common.graphql import federated_schema
from services.programmes.actions.graphql import ActionsMutation, ActionsQuery
from services.programmes.asof import history
from services.programmes.comparison.graphql import ComparisonQuery
from services.programmes.governance.graphql import GovernanceMutation, GovernanceQuery
from services.programmes.highlights.graphql import HighlightsMutation, HighlightsQuery
from services.programmes.milestones.graphql import MilestonesMutation, MilestonesQuery
from services.programmes.plan.graphql import Outcome, PlanMutation, PlanQuery, Programme
from services.programmes.savings.graphql import SavingsMutation, SavingsQuery

# Every root field takes cut; programmesCut says which cut to pass (services/common/asof.py).
Query = merge_types(
    "Query",
    (
        history.queryable(
            merge_types(
                "ReadQuery",
                (
                    PlanQuery,
                    MilestonesQuery,
                    ActionsQuery,
                    HighlightsQuery,
                    SavingsQuery,
                    GovernanceQuery,
                    ComparisonQuery,
                ),
            )
        ),
        history.cut_query("programmesCut"),
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        PlanMutation,
        MilestonesMutation,
        ActionsMutation,
        HighlightsMutation,
        SavingsMutation,
        GovernanceMutation,
    ),
)

schema = federated_schema(query=Query, mutation=Mutation, types=[Programme, Outcome])
