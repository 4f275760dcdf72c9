"""Bearer JWTs on every request: HS256 with a shared secret, or an OIDC issuer's JWKS.

Claims: ``sub`` (who) and ``roles`` (admin, editor, viewer, machine). Any other claim (a
service's own grants, e.g. what a machine client may push) stays in ``Principal.claims`` for
that service to read: the rules of a domain live in its service, not here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from services.common.db import utcnow
from services.common.errors import Forbidden, Unauthorized
from services.common.settings import CommonSettings


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    viewer = "viewer"
    machine = "machine"


READERS = (Role.admin, Role.editor, Role.viewer)
WRITERS = (Role.admin, Role.editor)


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    token: str = ""
    # Every claim of the token, for the service whose grants they are.
    claims: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def has_any(self, roles: tuple[Role, ...]) -> bool:
        return bool(self.roles & set(roles))


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


# Tokens already verified, by token and the settings that verified them: a machine client
# sends the same token on every push, and checking its signature again each time was a fifth
# of a push's CPU. Expiry is checked on every use.
_VERIFIED: OrderedDict[tuple[str, str, str | None, str | None, str | None], Principal] = (
    OrderedDict()
)
_VERIFIED_MAX = 1024


def decode_token(token: str, settings: CommonSettings) -> Principal:
    key = (
        token,
        settings.jwt_secret,
        settings.jwks_url,
        settings.jwt_audience,
        settings.jwt_issuer,
    )
    known = _VERIFIED.get(key)
    if known is not None:
        if known.claims["exp"] <= time.time():
            del _VERIFIED[key]
            raise Unauthorized("the bearer token has expired", field="Authorization")
        return known
    principal = _decode(token, settings)
    _VERIFIED[key] = principal
    if len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return principal


def _decode(token: str, settings: CommonSettings) -> Principal:
    options: Any = {
        "require": ["sub", "exp"],
        "verify_aud": settings.jwt_audience is not None,
    }
    try:
        if settings.jwks_url:
            key: Any = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key
            algorithms = ["RS256", "ES256", "PS256"]
        else:
            key, algorithms = settings.jwt_secret, ["HS256"]
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options=options,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the bearer token has expired", field="Authorization") from exc
    except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
        raise Unauthorized(f"the bearer token is not valid: {exc}", field="Authorization") from exc
    raw_roles = claims.get("roles", [])
    if isinstance(raw_roles, str):
        raw_roles = raw_roles.split()
    roles = frozenset(Role(r) for r in raw_roles if r in Role.__members__)
    return Principal(
        subject=str(claims["sub"]),
        roles=roles,
        token=token,
        claims=claims,
    )


def issue_token(
    settings: CommonSettings,
    *,
    subject: str,
    roles: list[str],
    grants: Mapping[str, Any] | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """Mint an HS256 token: development, tests and machine-client provisioning. ``grants`` are
    extra claims a service reads from ``Principal.claims``."""
    now = utcnow()
    claims: dict[str, Any] = {**(grants or {}), "sub": subject, "roles": roles}
    claims.update(iat=now, exp=now + ttl)
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("a bearer token is required", field="Authorization")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "the Authorization header must be 'Bearer <token>'", field="Authorization"
        )
    return token.strip()


def authenticate_request(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = bearer_token(request.headers.get("authorization"))
    principal = decode_token(token, request.app.state.common_settings)
    request.state.principal = principal
    return principal


async def authenticated(request: Request) -> Principal:
    """The dependency: async, so FastAPI does not hand a few microseconds of HMAC to a worker
    thread on every request. Fetching an OIDC issuer's keys blocks, so that path keeps one."""
    if request.app.state.common_settings.jwks_url:
        return await run_in_threadpool(authenticate_request, request)
    return authenticate_request(request)


def require(*roles: Role) -> Any:
    """Dependency: the caller must hold one of ``roles``."""

    async def _check(request: Request) -> Principal:
        principal = await authenticated(request)
        if not principal.has_any(roles):
            raise Forbidden(
                f"this needs one of the roles {', '.join(r.value for r in roles)}",
                field="roles",
            )
        return principal

    return Depends(_check)


Reader = Annotated[Principal, require(*READERS)]
Writer = Annotated[Principal, require(*WRITERS)]
Admin = Annotated[Principal, require(Role.admin)]
Authenticated = Annotated[Principal, Depends(authenticated)]
