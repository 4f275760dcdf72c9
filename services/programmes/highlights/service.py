"""Highlight reports, reporting periods and delivery confidence: the rules REST and GraphQL
share, and what other sub-domains call. Periods, reports and DCA each have a module of their
own; this is the sub-domain's one entry point. Functions only flush; the caller's transaction
commits (or rolls everything back)."""

from __future__ import annotations

from services.programmes.highlights.dca import dca_history as dca_history
from services.programmes.highlights.dca import dca_rag as dca_rag
from services.programmes.highlights.dca import dca_read as dca_read
from services.programmes.highlights.dca import record_dca as record_dca
from services.programmes.highlights.periods import ensure_period as ensure_period
from services.programmes.highlights.periods import find_period as find_period
from services.programmes.highlights.periods import get_period as get_period
from services.programmes.highlights.periods import list_periods as list_periods
from services.programmes.highlights.periods import period_read as period_read
from services.programmes.highlights.periods import period_statuses as period_statuses
from services.programmes.highlights.periods import sign_off_period as sign_off_period
from services.programmes.highlights.reports import REPORT_SORTS as REPORT_SORTS
from services.programmes.highlights.reports import confidence_filter as confidence_filter
from services.programmes.highlights.reports import current_revision as current_revision
from services.programmes.highlights.reports import dca_filter as dca_filter
from services.programmes.highlights.reports import describe as describe
from services.programmes.highlights.reports import describe_one as describe_one
from services.programmes.highlights.reports import get_highlight_report as get_highlight_report
from services.programmes.highlights.reports import (
    import_highlight_report as import_highlight_report,
)
from services.programmes.highlights.reports import (
    latest_highlight_reports as latest_highlight_reports,
)
from services.programmes.highlights.reports import list_highlight_reports as list_highlight_reports
from services.programmes.highlights.reports import pick_revision as pick_revision
from services.programmes.highlights.reports import revisions as revisions
from services.programmes.highlights.reports import revisions_many as revisions_many
from services.programmes.highlights.reports import (
    search_highlight_reports as search_highlight_reports,
)
from services.programmes.highlights.reports import (
    submit_highlight_report as submit_highlight_report,
)
from services.programmes.highlights.reports import (
    update_highlight_report as update_highlight_report,
)
