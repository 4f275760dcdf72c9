from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    port: int = 8104
    # How many risks each programme summary shows, highest residual score first.
    top_risks: int = 3


@lru_cache
def get_settings() -> ReportingSettings:
    return ReportingSettings()
