"""ETag / If-Match: a row's version travels as its entity tag."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from services.common.errors import FieldError, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def expected_version(
    if_match: Annotated[str | None, Header(description='the ETag last read, e.g. "3"')] = None,
) -> int:
    """Writes must say which version they change; a missing If-Match is 428, not a blind write."""
    if if_match is None:
        raise PreconditionRequired(
            "send If-Match with the ETag you last read, so concurrent edits are detected",
            field="If-Match",
        )
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise FieldError(
            f"If-Match {if_match!r} is not an ETag this service issued", field="If-Match"
        )
    return int(value)
