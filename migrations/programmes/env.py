from alembic import context

from services.programmes.models import Base
from services.programmes.settings import get_settings
from services.common.migrate import run_env

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", get_settings().resolved_database_url())

run_env(Base.metadata, "programmes")
