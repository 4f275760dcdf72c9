from alembic import context

from services.common.migrate import run_env
from services.programmes.models import Base
from services.programmes.settings import get_settings

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", get_settings().resolved_database_url())

run_env(Base.metadata, "programmes")
