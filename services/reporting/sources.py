"""What a pack reads: one GraphQL query through the gateway, and the programmes service's
assurance checks over REST. The number of requests is fixed, whatever the number of
programmes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from services.common.errors import UpstreamUnavailable
from services.common.http import bearer
from services.reporting import cuts as pack_cuts
from services.reporting.periods import Period

# A dependency needed within this many days of the pack's cut-off counts as at risk (the
# risks service's rule), so next month's needs show in this month's pack.
DEPENDENCY_HORIZON_DAYS = 30

PACK_QUERY = """
query AssurancePack(
  $portfolioCode: String, $upToPeriod: String!, $previousPeriod: String!, $topRisks: Int!,
  $financialYear: String!, $asOf: Date!, $since: Date!, $until: Date!, $horizonDays: Int!
) {
  programmes(limit: 500, portfolioCode: $portfolioCode) {
    items {
      id version code name directorate portfolioCode aimCode
      sao { id name } rdl { id name } leadMember { id name }
      aim { code name }
      latestHighlightReport(upToPeriod: $upToPeriod) {
        id version period dca dcaRag dcaReason highlights decisionsNeeded
        nextSteps { what when who }
      }
      previousHighlightReport: latestHighlightReport(upToPeriod: $previousPeriod) {
        id version period dca dcaRag
      }
      keyActivities {
        id version title startText endText endDate forecastDate actualDate status owner
      }
      escalations {
        id version kind title reason status raisedBy raisedOn
        board { id code name kind }
        resolutionDecision { id decidedOn decision }
      }
      risks(top: $topRisks, status: OPEN) {
        id version code title owner residualScore inherentScore status
      }
    }
  }
  savingsInitiatives(financialYear: $financialYear, asOf: $asOf, limit: 500) {
    items {
      id version code title programmeId directorate target forecast delivered rag late lateReason
    }
  }
  currentHeatMap: heatMap(score: CURRENT, portfolioCode: $portfolioCode, identifiedBy: $asOf) {
    matrixVersion unscored cells { likelihood impact score band colour count codes }
  }
  inherentHeatMap: heatMap(score: INHERENT, portfolioCode: $portfolioCode, identifiedBy: $asOf) {
    matrixVersion unscored cells { likelihood impact count codes }
  }
  newRisks(since: $since, until: $until) {
    id version code title owner identifiedOn residualScore status portfolioCode programme { id }
  }
  escalatedRisks(since: $since, until: $until) {
    id version code title owner residualScore status escalationId portfolioCode programme { id }
  }
  issuesPastDue(asOf: $asOf) {
    id version code title owner dueOn severity status programme { id }
  }
  riskRegister: risks(limit: 500, identifiedBy: $asOf) { items {
    id version code title owner status residualScore targetScore reviewOn portfolioCode
    programme { id }
    mitigations { id description owner dueOn status }
  } }
  dependenciesAtRisk(asOf: $asOf, horizonDays: $horizonDays) {
    id code title owner neededBy status toExternal toActivity
    fromProgramme { id } toProgramme { id }
  }
  dependencyMap(asOf: $asOf) {
    nodes { id kind label } edges { code source target status inCycle }
  }
  kpis(portfolioCode: $portfolioCode, limit: 500) {
    items {
      id version code name aimCode outcome unit: unitLabel target tolerance higherIsBetter vitalSign
      programmeCode directorate
      latest(upToPeriod: $upToPeriod) { id period periodEnd value revision colour direction }
      series(upToPeriod: $upToPeriod) {
        points { period value colour } signals { rule period detail }
      }
      benchmarks(upToPeriod: $upToPeriod) { comparatorGroup period councilRank of }
    }
  }
  aimComposites: kpiComposites(
    grouping: AIM, upToPeriod: $upToPeriod, portfolioCode: $portfolioCode, limit: 500
  ) { items { group kpiCount withData onTarget improving onTargetPercent improvingPercent } }
  outcomeComposites: kpiComposites(
    grouping: OUTCOME, upToPeriod: $upToPeriod, portfolioCode: $portfolioCode, limit: 500
  ) { items { group kpiCount withData onTarget improving onTargetPercent improvingPercent } }
  vitalComposites: kpiComposites(
    grouping: VITAL_SIGNS, upToPeriod: $upToPeriod, portfolioCode: $portfolioCode, limit: 500
  ) { items { group kpiCount withData onTarget improving onTargetPercent improvingPercent } }
  missingKpiValues: kpiSubmissions(asOf: $asOf, status: MISSING, limit: 500) {
    totalCount items { kpiCode period due }
  }
  lateKpiValues: kpiSubmissions(asOf: $asOf, status: LATE, limit: 500) {
    totalCount items { kpiCode period due receivedAt }
  }
  boards(limit: 500) { items { id version code name kind programmeId decisions(limit: 100) {
    id decidedOn decision decidedBy reference escalationId
  } } }
}
"""


@dataclass
class Sources:
    data: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    smart: dict[str, Any] | None = None
    confidence: list[dict[str, Any]] | None = None


def rows(value: Any) -> list[Any]:
    """A list field's rows, whether the subgraph answers a bare list or a page of items."""
    if isinstance(value, dict):
        return list(value.get("items") or [])
    return list(value or [])


def pack_variables(
    *, period: Period, top_risks: int, portfolio_code: str | None = None
) -> dict[str, Any]:
    """The variables ``PACK_QUERY`` takes for a month (tests ask the gateway with the same)."""
    return {
        "portfolioCode": portfolio_code,
        "upToPeriod": period.code,
        "previousPeriod": period.previous().code,
        "topRisks": top_risks,
        "financialYear": period.financial_year,
        "asOf": period.as_of.isoformat(),
        # new and escalated means since the month began: the last board's cut-off
        "since": period.first.isoformat(),
        # new and escalated mean in the month by business dates (the risk's identified_on, the
        # escalation step's taken_on), not when the rows were written
        "until": period.last.isoformat(),
        "horizonDays": DEPENDENCY_HORIZON_DAYS,
    }


async def gather(
    *,
    http: httpx.AsyncClient,
    gateway_url: str,
    programmes_url: str,
    token: str,
    period: Period,
    top_risks: int,
    portfolio_code: str | None = None,
    cuts: pack_cuts.Cuts | None = None,
) -> Sources:
    """Everything read at ``cuts`` (one per service; a service without one reads live).
    Partial data is kept: a service that is down blanks its fields, not the pack; the
    gateway itself down, or no programmes at all, is a 503 naming the gateway."""
    cuts = cuts or {}
    variables = pack_variables(period=period, top_risks=top_risks, portfolio_code=portfolio_code)
    try:
        response = await http.post(
            gateway_url,
            json={"query": PACK_QUERY, "variables": variables},
            headers={**bearer(token), **pack_cuts.header(cuts)},
        )
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(f"the gateway did not answer: {exc}", field="gateway") from exc
    if response.status_code >= 500 or "application/json" not in response.headers.get(
        "content-type", ""
    ):
        raise UpstreamUnavailable(f"the gateway answered {response.status_code}", field="gateway")
    body = response.json()
    data = body.get("data") or {}
    if not rows(data.get("programmes")):
        errors = body.get("errors") or [{"message": f"HTTP {response.status_code}"}]
        raise UpstreamUnavailable(
            f"the gateway returned no programmes: {errors[0].get('message')}", field="gateway"
        )
    found = Sources(data=data, errors=list(body.get("errors") or []))
    params = {"as_of": period.as_of.isoformat()}
    programmes_cut = cuts.get("programmes")
    if programmes_cut:
        params["cut"] = str(programmes_cut["position"])
    for name in ("smart", "confidence"):
        answer = await _read(http, f"{programmes_url}/assurance/{name}", token, params)
        if answer is None:
            found.errors.append({"message": f"assurance/{name} unreadable", "path": ["assurance"]})
        setattr(found, name, answer)
    return found


async def _read(
    http: httpx.AsyncClient, url: str, token: str, params: dict[str, str]
) -> Any | None:
    """A REST read whose failure blanks its section (reported as unavailable) rather than
    failing the pack."""
    try:
        response = await http.get(url, params=params, headers=bearer(token))
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    return response.json()
