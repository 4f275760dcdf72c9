"""The rules every partial update (PATCH, GraphQL update input) shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.common.errors import FieldError


def refuse_empty(
    changes: Mapping[str, Any], required: Iterable[str], *, why: str | None = None
) -> None:
    """Refuse a change that would set one of the ``required`` fields to null: a field left out
    of a partial update keeps its value, one sent as null would empty it. ``why`` ends the
    message (e.g. ``"every risk has one"``)."""
    for name in required:
        if name in changes and changes[name] is None:
            reason = f": {why}" if why else ""
            raise FieldError(f"{name} cannot be empty{reason}", field=name)
