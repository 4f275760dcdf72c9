"""ETag / If-Match: a row's version travels as its entity tag.

Routers declare ``version: ExpectedVersion`` (If-Match required, 428 without it) or
``version: OptionalVersion`` (checked only when sent) and pass it to the service, which hands
it to ``db.update_versioned``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

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


def optional_version(
    if_match: Annotated[
        str | None, Header(description="optional: the ETag last read, checked when sent")
    ] = None,
) -> int | None:
    """For writes where a blind change is allowed (e.g. closing an escalation)."""
    return None if if_match is None else expected_version(if_match)


ExpectedVersion = Annotated[int, Depends(expected_version)]
OptionalVersion = Annotated[int | None, Depends(optional_version)]
