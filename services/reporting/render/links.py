"""Where each record of the pack lives: every figure in the HTML links to its API resource."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from services.reporting.settings import ReportingSettings


@dataclass(frozen=True)
class Links:
    programmes: str
    risks: str
    kpis: str

    @classmethod
    def from_settings(cls, settings: ReportingSettings) -> Links:
        return cls(settings.programmes_url, settings.risks_url, settings.kpis_url)

    def programme(self, id: str) -> str:
        return f"{self.programmes}/programmes/{id}"

    def person(self, id: str) -> str:
        return f"{self.programmes}/people/{id}"

    def highlight_report(self, id: str) -> str:
        return f"{self.programmes}/highlight-reports/{id}"

    def milestone(self, id: str) -> str:
        return f"{self.programmes}/milestones/{id}"

    def action(self, id: str) -> str:
        return f"{self.programmes}/actions/{id}"

    def savings(self, id: str) -> str:
        return f"{self.programmes}/savings/{id}"

    def escalation(self, id: str) -> str:
        return f"{self.programmes}/escalations/{id}"

    def board_decisions(self, id: str) -> str:
        return f"{self.programmes}/boards/{id}/decisions"

    def risk(self, id: str) -> str:
        return f"{self.risks}/risks/{id}"

    def issue(self, id: str) -> str:
        return f"{self.risks}/issues/{id}"

    def risk_by_code(self, code: str) -> str:
        return f"{self.risks}/risks/by-code/{code}"

    def heat_map(self) -> str:
        return f"{self.risks}/views/heat-map"

    def mitigation(self, id: str) -> str:
        return f"{self.risks}/mitigations/{id}"

    def dependency(self, id: str) -> str:
        return f"{self.risks}/dependencies/{id}"

    def dependency_by_code(self, code: str) -> str:
        return f"{self.risks}/dependencies/by-code/{code}"

    def dependency_map(self) -> str:
        return f"{self.risks}/views/dependency-map"

    def kpi(self, code: str) -> str:
        return f"{self.kpis}/kpis/{code}"

    def kpi_series(self, code: str) -> str:
        return f"{self.kpis}/kpis/{code}/series"

    def kpi_benchmarks(self, code: str) -> str:
        return f"{self.kpis}/kpis/{code}/benchmarks"

    def kpis_of(self, **where: str) -> str:
        """The KPIs a composite counts, e.g. aim_code=AIM-1 or directorate=Finance."""
        return f"{self.kpis}/kpis?{urlencode(where)}"

    def kpi_submissions(self) -> str:
        return f"{self.kpis}/kpis/submissions"

    def smart_item(self, item: str, id: str) -> str:
        return {
            "programme": self.programme,
            "key_activity": self.milestone,
            "action": self.action,
        }.get(item, self.programme)(id)
