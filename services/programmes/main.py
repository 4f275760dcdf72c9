"""The programmes service: ``uvicorn services.programmes.main:app``."""

from services.common.app import create_app
from services.programmes.api import router
from services.programmes.graphql import schema
from services.programmes.settings import get_settings

app = create_app(
    title="CPMO programmes",
    description="Portfolios, aims, programmes, key activities and highlight reports.",
    settings=get_settings(),
    router=router,
    schema=schema,
)
