from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, peer_url


class RisksSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RISKS_", extra="ignore")

    service_name: str = "risks"
    port: int = 8102
    # Risks name programmes; their ids are checked against the programmes service.
    programmes_url: str = peer_url("CPMO_PROGRAMMES_URL", "http://127.0.0.1:8101")
    # Key risk indicators follow the kpis service's change feed.
    kpis_url: str = peer_url("CPMO_KPIS_URL", "http://127.0.0.1:8103")


@lru_cache
def get_settings() -> RisksSettings:
    return RisksSettings()
