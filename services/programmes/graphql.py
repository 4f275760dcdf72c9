"""The programmes subgraph: each domain's queries and mutations merged into one schema."""

from strawberry.tools import merge_types

from services.common.graphql import federated_schema
from services.programmes.actions.graphql import ActionsMutation, ActionsQuery
from services.programmes.comparison.graphql import ComparisonQuery
from services.programmes.governance.graphql import GovernanceMutation, GovernanceQuery
from services.programmes.highlights.graphql import HighlightsMutation, HighlightsQuery
from services.programmes.milestones.graphql import MilestonesMutation, MilestonesQuery
from services.programmes.plan.graphql import Outcome, PlanMutation, PlanQuery, Programme
from services.programmes.savings.graphql import SavingsMutation, SavingsQuery

Query = merge_types(
    "Query",
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
