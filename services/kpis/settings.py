from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class KpisSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPIS_", extra="ignore")

    service_name: str = "kpis"
    port: int = 8103


@lru_cache
def get_settings() -> KpisSettings:
    return KpisSettings()
