"""The reporting service's own Prometheus series, beside the request metrics every service has."""

from __future__ import annotations

from services.common.metrics import Runs

# cpmo_pack_runs_total{trigger,result}, cpmo_pack_run_duration_seconds{trigger,result}:
# trigger "request" (POST /packs) or "schedule"; result "done" or "failed".
PACK_RUNS = Runs("pack", "assurance packs composed")
CountedPackRun = PACK_RUNS.requested()
