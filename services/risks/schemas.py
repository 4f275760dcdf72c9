"""The SQLModel family for each entity: XBase -> XCreate / XUpdate / XRead (tables live in
models.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import computed_field
from sqlmodel import Field, SQLModel

from services.common.inputs import BusinessDate
from services.risks.vocabulary import (
    Appetite,
    EscalationAction,
    KriTrigger,
    MitigationStatus,
    Priority,
    Proximity,
    RaidKind,
    RiskStatus,
    Severity,
    column_type,
)

SCALE = (1, 5)  # likelihood and impact are each rated on a five-point scale


def score(likelihood: int, impact: int) -> int:
    """A risk's score on the 5x5 matrix: likelihood x impact, 1..25."""
    low, high = SCALE
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if not low <= value <= high:
            raise ValueError(f"{name} {value} is off the {low}..{high} scale")
    return likelihood * impact


STATUS_TYPE = column_type(RiskStatus, "riskstatus")


def _rating(description: str) -> object:
    return Field(ge=SCALE[0], le=SCALE[1], description=description)


# Risk --------------------------------------------------------------------------------------


class RiskBase(SQLModel):
    """A risk as the register keeps it. In the government's Programme and project data standard
    (Risk entity) ``code`` is the risk's unique reference, ``cause``/``description``/``effect``
    its cause, event and effect, ``owner`` the risk owner, the inherent, residual (current) and
    target ratings its pre-mitigation, current and target assessments, ``proximity`` and
    ``review_on`` its proximity and next review, ``appetite`` the risk appetite, ``mitigation``
    its response summary (actions are :class:`MitigationRead`). The mapping is by meaning, to
    the standard's Risk section headings; its attribute names were not checked against the
    trial text here, so confirm them before an exchange relies on it."""

    code: str = Field(
        min_length=1, max_length=40, index=True, unique=True, description="e.g. IRP-R01"
    )
    programme_id: int | None = Field(
        default=None,
        ge=1,
        index=True,
        description="the programme (in the programmes service) it belongs to; null for plan-wide",
    )
    portfolio_code: str | None = Field(
        default=None,
        max_length=40,
        index=True,
        description="the plan (portfolio, in the programmes service) it belongs to: a "
        "programme's risk takes its programme's; a plan-wide risk names it (null: no plan)",
    )
    title: str = Field(min_length=1, max_length=200)
    cause: str | None = None
    description: str = Field(min_length=1)
    owner: str = Field(min_length=1, max_length=200)
    inherent_likelihood: int = _rating("1..5, before controls")  # type: ignore[assignment]
    inherent_impact: int = _rating("1..5, before controls")  # type: ignore[assignment]
    residual_likelihood: int = _rating("1..5, with controls in place")  # type: ignore[assignment]
    residual_impact: int = _rating("1..5, with controls in place")  # type: ignore[assignment]
    mitigation: str | None = Field(default=None, description="the response, in a sentence or two")
    status: RiskStatus = Field(default=RiskStatus.open, sa_type=STATUS_TYPE)  # type: ignore[call-overload]
    effect: str | None = Field(default=None, description="what follows if the event happens")
    target_likelihood: int | None = Field(
        default=None, ge=SCALE[0], le=SCALE[1], description="1..5, where treatment should get it"
    )
    target_impact: int | None = Field(
        default=None, ge=SCALE[0], le=SCALE[1], description="1..5, where treatment should get it"
    )
    proximity: Proximity | None = Field(
        default=None,
        sa_type=column_type(Proximity, "proximity"),  # type: ignore[call-overload]
        description="how soon it would strike",
    )
    appetite: Appetite | None = Field(
        default=None,
        sa_type=column_type(Appetite, "appetite"),  # type: ignore[call-overload]
        description="the council's appetite for this kind of risk",
    )
    review_on: date | None = Field(default=None, description="when it is next reviewed")
    identified_on: date | None = Field(
        default=None, description="when it was identified; default: today (council time)"
    )
    author: str | None = Field(
        default=None, max_length=200, description="who raised it; default: the caller"
    )


class RiskCreate(RiskBase):
    pass


class RiskUpdate(SQLModel):
    programme_id: int | None = Field(default=None, ge=1)
    portfolio_code: str | None = Field(
        default=None, max_length=40, description="a plan-wide risk's plan; a programme's follows it"
    )
    title: str | None = Field(default=None, min_length=1, max_length=200)
    cause: str | None = None
    description: str | None = Field(default=None, min_length=1)
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    inherent_likelihood: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    inherent_impact: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    residual_likelihood: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    residual_impact: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    mitigation: str | None = None
    status: RiskStatus | None = None
    effect: str | None = None
    target_likelihood: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    target_impact: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    proximity: Proximity | None = None
    appetite: Appetite | None = None
    review_on: date | None = None
    reason: str | None = Field(
        default=None, description="why the ratings changed, kept in the score history"
    )


class RiskRead(RiskBase):
    id: int
    version: int
    created_at: datetime
    updated_at: datetime
    matrix_version_id: int | None = Field(
        default=None, description="the matrix its latest assessment used"
    )
    issue_id: int | None = Field(default=None, description="the issue it became, once Materialised")
    escalation_id: int | None = Field(
        default=None, description="its open escalation in the programmes service, if escalated"
    )
    needs_review: bool = Field(
        default=False, description="a key risk indicator fired since its last review"
    )
    review_reason: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def inherent_score(self) -> int:
        return score(self.inherent_likelihood, self.inherent_impact)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def residual_score(self) -> int:
        return score(self.residual_likelihood, self.residual_impact)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def target_score(self) -> int | None:
        if self.target_likelihood is None or self.target_impact is None:
            return None
        return score(self.target_likelihood, self.target_impact)


# Score history -----------------------------------------------------------------------------


class AssessmentCreate(SQLModel):
    """A re-assessment: the ratings now, and why they changed."""

    inherent_likelihood: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    inherent_impact: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    residual_likelihood: int = Field(ge=SCALE[0], le=SCALE[1], description="current, 1..5")
    residual_impact: int = Field(ge=SCALE[0], le=SCALE[1], description="current, 1..5")
    target_likelihood: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    target_impact: int | None = Field(default=None, ge=SCALE[0], le=SCALE[1])
    reason: str = Field(min_length=1, max_length=2000, description="why, in the reviewer's words")


class AssessmentRead(SQLModel):
    id: int
    risk_id: int
    matrix_version_id: int
    inherent_likelihood: int
    inherent_impact: int
    residual_likelihood: int
    residual_impact: int
    residual_score: int
    target_likelihood: int | None
    target_impact: int | None
    assessed_by: str
    assessed_at: datetime
    reason: str | None


class TrendRead(SQLModel):
    risk_id: int
    scores: list[int] = Field(description="current scores, oldest first, of the last N reviews")
    direction: str = Field(description="rising, falling or steady since the first of them")


# Mitigating actions ------------------------------------------------------------------------


class MitigationBase(SQLModel):
    description: str = Field(min_length=1, max_length=2000)
    owner: str = Field(min_length=1, max_length=200)
    due_on: date
    status: MitigationStatus = Field(
        default=MitigationStatus.planned,
        sa_type=column_type(MitigationStatus, "mitigationstatus"),  # type: ignore[call-overload]
    )


class MitigationCreate(MitigationBase):
    pass


class MitigationUpdate(SQLModel):
    description: str | None = Field(default=None, min_length=1, max_length=2000)
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    due_on: date | None = None
    status: MitigationStatus | None = None


class MitigationRead(MitigationBase):
    id: int
    risk_id: int
    completed_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime


# Materialising and escalating --------------------------------------------------------------


class MaterialiseRequest(SQLModel):
    """The issue a risk becomes: its own reference and how bad it is."""

    issue_code: str = Field(min_length=1, max_length=40)
    severity: Severity
    priority: Priority
    owner: str | None = Field(default=None, max_length=200, description="default: the risk's")
    due_on: date | None = None
    description: str | None = Field(default=None, description="default: the risk's event")


class EscalateRiskRequest(SQLModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the board should see it")
    taken_on: BusinessDate | None = Field(
        default=None,
        description="the day it went to the board (the business date a month's pack goes by); "
        "default: today (council time); not in the future, nor before it was identified",
    )


class DeescalateRequest(SQLModel):
    reason: str = Field(min_length=1, max_length=2000)
    taken_on: BusinessDate | None = Field(
        default=None,
        description="the day the board stopped needing it; default: today (council time)",
    )


class EscalationStepRead(SQLModel):
    id: int
    item_kind: RaidKind
    item_id: int
    action: EscalationAction
    escalation_id: int
    board_id: int | None
    reason: str | None
    actor: str
    taken_on: date = Field(description="the day the step was taken (council time)")
    at: datetime


# Key risk indicators -----------------------------------------------------------------------


class KriCreate(SQLModel):
    kpi_code: str = Field(min_length=1, max_length=40, description="a KPI in the kpis service")
    trigger: KriTrigger
    threshold: float | None = Field(
        default=None, description="for above/below: the value that fires it"
    )


class KriRead(KriCreate):
    id: int
    risk_id: int
    created_at: datetime


class KriSyncRead(SQLModel):
    processed: int = Field(description="kpis change-feed entries read in this pass")
    fired: int = Field(description="triggers that fired (each flags its risk for review)")
    cursor: int = Field(description="the last kpis change processed, stored with the flags")
