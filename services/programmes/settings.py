from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class ProgrammesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROGRAMMES_", extra="ignore")

    service_name: str = "programmes"
    port: int = 8101


@lru_cache
def get_settings() -> ProgrammesSettings:
    return ProgrammesSettings()
