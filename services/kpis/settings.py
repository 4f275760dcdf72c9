from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class KpisSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPIS_", extra="ignore")

    service_name: str = "kpis"
    port: int = 8103
    # Directorate systems push at once (the bench runs 32 clients): each push holds a
    # connection for one short read, and the group writer two for its rounds. With fewer kept
    # open than pushes at once, the rest were opened and closed push by push (SQLAlchemy's
    # overflow: a TLS attempt, a login and every statement prepared again; 5 % of the
    # service's CPU under 32 clients in a py-spy profile). Connections open only as needed.
    database_pool_size: int = 32
    # A push is two round trips; a pre-ping would add three. A push that meets a connection
    # the database dropped is tried again on a new one (push.apply), and is idempotent.
    database_pre_ping: bool = False


@lru_cache
def get_settings() -> KpisSettings:
    return KpisSettings()
