"""The risks service's audit: every write recorded in the writer's own transaction."""

from services.common import audit
from services.risks.models import AuditEntry

snapshot = audit.snapshot
record = audit.Recorder(AuditEntry)
