"""Ranges every route checks before the database sees a value, whatever its own schema says:
ids and offsets that fit their columns, text without NUL or control characters, codes (they
become URLs and Location headers) from a safe set, dates within a sane range, and numbers that
are numbers (pydantic would read `"target": false` as 0.0, and `"sao_id": true` as person 1).
One dependency for the whole app, so a new route is covered without remembering to be; each
refusal is a 422 naming the field (in a bulk body, with the item's index)."""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterator, Mapping
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
    why = _problem(name, value, top=field == name)
    if why is not None:
        raise FieldError(why, field=field)


def _problem(name: str, value: Any, *, top: bool) -> str | None:
    """Why ``value`` is refused (None: it is not); ``top``: its field is its name alone."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        limit = MAX_ID if _is_id(name) else MAX_BIGINT
        if not -limit - 1 <= value <= limit:
            return f"{value} is outside the range -{limit + 1}..{limit}"
        return None
    if not isinstance(value, str):
        return None
    if not value.isprintable() and CONTROL.search(value):  # isprintable: a fast clean bill
        return "must not contain NUL or control characters"
    # Codes that name a record in its URL (a path, or the new record's own top-level code,
    # which becomes its Location); codes nested in a document may be labels ("Amber/Green").
    if top and value and _is_code(name) and not CODE.fullmatch(value):
        return "a code is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    if name == "email" and value and not EMAIL.fullmatch(value):
        return "not an email address"
    date = ISO_DATE.fullmatch(value) if value[:1].isdigit() else None
    if date and int(date.group(1)) not in YEARS:
        return f"a date must fall in the years {YEARS.start} to {YEARS.stop - 1}"
    return None


def _check_tree(value: Any, path: list[str | int], name: str) -> None:
    """Every scalar of a JSON body, by the name its rules key on: the nearest part of its path
    that is not a list index ("code"). A bulk body has tens of thousands, so the path
    ("items.3.code") is kept as a stack and joined only for a refusal."""
    if isinstance(value, dict):
        for key, item in value.items():
            key = str(key)
            path.append(key)
            _check_tree(item, path, name if key.isdigit() else key)
            path.pop()
    elif isinstance(value, list):
        for index, item in enumerate(value):
            path.append(index)
            _check_tree(item, path, name)
            path.pop()
    elif isinstance(value, (str, int)):
        why = _problem(name, value, top=len(path) == 1 and path[0] == name)
        if why is not None:
            raise FieldError(why, field=".".join(map(str, path)) or "body")


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
    finder = _finder(annotation)
    if finder is None:
        return
    for parts in finder(value):
        yield ".".join([*([path] if path else []), *map(str, parts)]) or "body"


# What an annotation can hold, worked out once per annotation rather than per value: a finder
# returns the paths (relative, as parts) where a value holds a boolean for a number; None is
# an annotation that holds no number anywhere, whose values are not looked at at all.
_Found = tuple[tuple[str | int, ...], ...]
_Finder = Callable[[Any], _Found]
_NOTHING: _Found = ()
_HERE: _Found = ((),)
_finders: dict[Any, _Finder | None] = {}
_compiling: set[Any] = set()


def _finder(annotation: Any) -> _Finder | None:
    try:
        return _finders[annotation]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation: worked out each time
        return _compile(annotation)
    if annotation in _compiling:  # a model that holds itself: looked up when used

        def later(value: Any) -> _Found:
            found = _finders.get(annotation)
            return _NOTHING if found is None else found(value)

        return later
    _compiling.add(annotation)
    try:
        found = _finders[annotation] = _compile(annotation)
    finally:
        _compiling.discard(annotation)
    return found


def _number(value: Any) -> _Found:
    return _HERE if isinstance(value, bool) else _NOTHING


def _compile(annotation: Any) -> _Finder | None:
    annotation = _plain(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [_plain(a) for a in get_args(annotation) if a is not type(None)]
        flagged = bool not in options and any(o in NUMBERS for o in options)
        inner = [f for f in map(_finder, options) if f is not None]
        if not flagged and not inner:
            return None

        def union(value: Any) -> _Found:
            if isinstance(value, bool):
                return _HERE if flagged else _NOTHING
            found = _NOTHING
            for f in inner:
                found += f(value)
            return found

        return union
    if annotation in NUMBERS:
        return _number
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = [
            (name, field.alias, f)
            for name, field in annotation.model_fields.items()
            if (f := _finder(field.annotation)) is not None
        ]
        if not fields:
            return None

        def model(value: Any) -> _Found:
            if not isinstance(value, dict):
                return _NOTHING
            found = _NOTHING
            for name, alias, f in fields:
                key = name if name in value else alias
                if key is not None and key in value:
                    sub = f(value[key])
                    if sub:
                        found += tuple((key, *p) for p in sub)
            return found

        return model
    args = get_args(annotation)
    if origin in (list, set, frozenset, tuple) and args:
        item_finder = _finder(args[0])
        if item_finder is None:
            return None

        def sequence(value: Any) -> _Found:
            if not isinstance(value, list):
                return _NOTHING
            found = _NOTHING
            for index, item in enumerate(value):
                sub = item_finder(item)
                if sub:
                    found += tuple((index, *p) for p in sub)
            return found

        return sequence
    if origin in (dict, Mapping) and len(args) == 2:
        value_finder = _finder(args[1])
        if value_finder is None:
            return None

        def mapping(value: Any) -> _Found:
            if not isinstance(value, dict):
                return _NOTHING
            found = _NOTHING
            for key, item in value.items():
                sub = value_finder(item)
                if sub:
                    found += tuple((str(key), *p) for p in sub)
            return found

        return mapping
    return None


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
    _check_tree(body, [], "")
    # The route's body type, where FastAPI keeps it: true and false are not numbers.
    body_field = getattr(request.scope.get("route"), "body_field", None)
    if body_field is not None:
        for field in bools_for_numbers(body_field.field_info.annotation, body):
            raise FieldError("a number is required, not true or false", field=field)
