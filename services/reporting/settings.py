from functools import lru_cache

from croniter import croniter
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, peer_url


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    port: int = 8104
    # The pack is composed from the whole graph; signing it off locks the programmes' period.
    gateway_url: str = peer_url("CPMO_GATEWAY_URL", "http://127.0.0.1:4000/graphql")
    programmes_url: str = peer_url("CPMO_PROGRAMMES_URL", "http://127.0.0.1:8101")
    # Where the pack's links point: every figure links to its record's API resource.
    risks_url: str = peer_url("CPMO_RISKS_URL", "http://127.0.0.1:8102")
    kpis_url: str = peer_url("CPMO_KPIS_URL", "http://127.0.0.1:8103")
    # How many risks each programme summary shows, highest residual score first.
    top_risks: int = 3
    # Cron expression, council time, for the monthly draft of the month before, e.g.
    # "0 6 3 * *" (06:00 on the 3rd); unset, nothing is generated on a schedule.
    schedule: str | None = None
    schedule_portfolio_code: str | None = None
    schedule_tick_seconds: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression (minute hour day month weekday)")
        return value


@lru_cache
def get_settings() -> ReportingSettings:
    return ReportingSettings()
