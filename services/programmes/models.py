"""Every table of the programmes service, for Alembic and for readers: each domain folder
declares its own, all in the service's one metadata (see base.py)."""

from services.common.asof import register
from services.programmes.actions.models import *  # noqa: F403
from services.programmes.base import AuditEntry, Base
from services.programmes.governance.models import *  # noqa: F403
from services.programmes.highlights.models import *  # noqa: F403
from services.programmes.milestones.models import *  # noqa: F403
from services.programmes.plan.models import *  # noqa: F403
from services.programmes.savings.models import *  # noqa: F403

__all__ = ["AuditEntry", "Base", "history"]

# Last, once every table above is declared: each gets a history table for as-of reads.
history = register(Base, AuditEntry)
