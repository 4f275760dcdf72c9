"""The programmes service's REST API: each domain's router, and the change feed."""

from fastapi import APIRouter

from services.common.changes import changes_router
from services.programmes.actions.api import router as actions
from services.programmes.assurance.api import router as assurance
from services.programmes.base import AuditEntry
from services.programmes.comparison.api import router as comparison
from services.programmes.governance.api import router as governance
from services.programmes.highlights.api import router as highlights
from services.programmes.loader.api import router as loader
from services.programmes.milestones.api import router as milestones
from services.programmes.plan.api import router as plan
from services.programmes.savings.api import router as savings
from services.programmes.transfer.api import router as transfer

router = APIRouter()
for domain in (
    plan,
    milestones,
    actions,
    highlights,
    savings,
    governance,
    assurance,
    transfer,
    loader,
    comparison,
):
    router.include_router(domain)
router.include_router(changes_router(AuditEntry))
