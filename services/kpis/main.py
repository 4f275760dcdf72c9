"""The KPIs service: ``uvicorn services.kpis.main:app``."""

from services.common.app import create_app
from services.kpis.api import router
from services.kpis.graphql import schema
from services.kpis.settings import get_settings

app = create_app(
    title="CPMO KPIs",
    description="KPI definitions, the values directorate systems push, colour and direction.",
    settings=get_settings(),
    router=router,
    schema=schema,
)
