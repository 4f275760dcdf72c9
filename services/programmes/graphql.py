"""The programmes subgraph: each domain's queries and mutations merged into one schema."""

from strawberry.tools import merge_types

from services.common.graphql import federated_schema
from services.programmes.highlights.graphql import HighlightsMutation
from services.programmes.plan.graphql import PlanMutation, PlanQuery, Programme

Query = merge_types("Query", (PlanQuery,))
Mutation = merge_types("Mutation", (PlanMutation, HighlightsMutation))

schema = federated_schema(query=Query, mutation=Mutation, types=[Programme])
