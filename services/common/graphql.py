"""What every subgraph shares: the request context, role checks, the reading of common
arguments, and errors that keep their problem+json shape (code, status, field) in the GraphQL
``extensions``.

The argument layer, one way each:

- paging: ``page(limit, offset)`` refuses out-of-range values naming the argument; services
  return a ``pagination.Window`` and resolvers answer ``Page.of(window, convert)``;
- ids: ``parse_id(value, "programmeId")`` / ``optional_id``: a bad id is a field error;
- statuses and kinds: ``graphql_enum(DomainEnum, description=...)`` makes a GraphQL enum of
  UPPER_SNAKE names; a name that is not one is a field error like any other (graphql_values);
  ``choice`` reads a free-text value into an enum where a String stays;
- per-row lookups: ``info.context.loader(name, load)`` batches them into one query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar, overload

import pydantic
import strawberry
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.fastapi import BaseContext
from strawberry.federation.schema import FederationAny
from strawberry.types.info import Info

from services.common import asof
from services.common.auth import READERS, WRITERS, Principal, Role, authenticate_request
from services.common.db import Transaction
from services.common.errors import DomainError, FieldError, Forbidden
from services.common.graphql_limits import limit_extensions
from services.common.graphql_values import as_field_error, input_field
from services.common.pagination import MAX_LIMIT, MAX_OFFSET, PageParams, Window

FEDERATION_VERSION = "2.9"


K = TypeVar("K")
T = TypeVar("T")
V = TypeVar("V")
M = TypeVar("M", bound=pydantic.BaseModel)
E = TypeVar("E", bound=Enum)


class Context(BaseContext):
    def __init__(
        self,
        *,
        principal: Principal,
        engine: AsyncEngine,
        service: str = "",
        cuts_header: str | None = None,
    ) -> None:
        super().__init__()
        self.principal = principal
        self.engine = engine
        self.loaders: dict[str, DataLoader[Any, Any]] = {}
        # Set when the operation reads at a cut (services/common/asof.py).
        self.cut_session: Callable[[], AsyncSession] | None = None
        # This service's name and the operation's CPMO-Cuts header (one cut per service).
        self.service = service
        self.cuts_header = cuts_header

    def require(self, roles: tuple[Role, ...]) -> Principal:
        if not self.principal.has_any(roles):
            raise Forbidden(
                f"this needs one of the roles {', '.join(r.value for r in roles)}", field="roles"
            )
        return self.principal

    def writer(self) -> Principal:
        return self.require(WRITERS)

    def reading(self) -> AsyncSession:
        """A session of its own for each read: resolvers run concurrently and one AsyncSession
        must not be used by two coroutines at once."""
        if self.cut_session is not None:
            return self.cut_session()
        return AsyncSession(self.engine, expire_on_commit=False)

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Each mutation commits alone, or rolls back and reports the error. A query field that
        may write on first use (risks' default matrix) reads at the operation's cut when there
        is one, like every other field of it: a cut is read-only (mutations never take one)."""
        if self.cut_session is not None:
            return self.cut_session()
        return Transaction(self.engine)

    def loader(
        self,
        name: str,
        load: Callable[[AsyncSession, Sequence[K]], Awaitable[dict[K, V]]],
        default: V | None = None,
    ) -> DataLoader[K, V | None]:
        """A per-request DataLoader that batches keys into one ``load(session, keys)`` call."""
        if name not in self.loaders:

            async def batch(keys: list[K]) -> list[V | None]:
                async with self.reading() as session:
                    found = await load(session, keys)
                return [found.get(key, default) for key in keys]

            self.loaders[name] = DataLoader(load_fn=batch)
        return self.loaders[name]


def validate(model: type[M], data: dict[str, Any]) -> M:
    """Run a mutation's input through the same pydantic model REST uses, with the same errors."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "code": e["type"]}
            for e in exc.errors()
        ]
        raise FieldError(f"invalid value for '{errors[0]['field']}'", errors=errors) from exc


def input_dict(value: object) -> dict[str, Any]:
    """A strawberry input as a dict, leaving out fields the caller did not send."""
    return {k: v for k, v in vars(value).items() if v is not strawberry.UNSET}


# A list field's paging arguments, described once: ``limit: Limit = 100, offset: Offset = 0``.
Limit = Annotated[
    int, strawberry.argument(description=f"the most items to return, 1 to {MAX_LIMIT}")
]
Offset = Annotated[
    int, strawberry.argument(description="how many items of the list to skip, 0 or more")
]

# A single item's id, and a list's sort, described once.
ById = Annotated[strawberry.ID, strawberry.argument(description="its id")]
Sort = Annotated[
    str | None,
    strawberry.argument(
        description="fields to sort by, comma-separated (snake_case), - before one for "
        "descending, e.g. -due_date,code"
    ),
]

# A mutation's optimistic-locking argument, described once: ``version: Version``.
Version = Annotated[
    int,
    strawberry.argument(
        description="the version you last read; if it has changed since, nothing is written "
        "and the answer is 412: read again and retry"
    ),
]

# ids are PostgreSQL INTEGER (int4) primary keys: anything larger cannot name a row.
MAX_ID = 2**31 - 1


def page(limit: int, offset: int, sort: str | None = None) -> PageParams:
    """A list field's page, or a FieldError naming ``limit`` or ``offset``: limit is
    1..MAX_LIMIT and offset 0..MAX_OFFSET, the same policy REST's Query bounds enforce."""
    if not 1 <= limit <= MAX_LIMIT:
        raise FieldError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}", field="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise FieldError(f"offset must be between 0 and {MAX_OFFSET}, not {offset}", field="offset")
    return PageParams(limit=limit, offset=offset, sort=sort)


def parse_id(value: strawberry.ID | str | int, field: str = "id") -> int:
    """An ID argument as the int the services take, or a FieldError naming ``field`` (use the
    argument's GraphQL name, e.g. ``programmeId``): never an unexpected error."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise FieldError(f"{field} {str(value)[:40]!r} is not an id", field=field)
    return int(text)


def optional_id(value: strawberry.ID | None, field: str = "id") -> int | None:
    """An optional ID argument; null (or empty) filters nothing, anything else must parse."""
    return parse_id(value, field) if value else None


def if_sent(description: str) -> Any:
    """An input field that may be left out: then ``input_dict`` drops it, so an update leaves
    the stored value and a create takes the model's default; null is passed on as null."""
    return strawberry.field(default=strawberry.UNSET, description=description)


def id_or_none(value: int | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def graphql_enum(
    kind: type[E],
    *,
    description: str,
    name: str | None = None,
    names: Mapping[E, str] | None = None,
) -> type[E]:
    """Declare the domain enum ``kind`` as a GraphQL enum, its values UPPER_SNAKE names of its
    members (``Status.not_started`` -> ``NOT_STARTED``), and return ``kind`` itself.

    Annotate fields and arguments with ``kind``: inputs arrive as ``kind`` members, and a
    resolver may return a member or its stored string value (``"Not started"``)::

        Status = graphql_enum(schemas.Status, name="MilestoneStatus", description="...")

    ``names`` renames members whose Python name is not the word the value means (a member that
    cannot be called what it is, e.g. ``count``, which would hide ``str.count``).

    Each value's description is the member's value, the council's word for it (``AMBER_GREEN``:
    "Amber/Green"): what a client prints, and what the pack reads from the supergraph.
    """
    strawberry.enum(kind, name=name, description=description)
    for value in kind.__strawberry_definition__.values:  # type: ignore[attr-defined]
        member = kind(value.value)
        value.name = (names or {}).get(member, member.name.upper())
        value.description = str(member.value)
    return kind


@strawberry.federation.type(shareable=True, description="where a page sits in its list")
class PageInfo:
    limit: int = strawberry.field(description="the most items a page holds, as asked")
    offset: int = strawberry.field(description="how many items of the list come before it")
    has_next_page: bool = strawberry.field(description="whether items follow this page")


@strawberry.type(description="one page of a list: its items, where it sits, and its total")
class Page(Generic[T]):
    """Every root list field answers a ``Page[X]`` (GraphQL: ``XPage``). Build it with
    :meth:`of` from a :class:`~services.common.pagination.Window`; the whole list is counted
    only if the query selects ``totalCount``."""

    items: list[T] = strawberry.field(description="the page's items, in the list's order")
    page_info: PageInfo = strawberry.field(description="where this page sits in the list")
    total: strawberry.Private[int | None]
    count: strawberry.Private[Any]

    @strawberry.field(description="how many items the whole list holds (counted when asked)")
    async def total_count(self, info: strawberry.Info[Context, None]) -> int:
        if self.total is None:
            async with info.context.reading() as session:
                self.total = int((await session.exec(self.count)).one())
        return self.total

    @classmethod
    def of(cls, window: Window[Any], convert: Callable[[Any], T] | None = None) -> Page[T]:
        """The page of ``window``, each row passed through ``convert`` (e.g. ``X.from_read``)."""
        items = window.rows if convert is None else [convert(r) for r in window.rows]
        return cls(
            items=items,
            page_info=PageInfo(
                limit=window.params.limit,
                offset=window.params.offset,
                has_next_page=window.has_more,
            ),
            total=window.total,
            count=window.count,
        )


@overload
def choice(kind: type[E], value: str, field: str) -> E: ...


@overload
def choice(kind: type[E], value: str | None, field: str) -> E | None: ...


def choice(kind: type[E], value: str | None, field: str) -> E | None:
    """An enum argument by its value (null stays null), or a FieldError naming the choices."""
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError as exc:
        choices = ", ".join(v.value for v in kind)
        raise FieldError(f"{value!r} is not one of {choices}", field=field) from exc


async def get_context(request: Request) -> Context:
    # Raising here answers 401/403 as problem+json before any GraphQL runs.
    principal = authenticate_request(request)
    # A machine client may only push its KPIs over REST; the graph holds people and risks.
    if not principal.has_any(READERS):
        raise Forbidden("no role allows reading this graph", field="roles")
    return Context(
        principal=principal,
        engine=request.app.state.engine,
        service=request.app.state.settings.service_name,
        cuts_header=request.headers.get(asof.CUTS_HEADER),
    )


class DomainErrors(SchemaExtension):
    """Give each DomainError the same machine-readable facts the REST problem+json carries,
    and an argument value GraphQL itself refused (a bad enum name) those of a FieldError."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        document = self.execution_context.graphql_document
        for error in getattr(result, "errors", None) or []:
            original = error.original_error
            if isinstance(original, DomainError):
                error.extensions = {
                    "code": original.code,
                    "status": original.status,
                    "errors": original.errors,
                }
            else:
                as_field_error(error, document)


class _Schema(strawberry.federation.Schema):
    def __init__(self, **kwargs: Any) -> None:
        self._history = asof.history_of(kwargs.get("query"))
        super().__init__(**kwargs)

    async def entities_resolver(  # type: ignore[override]
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """The gateway's fetch of federated fields reads at the operation's cut too."""
        if self._history is not None:
            await asof.entities_cut(info.context, self._history)
        return super().entities_resolver(info, representations)

    entities_resolver.__annotations__ = {  # strawberry reads them; these are not strings
        "info": Info,
        "representations": list[FederationAny],
    }

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Log only what went wrong on our side; a caller's 4xx is an answer, not an error."""
        document = getattr(execution_context, "graphql_document", None)
        unexpected = [
            e
            for e in errors
            if not (isinstance(e.original_error, DomainError) and e.original_error.status < 500)
            and input_field(e, document) is None
        ]
        super().process_errors(unexpected, execution_context)


def federated_schema(**kwargs: Any) -> strawberry.federation.Schema:
    return _Schema(
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
        extensions=[DomainErrors, *limit_extensions()],
        **kwargs,
    )
