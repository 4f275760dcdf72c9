"""A bad argument value refused by GraphQL itself (an enum name that does not exist, a string
where an Int goes) answered as the services answer their own field errors: status 422 and the
field named, the same path ``validate`` gives (an input object's field by its own name,
a list item as ``name[n]``).

GraphQL refuses such values before any resolver runs, in two places: a literal in the query
fails validation (the error points at the value), a variable fails coercion (the error points
at the variable and says where in its value). Both are located in the operation here.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)

from services.common.errors import FieldError

Segment = str | int

# graphql-core's wording for a variable whose value does not coerce: the path is relative to
# the variable's value, e.g. ".kind" or ".nextSteps[0].confidence".
_VARIABLE = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at ([^:]+))?:")
_SEGMENT = re.compile(r"\.(\w+)|\[(\d+)\]")


class _Locator(Visitor):
    """Where each literal value and each use of a variable sits, as argument-rooted paths."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[int, list[Segment]] = {}
        self.variables: dict[str, list[Segment]] = {}

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self._walk(node.value, [node.name.value])

    def _walk(self, value: ValueNode, path: list[Segment]) -> None:
        self.values[id(value)] = path
        if isinstance(value, VariableNode):
            self.variables.setdefault(value.name.value, path)
        elif isinstance(value, ObjectValueNode):
            for field in value.fields:
                self._walk(field.value, [*path, field.name.value])
        elif isinstance(value, ListValueNode):
            for index, item in enumerate(value.values):
                self._walk(item, [*path, index])


def _name(path: list[Segment]) -> str:
    """``[input, nextSteps, 0, confidence]`` -> ``nextSteps[0].confidence``: an argument that
    holds an input object is left out, as the input models name their own fields."""
    if len(path) > 1 and isinstance(path[1], str):
        path = path[1:]
    text = ""
    for segment in path:
        text += f"[{segment}]" if isinstance(segment, int) else f".{segment}"
    return text.lstrip(".")


def input_field(error: GraphQLError, document: DocumentNode | None) -> str | None:
    """The field whose value GraphQL refused, or None if ``error`` is not such a refusal."""
    if document is None or not error.nodes or error.path is not None:
        return None
    locator = _Locator()
    visit(document, locator)
    variable = _VARIABLE.match(error.message)
    if variable is not None:
        name, rest = variable.groups()
        path = list(locator.variables.get(name, [name]))
        for field, index in _SEGMENT.findall(rest or ""):
            path.append(field or int(index))
        return _name(path)
    if not isinstance(error.nodes[0], ValueNode):
        return None
    found = locator.values.get(id(error.nodes[0]))
    return None if found is None else _name(found)


def as_field_error(error: GraphQLError, document: DocumentNode | None) -> bool:
    """Give ``error`` a FieldError's extensions if GraphQL refused an argument's value."""
    field = input_field(error, document)
    if field is None:
        return False
    error.extensions = {
        "code": FieldError.code,
        "status": FieldError.status,
        "errors": [{"field": field, "message": error.message}],
    }
    return True
