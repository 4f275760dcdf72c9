from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class KpisSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPIS_", extra="ignore")

    service_name: str = "kpis"
    port: int = 8103
    # Directorate systems push at once (the bench runs 32 clients): each push holds a
    # connection for one short read, so 16 kept open (and 10 more opened when needed) serve
    # them without opening and closing one per push, and leave the database room for others.
    database_pool_size: int = 16
    # A push is two round trips; a pre-ping would add three. A push that meets a connection
    # the database dropped is tried again on a new one (push.apply), and is idempotent.
    database_pre_ping: bool = False


@lru_cache
def get_settings() -> KpisSettings:
    return KpisSettings()
