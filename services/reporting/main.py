"""The reporting service: ``uvicorn services.reporting.main:app``."""

from services.common.app import create_app
from services.reporting.api import router
from services.reporting.graphql import schema
from services.reporting.schedule import with_schedule
from services.reporting.settings import get_settings

app = create_app(
    title="CPMO reporting",
    description="Assurance packs for the Transformation and Improvement Board.",
    settings=get_settings(),
    router=router,
    schema=schema,
)
# The monthly draft is generated in the background when REPORTING_SCHEDULE is set.
app.router.lifespan_context = with_schedule(app.router.lifespan_context)
