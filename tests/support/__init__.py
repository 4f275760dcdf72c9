"""What every service's tests share: a GraphQL runner over the app's real ``/graphql``, a reader
of the ``/changes`` feed, and a counter of the SQL statements a block runs. One of each: a new
test imports from here rather than writing its own."""

from tests.support.feed import changes
from tests.support.graphql import gql, problems, status_of
from tests.support.statements import statements

__all__ = ["changes", "gql", "problems", "statements", "status_of"]
