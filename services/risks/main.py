"""The risks service: ``uvicorn services.risks.main:app``."""

from services.common.app import create_app
from services.risks.api import router
from services.risks.graphql import schema
from services.risks.settings import get_settings

app = create_app(
    title="CPMO risks",
    description="The RAID log's risks: scored inherent and residual on the 5x5 matrix.",
    settings=get_settings(),
    router=router,
    schema=schema,
)
