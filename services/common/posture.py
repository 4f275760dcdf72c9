"""How a service faces the outside: which documents it shows (none to strangers in
production), the security headers on every answer, and how large a request body may be."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pydantic
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import DataError, DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import PROBLEM_JSON, DomainError
from services.common.logging import CLIENT_GONE
from services.common.settings import Mode

log = logging.getLogger("cpmo.unexpected")


class PostureSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPMO_", extra="ignore")

    # /docs, /openapi.json and GraphiQL: None means on except in production.
    expose_docs: bool | None = None
    # Request bodies: JSON routes, and the plan and spreadsheet imports (their own limit).
    max_body_bytes: int = 1_000_000
    max_import_bytes: int = 20_000_000
    # A request still running after this is stopped (its transaction rolls back) and answered
    # 503, so one costly call cannot hold a worker and the database indefinitely.
    request_budget_seconds: float = 60.0

    def docs_on(self, mode: Mode) -> bool:
        return self.expose_docs if self.expose_docs is not None else mode != Mode.production

    def body_limit(self, path: str) -> int:
        return self.max_import_bytes if "/import" in path else self.max_body_bytes


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload-too-large"
    title = "Request body too large"


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
# GraphiQL and /docs load scripts and styles; everything else is data and needs nothing.
STRICT_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, strict_csp: bool) -> None:
        self.app = app
        self.strict_csp = strict_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*SECURITY_HEADERS, *([STRICT_CSP] if self.strict_csp else [])]
                headers.extend(h for h in extra if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class OverBudget(DomainError):
    status = 503
    code = "over-time-budget"
    title = "The request ran out of time"


class TimeBudgetMiddleware:
    """Work stops when its time budget runs out (503) or when the client goes away: its task is
    cancelled, which rolls its transaction back and cancels the query in flight (asyncpg sends
    PostgreSQL a cancel request), so an abandoned query does not run on for nobody.

    Sits inside BodyLimitMiddleware, which has read the whole body: after it, the only message
    the server can still send is the disconnect, so a watcher waits for it beside the work."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        answered = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, answered
            started = started or message["type"] == "http.response.start"
            # Set before sending: the server reports a finished response as a "disconnect".
            answered = answered or (
                message["type"] == "http.response.body" and not message.get("more_body", False)
            )
            await send(message)

        work = asyncio.current_task()
        first = await receive()
        gone = asyncio.Event()
        if first["type"] == "http.disconnect":
            return
        if first.get("more_body", False) or work is None:
            app_receive, watcher = _replay(first, receive), None  # a body still streaming
        else:
            app_receive = _body_then(first, gone)

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                if not answered:
                    gone.set()
                    work.cancel()

            watcher = asyncio.create_task(watch())
        try:
            async with asyncio.timeout(self.seconds):
                await self.app(scope, app_receive, tracking_send)
        except TimeoutError:
            log.warning("stopped after the %ss budget: %s", self.seconds, scope.get("path"))
            if not started:
                error = OverBudget(f"stopped after this service's {self.seconds:g}s time budget")
                await _send_problem(scope, send, error)
        except asyncio.CancelledError:
            if not gone.is_set() or work is None:
                raise
            # Our own cancellation: the client left, nobody is waiting for an answer.
            work.uncancel()
            scope[CLIENT_GONE] = True
            log.info("client went away; work stopped: %s", scope.get("path"))
        finally:
            if watcher is not None:
                watcher.cancel()


def _body_then(first: Message, gone: asyncio.Event) -> Receive:
    """The body, then (for an app that listens) the disconnect once the watcher has seen it."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        await gone.wait()
        return {"type": "http.disconnect"}

    return receive


class BodyLimitMiddleware:
    """Refuse a body over the route's limit with 413 problem+json before any handler runs: at
    once when Content-Length says so, else as soon as the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, *, settings: PostureSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.settings.body_limit(scope.get("path", ""))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        # Read the body here (the handler would read it whole anyway) and hand it on in one.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)
                return
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > limit:
                await self._refuse(scope, send, limit)
                return
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay(whole, receive), send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        await _send_problem(scope, send, too_large(limit), close=True)


async def _send_problem(scope: Scope, send: Send, error: DomainError, close: bool = False) -> None:
    body = json.dumps(error.to_problem(instance=scope.get("path"))).encode()
    headers: list[Any] = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *([(b"connection", b"close")] if close else []),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replay(first: Message, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return replay


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is over this route's limit of {limit} bytes")


def unstorable(exc: BaseException) -> bool:
    """The database refused a value as data: an integer past its column, a NUL in text, a
    date out of range (SQLSTATE class 22, or asyncpg's own check of a query argument)."""
    if not isinstance(exc, DBAPIError):
        return False
    if isinstance(exc, DataError):
        return True
    cause = exc.orig.__cause__ if exc.orig is not None else None
    sqlstate = str(getattr(cause, "sqlstate", "") or getattr(exc.orig, "sqlstate", "") or "")
    return sqlstate.startswith("22") or type(cause).__name__ == "DataError"


def install_safety_net(app: Any, service: str) -> None:
    """Last-resort handlers: whatever escapes the domain's checks is still problem+json and
    never carries SQL, parameters or a stack. A value the database refuses as data is the
    caller's 422; anything else is our 500, logged with its traceback."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    from services.common.errors import FieldError, problem_response

    def internal(request: Request) -> JSONResponse:
        error = DomainError(f"internal error in {service}")
        error.status, error.code, error.title = 500, "internal", "Internal error"
        return problem_response(error, request)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if unstorable(exc):
            log.warning("database refused a value: %s", type(exc.orig).__name__)
            return problem_response(FieldError(UNSTORABLE), request)
        log.error("database error", exc_info=exc)
        return internal(request)

    @app.exception_handler(pydantic.ValidationError)
    async def _model(request: Request, exc: pydantic.ValidationError) -> JSONResponse:
        # A domain model built from the request inside a service (a plan loader's aim, say):
        # the caller's values, refused by the same rules REST applies at the door.
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "code": e["type"]}
            for e in exc.errors()
        ]
        first = errors[0]["field"] if errors else "body"
        return problem_response(FieldError(f"invalid value for '{first}'", errors=errors), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return internal(request)


UNSTORABLE = "a value is outside what can be stored (too large, or a character not allowed)"


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": ["string", "null"]},
                },
            },
        },
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


# What every route may answer besides its success, as its OpenAPI document says.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: _problem("a field's value is not acceptable; `errors` names each field"),
    "4XX": _problem(
        "refused: 401 no or bad token, 403 wrong role, 404 not found, 409 conflict, "
        "412 stale If-Match, 413 body too large, 428 If-Match required"
    ),
    "5XX": _problem("internal error, or a service this one depends on is unavailable (503)"),
}


def document_preconditions(schema: dict[str, Any]) -> dict[str, Any]:
    """Name 412 and 428 on every operation that reads If-Match (the 4XX range covers them;
    a client generator wants them by number): 428 where the header is required by the route
    (ExpectedVersion), 412 wherever a stale one is refused."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            headers = [
                p
                for p in operation.get("parameters", [])
                if p.get("in") == "header" and p.get("name", "").lower() == "if-match"
            ]
            if not headers:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("412", _problem("the If-Match is stale: read again, reapply"))
            if "optional" not in headers[0].get("description", ""):
                responses.setdefault(
                    "428", _problem("If-Match is required: send the ETag you last read")
                )
    return schema
