"""What every service refuses before its database sees it, and how it answers when something
unexpected happens anyway: problem+json, never SQL."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from services.common.errors import install_error_handlers
from services.common.posture import TimeBudgetMiddleware, install_safety_net
from services.stack import ROOT
from tests.conftest import ADMIN, RAG_SCALE, VIEWER, auth

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/programmes/2147483648", None, "programme_id"),
        ("get", "/programmes?offset=9223372036854775808", None, "offset"),
        ("get", "/programmes/by-code/A%00B", None, "code"),
        ("post", "/portfolios", {"code": "NUL", "name": "a\x00b"}, "name"),
        ("post", "/portfolios", {"code": "BELL\x07", "name": "x"}, "code"),
        ("post", "/portfolios", {"code": "Żółw", "name": "x"}, "code"),
        ("post", "/portfolios", {"code": "A/B", "name": "x"}, "code"),
        ("post", "/people", {"name": "Someone", "email": "not-an-email"}, "email"),
    ],
)
async def test_out_of_range_input_is_a_422_naming_the_field(
    programmes_api: httpx.AsyncClient, method: str, path: str, body: Any, field: str
) -> None:
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    response = await getattr(programmes_api, method)(path, headers=ADMIN, **kwargs)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == field
    assert (await programmes_api.get("/portfolios", headers=ADMIN)).json() == []
    assert (await programmes_api.get("/people", headers=ADMIN)).json()["items"] == []


async def test_a_plan_with_an_empty_aim_is_a_422(programmes_api: httpx.AsyncClient) -> None:
    """Found by schemathesis: the loader built the aim itself and its ValidationError was a 500."""
    plan = {
        "portfolio": {"code": "P0", "name": "P", "rag_scale": RAG_SCALE},
        "aims": [{"code": "", "name": ""}],
    }
    response = await programmes_api.post("/imports/plan", headers=ADMIN, json=plan)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert {e["field"] for e in response.json()["errors"]} >= {"code", "name"}
    assert (await programmes_api.get("/portfolios", headers=ADMIN)).json() == []


async def test_malformed_json_names_the_body(programmes_api: httpx.AsyncClient) -> None:
    response = await programmes_api.post(
        "/portfolios",
        headers={**ADMIN, "content-type": "application/json"},
        content=b'{"code": "X", "name": }',
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


async def test_free_text_keeps_tabs_and_newlines(programmes_api: httpx.AsyncClient) -> None:
    response = await programmes_api.post(
        "/portfolios",
        headers=ADMIN,
        json={"code": "TXT-1", "name": "line one\n\tline two\r\n", "rag_scale": RAG_SCALE},
    )
    assert response.status_code == 201, response.text


async def test_a_streamed_body_over_the_limit_is_413(programmes_api: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"code": "BIG", "name": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'"}'

    response = await programmes_api.post(
        "/portfolios",
        headers={**ADMIN, "content-type": "application/json"},
        content=chunks(),
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert (await programmes_api.get("/portfolios", headers=ADMIN)).json() == []


async def test_405_names_the_allowed_methods(programmes_api: httpx.AsyncClient) -> None:
    response = await programmes_api.delete("/portfolios", headers=ADMIN)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"] and "POST" in response.headers["allow"]


async def test_a_database_refusal_in_graphql_shows_no_sql(
    programmes_api: httpx.AsyncClient,
) -> None:
    # A NUL inside the GraphQL document itself (not a variable) reaches the database.
    response = await programmes_api.post(
        "/graphql",
        headers=VIEWER,
        json={"query": '{ programmeByCode(code: "A\\u0000B") { code } }'},
    )
    body = response.json()
    text = str(body)
    assert "SELECT" not in text and "parameters" not in text, text
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "invalid-field"
    assert error["extensions"]["service"] == "programmes"


async def test_a_machine_token_cannot_read_the_graph(programmes_api: httpx.AsyncClient) -> None:
    machine = auth("machine", "finance-ledger", kpis=["KPI-01"])
    response = await programmes_api.post(
        "/graphql", headers=machine, json={"query": "{ people { name email } }"}
    )
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM


def _app_that_fails() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_safety_net(app, "demo-service")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("SELECT secret FROM users WHERE password = 'x'")

    @app.get("/db")
    async def db() -> None:
        raise DBAPIError("SELECT * FROM programme WHERE id = $1", {"id": 1}, Exception("conn"))

    return app


@pytest.mark.parametrize("path", ["/boom", "/db"])
async def test_anything_unexpected_is_a_500_problem_without_sql(path: str) -> None:
    transport = httpx.ASGITransport(app=_app_that_fails(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get(path)
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "internal error in demo-service"
    assert "SELECT" not in response.text


@pytest.mark.parametrize("service", ["programmes", "risks", "kpis", "reporting"])
def test_every_route_documents_its_problems(service: str) -> None:
    app = __import__(f"services.{service}.main", fromlist=["app"]).app
    undocumented = [
        f"{method.upper()} {path} {status}"
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        for status in ("422", "4XX", "5XX")
        if PROBLEM not in operation["responses"].get(status, {}).get("content", {})
    ]
    assert not undocumented, undocumented


async def test_a_request_over_its_time_budget_is_stopped_and_answered() -> None:
    finished = asyncio.Event()
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> None:
        await asyncio.sleep(30)
        finished.set()

    budgeted = TimeBudgetMiddleware(app, seconds=0.2)
    transport = httpx.ASGITransport(app=budgeted)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/slow")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/over-time-budget")
    assert not finished.is_set()


def role_checked_late(source: str) -> list[str]:
    """The GraphQL mutations in ``source`` whose first statement is not the role check
    (``info.context.writer()`` or ``info.context.require(...)``)."""
    late = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not any(
            "mutation" in ast.unparse(d) for d in node.decorator_list
        ):
            continue
        body = [
            s
            for s in node.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        ]
        first = ast.unparse(body[0]) if body else ""
        if "info.context.writer()" not in first and "info.context.require(" not in first:
            late.append(node.name)
    return late


def test_every_mutation_checks_the_role_before_its_input() -> None:
    """As REST does (the role is a dependency, solved before the body): a viewer's bad input
    is a 403, and tells nothing about what would have been valid."""
    late = {
        str(path.relative_to(ROOT)): names
        for path in sorted((ROOT / "services").rglob("*.py"))
        if (names := role_checked_late(path.read_text()))
    }
    assert late == {}


def test_the_role_check_finds_a_mutation_that_reads_its_input_first() -> None:
    source = (
        "@strawberry.mutation\n"
        "async def early(self, info):\n"
        "    actor = info.context.writer()\n"
        "    return parse_id(x)\n"
        "@strawberry.mutation(description='d')\n"
        "async def late(self, info):\n"
        "    '''A docstring is not a statement.'''\n"
        "    ids = parse_id(x)\n"
        "    actor = info.context.writer()\n"
    )
    assert role_checked_late(source) == ["late"]
