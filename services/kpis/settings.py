from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class KpisSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPIS_", extra="ignore")

    service_name: str = "kpis"
    port: int = 8103
    # Directorate systems push at once (the bench runs 32 clients): each push holds a
    # connection for one read, and a pool too small would open and close one per push.
    database_pool_size: int = 32
    # A push is two round trips; a pre-ping would add three. A push that meets a connection
    # the database dropped is tried again on a new one (push.apply), and is idempotent.
    database_pre_ping: bool = False


@lru_cache
def get_settings() -> KpisSettings:
    return KpisSettings()
