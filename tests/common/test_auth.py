"""Tokens: HS256 by default, an OIDC issuer's JWKS by configuration; secrets never defaulted
outside development mode."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from services.common.auth import Role, decode_token, issue_token
from services.common.errors import Unauthorized
from services.common.settings import DEVELOPMENT_SECRET, CommonSettings, Mode
from services.kpis.permissions import grants, may_push_kpi

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def settings(**kwargs: object) -> CommonSettings:
    return CommonSettings(**{"mode": Mode.test, "jwt_secret": SECRET, **kwargs})  # type: ignore[arg-type]


def test_round_trip_with_roles_and_kpi_grants() -> None:
    s = settings()
    token = issue_token(
        s, subject="ledger-sync", roles=["machine"], grants=grants(["KPI-01", "KPI-07"])
    )
    principal = decode_token(token, s)
    assert principal.subject == "ledger-sync"
    assert principal.roles == {Role.machine}
    assert may_push_kpi(principal, "KPI-07") and not may_push_kpi(principal, "KPI-02")


def test_editors_may_push_any_kpi_viewers_none() -> None:
    s = settings()
    editor = decode_token(issue_token(s, subject="e", roles=["editor"]), s)
    viewer = decode_token(issue_token(s, subject="v", roles=["viewer"]), s)
    assert may_push_kpi(editor, "KPI-99") and not may_push_kpi(viewer, "KPI-01")


def test_rejects_expired_wrong_secret_and_unsigned() -> None:
    s = settings()
    expired = issue_token(s, subject="x", roles=["admin"], ttl=timedelta(seconds=-5))
    with pytest.raises(Unauthorized, match="expired"):
        decode_token(expired, s)
    other = settings(jwt_secret="another-secret-that-is-long-enough-987654321")
    with pytest.raises(Unauthorized):
        decode_token(issue_token(other, subject="x", roles=["admin"]), s)
    unsigned = jwt.encode(
        {"sub": "x", "roles": ["admin"], "exp": 9999999999}, None, algorithm="none"
    )
    with pytest.raises(Unauthorized):
        decode_token(unsigned, s)


def test_default_secret_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="CPMO_JWT_SECRET"):
        CommonSettings(mode=Mode.production, jwt_secret=DEVELOPMENT_SECRET)
    with pytest.raises(ValidationError, match="at least 32"):
        CommonSettings(mode=Mode.production, jwt_secret="short")
    assert CommonSettings(mode=Mode.development, jwt_secret=DEVELOPMENT_SECRET).jwt_secret


@pytest.fixture
def jwks_issuer() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """A stand-in OIDC issuer (outside the project): serves its JWKS over real HTTP."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    finally:
        server.shutdown()


def test_oidc_tokens_verified_against_jwks(jwks_issuer: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, key = jwks_issuer
    s = settings(jwks_url=url, jwt_issuer="https://id.council.example", jwt_audience="cpmo")
    claims = {
        "sub": "jane",
        "roles": ["viewer"],
        "exp": 9999999999,
        "iss": "https://id.council.example",
        "aud": "cpmo",
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    assert decode_token(token, s).roles == {Role.viewer}
    wrong_audience = jwt.encode(
        {**claims, "aud": "other"}, key, algorithm="RS256", headers={"kid": "k1"}
    )
    with pytest.raises(Unauthorized):
        decode_token(wrong_audience, s)
    hs256 = issue_token(settings(), subject="x", roles=["admin"])
    with pytest.raises(Unauthorized):
        decode_token(hs256, s)
