"""REST: thin routers over service.py.

(No postponed annotations here: the escalation routes are built per register and FastAPI must
see each register's own path parameter, a local variable.)"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response, status
from sqlmodel import SQLModel

from services.common.auth import Reader, Writer
from services.common.changes import changes_router
from services.common.db import SessionDep
from services.common.etag import ExpectedVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.risks import escalation, kri, links, service
from services.risks.api_support import AsOf, KpisUpstream, Upstream
from services.risks.asof import ReadSessionDep, history
from services.risks.items import service as items
from services.risks.items.api import router as items_router
from services.risks.items.schemas import IssueRead
from services.risks.matrices.api import router as matrices_router
from services.risks.models import AuditEntry
from services.risks.schemas import (
    AssessmentCreate,
    AssessmentRead,
    DeescalateRequest,
    EscalateRiskRequest,
    EscalationStepRead,
    KriCreate,
    KriRead,
    KriSyncRead,
    MaterialiseRequest,
    MitigationCreate,
    MitigationRead,
    MitigationUpdate,
    RiskCreate,
    RiskRead,
    RiskStatus,
    RiskUpdate,
    TrendRead,
)
from services.risks.transfer.api import router as transfer_router
from services.risks.views.api import router as views_router
from services.risks.vocabulary import RaidKind

router = APIRouter()


@router.get("/risks", response_model=Page[RiskRead], tags=["risks"])
async def list_risks(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    programme_id: int | None = None,
    plan_wide: Annotated[
        bool | None, Query(description="true: only risks of no programme; false: only programmes'")
    ] = None,
    status: RiskStatus | None = None,
    min_residual_score: Annotated[int | None, Query(ge=1, le=25)] = None,
    portfolio_code: Annotated[
        str | None, Query(description="one plan: its programmes' risks and its plan-wide ones")
    ] = None,
) -> Page[RiskRead]:
    found = await service.list_risks(
        session=session,
        page=page,
        programme_id=programme_id,
        plan_wide=plan_wide,
        status=status,
        min_residual_score=min_residual_score,
        portfolio_code=portfolio_code,
    )
    rows, total = await counted(session, found)
    return Page(
        items=[service.risk_read(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/risks", response_model=RiskRead, status_code=status.HTTP_201_CREATED, tags=["risks"])
async def create_risk(
    data: RiskCreate, session: SessionDep, actor: Writer, upstream: Upstream, response: Response
) -> RiskRead:
    risk = await service.create(session=session, actor=actor, data=data, **upstream)
    set_etag(response, risk.version)
    response.headers["Location"] = f"/risks/{risk.id}"
    return service.risk_read(risk)


@router.get("/risks/by-code/{code}", response_model=RiskRead, tags=["risks"])
async def get_risk_by_code(
    code: str, session: ReadSessionDep, _: Reader, response: Response
) -> RiskRead:
    risk = await service.get_by_code(session=session, code=code)
    set_etag(response, risk.version)
    return service.risk_read(risk)


@router.get("/risks/{risk_id}", response_model=RiskRead, tags=["risks"])
async def get_risk(
    risk_id: int, session: ReadSessionDep, _: Reader, response: Response
) -> RiskRead:
    risk = await service.get(session=session, risk_id=risk_id)
    set_etag(response, risk.version)
    return service.risk_read(risk)


@router.patch("/risks/{risk_id}", response_model=RiskRead, tags=["risks"])
async def update_risk(
    risk_id: int,
    data: RiskUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    upstream: Upstream,
    response: Response,
) -> RiskRead:
    risk = await service.update(
        session=session,
        actor=actor,
        risk_id=risk_id,
        data=data,
        expected_version=version,
        **upstream,
    )
    set_etag(response, risk.version)
    return service.risk_read(risk)


# Score history -----------------------------------------------------------------------------


@router.get("/risks/{risk_id}/assessments", response_model=list[AssessmentRead], tags=["risks"])
async def list_assessments(
    risk_id: int, session: ReadSessionDep, _: Reader
) -> list[AssessmentRead]:
    """Every assessment, oldest first, each with the matrix version it was scored on."""
    rows = await service.assessments(session=session, risk_id=risk_id)
    return [service.assessment_read(r) for r in rows]


@router.post("/risks/{risk_id}/assessments", response_model=RiskRead, tags=["risks"])
async def reassess(
    risk_id: int,
    data: AssessmentCreate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    upstream: Upstream,
    response: Response,
) -> RiskRead:
    """A review: the current score becomes this assessment's; crossing the escalation line
    escalates."""
    risk = await service.reassess(
        session=session,
        actor=actor,
        risk_id=risk_id,
        data=data,
        expected_version=version,
        **upstream,
    )
    set_etag(response, risk.version)
    return service.risk_read(risk)


@router.get("/risks/{risk_id}/trend", response_model=TrendRead, tags=["risks"])
async def trend(
    risk_id: int,
    session: ReadSessionDep,
    _: Reader,
    last: Annotated[int, Query(ge=2, le=100, description="how many reviews")] = 6,
) -> TrendRead:
    return await service.trend(session=session, risk_id=risk_id, last=last)


# Mitigating actions ------------------------------------------------------------------------


@router.get("/risks/{risk_id}/mitigations", response_model=list[MitigationRead], tags=["risks"])
async def list_mitigations(
    risk_id: int, session: ReadSessionDep, _: Reader
) -> list[MitigationRead]:
    await service.get(session=session, risk_id=risk_id)
    found = await service.mitigations_by_risk(session=session, risk_ids=[risk_id])
    return [service.mitigation_read(r) for r in found[risk_id]]


@router.post(
    "/risks/{risk_id}/mitigations",
    response_model=MitigationRead,
    status_code=status.HTTP_201_CREATED,
    tags=["risks"],
)
async def add_mitigation(
    risk_id: int, data: MitigationCreate, session: SessionDep, actor: Writer, response: Response
) -> MitigationRead:
    row = await service.add_mitigation(session=session, actor=actor, risk_id=risk_id, data=data)
    set_etag(response, row.version)
    response.headers["Location"] = f"/mitigations/{row.id}"
    return service.mitigation_read(row)


@router.get("/mitigations/overdue", response_model=list[MitigationRead], tags=["risks"])
async def overdue_mitigations(
    session: ReadSessionDep, _: Reader, as_of: AsOf
) -> list[MitigationRead]:
    """Planned or in-progress actions whose due date is before ``as_of``."""
    rows = await service.overdue_mitigations(session=session, as_of=as_of)
    return [service.mitigation_read(r) for r in rows]


@router.get("/mitigations/{mitigation_id}", response_model=MitigationRead, tags=["risks"])
async def get_mitigation(
    mitigation_id: int, session: ReadSessionDep, _: Reader, response: Response
) -> MitigationRead:
    row = await service.get_mitigation(session=session, mitigation_id=mitigation_id)
    set_etag(response, row.version)
    return service.mitigation_read(row)


@router.patch("/mitigations/{mitigation_id}", response_model=MitigationRead, tags=["risks"])
async def update_mitigation(
    mitigation_id: int,
    data: MitigationUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> MitigationRead:
    row = await service.update_mitigation(
        session=session,
        actor=actor,
        mitigation_id=mitigation_id,
        data=data,
        expected_version=version,
    )
    set_etag(response, row.version)
    return service.mitigation_read(row)


@router.get("/reviews/overdue", response_model=list[RiskRead], tags=["risks"])
async def overdue_reviews(session: ReadSessionDep, _: Reader, as_of: AsOf) -> list[RiskRead]:
    """Live risks whose review date is before ``as_of``."""
    return [
        service.risk_read(r) for r in await service.overdue_reviews(session=session, as_of=as_of)
    ]


# Materialise and escalate ------------------------------------------------------------------


@router.post("/risks/{risk_id}/materialise", response_model=IssueRead, tags=["risks"])
async def materialise(
    risk_id: int,
    data: MaterialiseRequest,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> IssueRead:
    """The risk happened: one transaction creates the issue, links both ways and closes the
    risk as Materialised. Answers the new issue."""
    _, issue = await service.materialise(
        session=session, actor=actor, risk_id=risk_id, data=data, expected_version=version
    )
    set_etag(response, issue.version)
    response.headers["Location"] = f"/issues/{issue.id}"
    return items.issue_read(issue)


# Escalation: the same three routes for each register that escalates ----------------------


def _escalation_action(
    kind: RaidKind,
    path: str,
    id_name: str,
    tag: str,
    own: str,
    action: str,
    request_model: type[SQLModel],
    act: Callable[..., Awaitable[Any]],
    read_model: type[SQLModel],
    description: str,
) -> None:
    ItemId = Annotated[int, Path(alias=id_name)]

    @router.post(
        f"{path}/{action}",
        response_model=read_model,
        tags=[tag],
        name="_".join(filter(None, (action, own))),
        description=description,
    )
    async def escalation_step(
        item_id: ItemId,
        data: Annotated[request_model, Body()],  # type: ignore[valid-type]
        session: SessionDep,
        actor: Writer,
        version: ExpectedVersion,
        upstream: Upstream,
        response: Response,
    ) -> Any:
        row = await act(
            session=session,
            actor=actor,
            item_id=item_id,
            reason=data.reason,  # type: ignore[attr-defined]
            taken_on=data.taken_on,  # type: ignore[attr-defined]
            expected_version=version,
            **upstream,
        )
        set_etag(response, row.version)
        if kind is RaidKind.risk:
            return service.risk_read(row)
        return await items.read(session=session, kind=kind, row=row)


def _escalation_routes(kind: RaidKind, read_model: type[SQLModel], what: str, only: str) -> None:
    """``POST /<kind>s/{<kind>_id}/escalate`` and ``/deescalate`` and ``GET .../escalations``
    for one register; the service's ``escalate``/``deescalate`` for the kind do the work."""
    tag = f"{kind.value}s"
    path = f"/{tag}/{{{kind.value}_id}}"
    ItemId = Annotated[int, Path(alias=f"{kind.value}_id")]
    escalate_it, deescalate_it = ESCALATE[kind]
    # The risk's routes came first and keep their names (OpenAPI operation ids).
    own = "" if kind is RaidKind.risk else kind.value

    actions = (
        (
            "escalate",
            EscalateRiskRequest,
            escalate_it,
            f"Raise {what} at its board in the programmes service, or, if escalated, one board "
            f"up ({only}).",
        ),
        (
            "deescalate",
            DeescalateRequest,
            deescalate_it,
            f"Close the escalation of {what} in the programmes service: the board no longer "
            "needs to see it.",
        ),
    )
    for action, request_model, act, description in actions:
        _escalation_action(
            kind,
            path,
            f"{kind.value}_id",
            tag,
            own,
            action,
            request_model,
            act,
            read_model,
            description,
        )

    @router.get(
        f"{path}/escalations",
        response_model=list[EscalationStepRead],
        tags=[tag],
        name="_".join(filter(None, (own, "escalation_history"))),
        description=f"Every escalation step of {what}, oldest first.",
    )
    async def escalation_history(
        item_id: ItemId, session: ReadSessionDep, _: Reader
    ) -> list[EscalationStepRead]:
        if kind is RaidKind.risk:
            await service.get(session=session, risk_id=item_id)
        else:
            await items.get(session=session, kind=kind, item_id=item_id)
        rows = await escalation.history(session=session, kind=kind, item_id=item_id)
        return [service.step_read(r) for r in rows]


# Each escalating register's (escalate, deescalate), called with item_id=.
ESCALATE: dict[RaidKind, tuple[Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]]] = {
    RaidKind.risk: (
        lambda item_id, **kw: service.escalate(risk_id=item_id, **kw),
        lambda item_id, **kw: service.deescalate(risk_id=item_id, **kw),
    ),
    RaidKind.issue: (
        lambda item_id, **kw: items.escalate_issue(issue_id=item_id, **kw),
        lambda item_id, **kw: items.deescalate_issue(issue_id=item_id, **kw),
    ),
}
_escalation_routes(RaidKind.risk, RiskRead, "a risk", "a live one only")
_escalation_routes(RaidKind.issue, IssueRead, "an issue", "an open one only")


# Key risk indicators -----------------------------------------------------------------------


@router.post(
    "/risks/{risk_id}/kris",
    response_model=KriRead,
    status_code=status.HTTP_201_CREATED,
    tags=["key risk indicators"],
)
async def link_kri(
    risk_id: int, data: KriCreate, session: SessionDep, actor: Writer, upstream: KpisUpstream
) -> KriRead:
    """Follow a KPI: when it goes Red, or its value crosses the threshold, the risk is flagged
    for review."""
    row = await kri.link(session=session, actor=actor, risk_id=risk_id, data=data, **upstream)
    return service.kri_read(row)


@router.get("/risks/{risk_id}/kris", response_model=list[KriRead], tags=["key risk indicators"])
async def list_kris(risk_id: int, session: ReadSessionDep, _: Reader) -> list[KriRead]:
    rows = await kri.of_risk(session=session, risk_id=risk_id)
    return [service.kri_read(r) for r in rows]


@router.post("/kris/sync", response_model=KriSyncRead, tags=["key risk indicators"])
async def sync_kris(session: SessionDep, actor: Writer, upstream: KpisUpstream) -> KriSyncRead:
    """Read the kpis change feed from where the last pass stopped and flag risks whose
    indicators fired. Safe to call on a schedule, or twice at once."""
    return await kri.sync(session=session, actor=actor, **upstream)


# Links between items ------------------------------------------------------------------------


@router.post(
    "/raid/links",
    response_model=links.RaidLink,
    status_code=status.HTTP_201_CREATED,
    tags=["links"],
)
async def link_items(data: links.LinkCreate, session: SessionDep, actor: Writer) -> links.RaidLink:
    """Link two RAID items of any kinds; readable from either end."""
    return await links.create(session=session, actor=actor, data=data)


@router.get("/raid/{kind}/{item_id}/links", response_model=list[links.LinkRead], tags=["links"])
async def item_links(
    kind: RaidKind, item_id: int, session: ReadSessionDep, _: Reader
) -> list[links.LinkRead]:
    """Every link from or to the item."""
    rows = await links.of_item(session=session, kind=kind, item_id=item_id)
    return [links.link_read(r) for r in rows]


router.include_router(matrices_router)
router.include_router(items_router)
router.include_router(views_router)
router.include_router(transfer_router)
router.include_router(changes_router(AuditEntry))
router.include_router(history.router())
