"""Ranges every route checks before the database sees a value, whatever its own schema says:
ids and offsets that fit their columns, text without NUL or control characters, codes (they
become URLs and Location headers) from a safe set, dates within a sane range, and numbers that
are numbers (pydantic would read `"target": false` as 0.0, and `"sao_id": true` as person 1).
One dependency for the whole app, so a new route is covered without remembering to be; each
refusal is a 422 naming the field (in a bulk body, with the item's index)."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import Ge
from fastapi import Request
from pydantic import BaseModel

from services.common.errors import FieldError

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
MAX_BIGINT = 2**63 - 1  # offsets, sizes and anything else integer
# NUL cannot be stored in PostgreSQL text; other C0 controls and DEL break headers and logs.
# Tab, newline and carriage return are ordinary in free text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ISO_DATE = re.compile(r"(\d{4,})-\d{2}-\d{2}([T ][0-9:.+Z-]*)?")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
YEARS = range(1900, 2201)

# A business date a record carries (the day something was raised or an escalation step taken):
# the plans here begin in 2015, so a year before 2000 is a mistyped one, not history. Whether
# it may be in the future is the record's own rule.
EARLIEST_BUSINESS_DATE = date(2000, 1, 1)
BusinessDate = Annotated[date, Ge(EARLIEST_BUSINESS_DATE)]


def _is_id(name: str) -> bool:
    return name in ("id", "ids") or name.endswith(("_id", "_ids"))


def _is_code(name: str) -> bool:
    return name == "code" or name.endswith("_code")


def check_value(field: str, name: str, value: Any) -> None:
    """One value, by the name of its field (the last part of ``field``)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        limit = MAX_ID if _is_id(name) else MAX_BIGINT
        if not -limit - 1 <= value <= limit:
            raise FieldError(f"{value} is outside the range -{limit + 1}..{limit}", field=field)
        return
    if not isinstance(value, str):
        return
    if CONTROL.search(value):
        raise FieldError("must not contain NUL or control characters", field=field)
    # Codes that name a record in its URL (a path, or the new record's own top-level code,
    # which becomes its Location); codes nested in a document may be labels ("Amber/Green").
    if _is_code(name) and field == name and value and not CODE.fullmatch(value):
        raise FieldError(
            "a code is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            field=field,
        )
    if name == "email" and value and not EMAIL.fullmatch(value):
        raise FieldError("not an email address", field=field)
    date = ISO_DATE.fullmatch(value)
    if date and int(date.group(1)) not in YEARS:
        raise FieldError(
            f"a date must fall in the years {YEARS.start} to {YEARS.stop - 1}", field=field
        )


def _walk(value: Any, path: tuple[str, ...], name: str) -> Iterator[tuple[str, str, Any]]:
    """Every scalar with its full path ("items.3.code") and the name its rules key on: the
    nearest part that is not a list index ("code"). A bulk body has tens of thousands."""
    if isinstance(value, dict):
        for key, item in value.items():
            key = str(key)
            yield from _walk(item, (*path, key), name if key.isdigit() else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, str(index)), name)
    else:
        yield ".".join(path) or "body", name, value


def _scalar(text: str) -> Any:
    """A path or query value as the type a route would read it as (ints stay ints)."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


NUMBERS = (int, float, Decimal)


def _plain(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def bools_for_numbers(annotation: Any, value: Any, path: str = "") -> Iterator[str]:
    """The paths in a JSON ``value`` where a boolean stands for a number ``annotation``
    declares, however deep (models, lists, mappings, optional and union types)."""
    annotation = _plain(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [_plain(a) for a in get_args(annotation) if a is not type(None)]
        if isinstance(value, bool):
            if bool not in options and any(o in NUMBERS for o in options):
                yield path or "body"
            return
        for option in options:
            yield from bools_for_numbers(option, value, path)
        return
    if isinstance(value, bool):
        if annotation in NUMBERS:
            yield path or "body"
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(value, dict):
            for name, field in annotation.model_fields.items():
                key = name if name in value else field.alias
                if key is not None and key in value:
                    yield from bools_for_numbers(field.annotation, value[key], _join(path, key))
        return
    args = get_args(annotation)
    if isinstance(value, list) and origin in (list, set, frozenset, tuple) and args:
        for index, item in enumerate(value):
            yield from bools_for_numbers(args[0], item, _join(path, str(index)))
    elif isinstance(value, dict) and origin in (dict, Mapping) and len(args) == 2:
        for key, item in value.items():
            yield from bools_for_numbers(args[1], item, _join(path, str(key)))


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


async def check_inputs(request: Request) -> None:
    for name, text in request.path_params.items():
        check_value(str(name), str(name), _scalar(str(text)))
    for name, text in request.query_params.multi_items():
        check_value(name, name, _scalar(text))
    if "json" not in request.headers.get("content-type", ""):
        return
    if not await request.body():
        return
    try:
        body = await request.json()  # parsed once: the route's own parsing kept it
    except (ValueError, UnicodeDecodeError):
        return  # the route's own parsing reports malformed JSON
    if request.url.path.endswith("/graphql"):
        # A GraphQL document may hold anything; its variables are data like any body.
        body = body.get("variables") if isinstance(body, dict) else None
    for field, name, value in _walk(body, (), ""):
        check_value(field, name, value)
    # The route's body type, where FastAPI keeps it: true and false are not numbers.
    body_field = getattr(request.scope.get("route"), "body_field", None)
    if body_field is not None:
        for field in bools_for_numbers(body_field.field_info.annotation, body):
            raise FieldError("a number is required, not true or false", field=field)
