from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, peer_url


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    port: int = 8104
    # The pack is composed from the whole graph; signing it off locks the programmes' period.
    gateway_url: str = peer_url("CPMO_GATEWAY_URL", "http://127.0.0.1:4000/graphql")
    programmes_url: str = peer_url("CPMO_PROGRAMMES_URL", "http://127.0.0.1:8101")
    # How many risks each programme summary shows, highest residual score first.
    top_risks: int = 3


@lru_cache
def get_settings() -> ReportingSettings:
    return ReportingSettings()
