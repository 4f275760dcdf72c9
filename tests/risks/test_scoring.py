"""The scoring rule and the programmes check, without a database or a server."""

from __future__ import annotations

import httpx
import pytest

from services.common.errors import DomainError, FieldError, Forbidden, UpstreamUnavailable
from services.common.http import client
from services.common.logging import request_id_var
from services.risks import service
from services.risks.schemas import RiskCreate, RiskRead, score
from tests.risks.factories import risk_body


def test_score_is_likelihood_times_impact_on_the_5x5_matrix() -> None:
    assert score(1, 1) == 1
    assert score(4, 5) == 20
    assert score(5, 5) == 25
    assert {
        score(likelihood, impact) for likelihood in range(1, 6) for impact in range(1, 6)
    } <= set(range(1, 26))


@pytest.mark.parametrize(("likelihood", "impact"), [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_score_refuses_ratings_off_the_scale(likelihood: int, impact: int) -> None:
    with pytest.raises(ValueError, match="scale"):
        score(likelihood, impact)


def test_residual_may_equal_but_not_exceed_inherent() -> None:
    ratings = {"inherent_likelihood": 3, "inherent_impact": 4}
    assert service.check_scores(**ratings, residual_likelihood=4, residual_impact=3) == 12
    assert service.check_scores(**ratings, residual_likelihood=1, residual_impact=1) == 1
    with pytest.raises(FieldError) as raised:
        service.check_scores(**ratings, residual_likelihood=5, residual_impact=3)
    assert raised.value.status == 422
    assert raised.value.errors[0]["field"] == "residual_likelihood"
    assert "15" in raised.value.detail and "12" in raised.value.detail


def test_read_model_computes_both_scores() -> None:
    data = RiskCreate.model_validate(risk_body())
    read = RiskRead.model_validate(
        {
            **data.model_dump(),
            "id": 1,
            "version": 1,
            "created_at": "2024-07-01T00:00:00Z",
            "updated_at": "2024-07-01T00:00:00Z",
        }
    )
    dumped = read.model_dump()
    assert (dumped["inherent_score"], dumped["residual_score"]) == (20, 12)


def test_ratings_outside_1_to_5_are_refused_by_the_schema() -> None:
    with pytest.raises(ValueError, match="inherent_impact"):
        RiskCreate.model_validate(risk_body(inherent_impact=6))


def _answering(status: int, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json={})

    return httpx.MockTransport(handler)


async def _check(transport: httpx.MockTransport, programme_id: int = 7) -> None:
    async with client(transport=transport) as http:
        await service.check_programme(
            http=http, programmes_url="http://programmes/", token="t0ken", programme_id=programme_id
        )


async def test_check_programme_asks_as_the_caller_with_the_request_id() -> None:
    seen: list[httpx.Request] = []
    reset = request_id_var.set("req-123")
    try:
        await _check(_answering(200, seen))
    finally:
        request_id_var.reset(reset)
    (request,) = seen
    assert str(request.url) == "http://programmes/programmes/7"
    assert request.headers["authorization"] == "Bearer t0ken"
    assert request.headers["x-request-id"] == "req-123"


@pytest.mark.parametrize(
    ("status", "error", "http_status"),
    [
        (404, FieldError, 422),
        (401, Forbidden, 403),
        (403, Forbidden, 403),
        (500, UpstreamUnavailable, 503),
        (502, UpstreamUnavailable, 503),
        (429, UpstreamUnavailable, 503),
    ],
)
async def test_check_programme_maps_upstream_answers(
    status: int, error: type[DomainError], http_status: int
) -> None:
    with pytest.raises(error) as raised:
        await _check(_answering(status, []))
    assert raised.value.status == http_status
    assert raised.value.errors[0]["field"] == "programme_id"


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eh")],
)
async def test_check_programme_unreachable_is_503(failure: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(UpstreamUnavailable) as raised:
        await _check(httpx.MockTransport(handler))
    assert raised.value.status == 503
    assert raised.value.errors[0]["field"] == "programme_id"
