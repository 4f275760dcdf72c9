"""What every subgraph shares: the request context, role checks, the reading of common
arguments (pages, ids, enum choices), and errors that keep their problem+json shape (code,
status, field) in the GraphQL ``extensions``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from enum import Enum
from typing import Any, TypeVar, overload

import pydantic
import strawberry
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.fastapi import BaseContext

from services.common.auth import READERS, WRITERS, Principal, Role, authenticate_request
from services.common.db import Transaction
from services.common.errors import DomainError, FieldError, Forbidden
from services.common.pagination import PageParams

FEDERATION_VERSION = "2.9"


K = TypeVar("K")
V = TypeVar("V")
M = TypeVar("M", bound=pydantic.BaseModel)
E = TypeVar("E", bound=Enum)


class Context(BaseContext):
    def __init__(self, *, principal: Principal, engine: AsyncEngine) -> None:
        super().__init__()
        self.principal = principal
        self.engine = engine
        self.loaders: dict[str, DataLoader[Any, Any]] = {}
        # Set when the operation reads at a cut (services/common/asof.py).
        self.cut_session: Callable[[], AsyncSession] | None = None

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

    def transaction(self) -> Transaction:
        """Each mutation commits alone, or rolls back and reports the error."""
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


def page(limit: int, offset: int, sort: str | None = None) -> PageParams:
    """A list field's page: limit held to 1..500 and offset to 0 or more."""
    return PageParams(limit=max(1, min(limit, 500)), offset=max(0, offset), sort=sort)


def optional_id(value: strawberry.ID | None) -> int | None:
    """An optional ID argument as the int the services take; null (or empty) filters nothing."""
    return int(value) if value else None


def id_or_none(value: int | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


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
    if not principal.has_any((*READERS, Role.machine)):
        raise Forbidden("no role allows reading this graph", field="roles")
    return Context(principal=principal, engine=request.app.state.engine)


class DomainErrors(SchemaExtension):
    """Give each DomainError the same machine-readable facts the REST problem+json carries."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or []:
            original = error.original_error
            if isinstance(original, DomainError):
                error.extensions = {
                    "code": original.code,
                    "status": original.status,
                    "errors": original.errors,
                }


class _Schema(strawberry.federation.Schema):
    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Log only what went wrong on our side; a caller's 4xx is an answer, not an error."""
        unexpected = [
            e
            for e in errors
            if not (isinstance(e.original_error, DomainError) and e.original_error.status < 500)
        ]
        super().process_errors(unexpected, execution_context)


def federated_schema(**kwargs: Any) -> strawberry.federation.Schema:
    return _Schema(
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
        extensions=[DomainErrors],
        **kwargs,
    )
