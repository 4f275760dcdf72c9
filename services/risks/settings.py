from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class RisksSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RISKS_", extra="ignore")

    service_name: str = "risks"
    port: int = 8102


@lru_cache
def get_settings() -> RisksSettings:
    return RisksSettings()
