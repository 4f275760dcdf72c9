"""The KPI service's own Prometheus series, beside the request metrics every service has."""

from __future__ import annotations

from services.common.metrics import counted_outcomes
from services.kpis.schemas import PushOutcome

# cpmo_kpi_push_items_total{outcome}, cpmo_kpi_push_refusals_total{status}
CountedPushes = counted_outcomes(
    "kpi_push", "KPI values pushed", tuple(outcome.value for outcome in PushOutcome)
)
