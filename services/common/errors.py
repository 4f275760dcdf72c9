"""One error hierarchy; each class carries its HTTP status. One handler renders RFC 9457."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.common.logging import request_id_var

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        if field is not None:
            self.errors.insert(0, {"field": field, "message": detail})
        self.headers = headers or {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://cpmo.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        request_id = request_id_var.get()
        if request_id:
            body["request_id"] = request_id
        return body


class FieldError(DomainError):
    """The request is well-formed but a field's value is not acceptable."""

    status = 422
    code = "invalid-field"
    title = "Invalid field"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(DomainError):
    status = 428
    code = "precondition-required"
    title = "Precondition required"


class UpstreamUnavailable(DomainError):
    status = 503
    code = "upstream-unavailable"
    title = "A service this request depends on is unavailable"


def problem_response(error: DomainError, request: Request) -> JSONResponse:
    return JSONResponse(
        error.to_problem(instance=request.url.path),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=error.headers,
    )


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    # FastAPI prefixes the location ("body", "query", "path", "header"); keep the field path.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
    return ", ".join(
        method
        for method in methods
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                # Malformed JSON's location is a character offset, not a field.
                "field": "body" if e.get("type") == "json_invalid" else _field_name(e["loc"]),
                "message": e.get("msg", ""),
                "code": e.get("type"),
            }
            for e in exc.errors()
        ]
        first = errors[0]["field"] if errors else "body"
        error = FieldError(f"invalid value for '{first}'", errors=errors)
        return problem_response(error, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = DomainError(str(exc.detail))
        error.status = exc.status_code
        error.code = {404: "not-found", 405: "method-not-allowed"}.get(
            exc.status_code, "http-error"
        )
        error.title = str(exc.detail)
        error.headers = dict(exc.headers or {})
        if exc.status_code == 405:
            error.headers["Allow"] = _allowed_methods(request)
        return problem_response(error, request)
