"""Settings shared by every component, and the base every service's settings extend.

Shared values use the ``CPMO_`` prefix; each service adds its own prefix (``PROGRAMMES_``, ...)
for what is its alone: database URL, host, port.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development only: anything else refuses to start with it (see CommonSettings.check_secret).
DEVELOPMENT_SECRET = "cpmo-development-secret-change-me-0123456789"


class Mode(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPMO_", extra="ignore")

    mode: Mode = Mode.development
    data_dir: Path = Path("data")
    log_level: str = "INFO"
    # HS256 by default; set jwks_url to verify an OIDC issuer's RS256/ES256 tokens instead.
    jwt_secret: str = DEVELOPMENT_SECRET
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_url: str | None = None
    http_timeout_seconds: float = 10.0
    # OpenTelemetry traces (services/common/tracing.py): on when an OTLP endpoint is set, under
    # the standard names the SDK itself reads, so one variable configures every component.
    otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )
    otel_sdk_disabled: bool = Field(default=False, validation_alias="OTEL_SDK_DISABLED")
    # /metrics on every service and the gateway: with a token set, only `Authorization: Bearer
    # <token>` (Prometheus's `authorization` scrape setting) reads it; without one it is open,
    # except in production, where it is then off.
    metrics_token: SecretStr | None = None

    @field_validator("metrics_token", "otlp_endpoint", mode="before")
    @classmethod
    def empty_is_unset(cls, value: Any) -> Any:
        # Compose passes an unset variable on as "": that is no token, no endpoint.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def check_secret(self) -> CommonSettings:
        if (
            self.mode != Mode.development
            and self.jwks_url is None
            and self.jwt_secret == DEVELOPMENT_SECRET
        ):
            raise ValueError(
                "CPMO_JWT_SECRET is the development default; set a real secret "
                "(or CPMO_JWKS_URL) outside development mode"
            )
        if self.jwks_url is None and len(self.jwt_secret) < 32:
            raise ValueError("CPMO_JWT_SECRET must be at least 32 characters for HS256")
        return self


class ServiceSettings(BaseSettings):
    """Per-service settings. Subclasses set ``env_prefix`` and ``service_name``."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = ""
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Apply migrations at start-up; off when a deployment runs them as a separate job.
    migrate_on_start: bool = True
    # PostgreSQL connections the service keeps open (more open and close as load needs them).
    database_pool_size: int = 10
    # Test each pooled connection before use (three round trips on asyncpg). Without it, the
    # first statement on a connection the database dropped (a restart) fails, and SQLAlchemy
    # then replaces the whole pool.
    database_pre_ping: bool = True

    def common(self) -> CommonSettings:
        return CommonSettings()

    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL: the configured one, or a SQLite file in the data folder."""
        if self.database_url:
            return async_url(self.database_url)
        data_dir = self.common().data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(data_dir / f'{self.service_name}.db').resolve()}"


def peer_url(env: str, default: str) -> Any:
    """A setting for where another component is, read from the shared name ``env`` (e.g.
    ``CPMO_GATEWAY_URL``) rather than the service's prefix: every component that calls a peer
    finds it under the same name. Each service declares only the peers it calls."""
    return Field(default=default, validation_alias=AliasChoices(env))


def async_url(url: str) -> str:
    """Accept the URLs people write (postgresql://, sqlite:///) and pick the async driver."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url
