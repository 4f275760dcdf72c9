"""REST for the boards' views: JSON for tools, SVG for people."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.common.auth import Reader
from services.common.errors import FieldError
from services.risks import service as risks
from services.risks.api_support import AsOf, Upstream
from services.risks.asof import ReadSessionDep
from services.risks.items import service as items
from services.risks.matrices import service as matrices
from services.risks.schemas import RiskRead
from services.risks.views import service, svg
from services.risks.views.programmes import programme_labels
from services.risks.views.schemas import BoardLists, DependencyMap, HeatMap, SinceRead
from services.risks.vocabulary import ScoreKind

router = APIRouter(prefix="/views", tags=["views"])
SVG = "image/svg+xml"
ProgrammeFilter = Annotated[int | None, Query(ge=1, description="one programme; default: all")]


@router.get("/heat-map", response_model=HeatMap)
async def heat_map(
    session: ReadSessionDep,
    _: Reader,
    score: ScoreKind = ScoreKind.current,
    programme_id: ProgrammeFilter = None,
    portfolio_code: Annotated[
        str | None, Query(description="one plan: its programmes' risks and its plan-wide ones")
    ] = None,
) -> HeatMap:
    """Live risks per cell of the current matrix, by their inherent, current or target score."""
    return await service.heat_map(
        session=session, kind=score, programme_id=programme_id, portfolio_code=portfolio_code
    )


@router.get("/heat-map.svg", response_class=Response, responses={200: {"content": {SVG: {}}}})
async def heat_map_svg(
    session: ReadSessionDep, _: Reader, programme_id: ProgrammeFilter = None
) -> Response:
    """Inherent, current and target heat maps side by side."""
    maps = [
        await service.heat_map(session=session, kind=kind, programme_id=programme_id)
        for kind in ScoreKind
    ]
    matrix = await matrices.get(session=session, matrix_id=maps[0].matrix_id)
    scope = (
        "plan-wide and programme risks" if programme_id is None else f"programme #{programme_id}"
    )
    body = svg.heat_map(
        maps, title="RAID risk heat map", subtitle=f"live risks, {scope}", bands=matrix.bands
    )
    return Response(body, media_type=SVG)


@router.get("/top-risks", response_model=list[RiskRead])
async def top_risks(
    session: ReadSessionDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    programme_id: ProgrammeFilter = None,
) -> list[RiskRead]:
    """Live risks, highest current score first (then inherent score, then code)."""
    rows = await service.top_risks(session=session, limit=limit, programme_id=programme_id)
    return [risks.risk_read(r) for r in rows]


@router.get("/since", response_model=SinceRead)
async def since(
    session: ReadSessionDep,
    _: Reader,
    since: Annotated[date, Query(description="from this day")],
    until: Annotated[
        date | None, Query(description="new risks identified on or before this day, if given")
    ] = None,
) -> SinceRead:
    """Risks identified, and risks escalated, since a day (the last board, say)."""
    if until is not None and until < since:
        raise FieldError("until is before since", field="until")
    new, escalated = await service.new_and_escalated(session=session, since=since, until=until)
    return SinceRead(
        since=since,
        new=[risks.risk_read(r) for r in new],
        escalated=[risks.risk_read(r) for r in escalated],
    )


@router.get("/late", response_model=BoardLists)
async def late(
    session: ReadSessionDep,
    _: Reader,
    as_of: AsOf,
    horizon_days: Annotated[
        int, Query(ge=0, le=366, description="needed-by within this many days counts as near")
    ] = 30,
) -> BoardLists:
    """Issues open past their due date; dependencies not met and at risk, broken or near."""
    issues = await items.issues_past_due(session=session, as_of=as_of)
    dependencies = await items.dependencies_at_risk(
        session=session, as_of=as_of, horizon_days=horizon_days
    )
    return BoardLists(
        as_of=as_of,
        issues_past_due=[items.issue_read(i) for i in issues],
        dependencies_at_risk=[
            await items.dependency_read(session=session, row=d) for d in dependencies
        ],
    )


@router.get("/dependency-map", response_model=DependencyMap)
async def dependency_map(
    session: ReadSessionDep,
    actor: Reader,
    upstream: Upstream,
    as_of: Annotated[
        date | None, Query(description="only dependencies identified by this day; default all")
    ] = None,
) -> DependencyMap:
    """Programmes and other parties as nodes, dependencies as edges; cycles listed."""
    labels = await programme_labels(token=actor.token, **upstream)
    return await service.dependency_map(session=session, labels=labels, as_of=as_of)


@router.get("/dependency-map.svg", response_class=Response, responses={200: {"content": {SVG: {}}}})
async def dependency_map_svg(
    session: ReadSessionDep, actor: Reader, upstream: Upstream
) -> Response:
    labels = await programme_labels(token=actor.token, **upstream)
    graph = await service.dependency_map(session=session, labels=labels)
    subtitle = f"{len(graph.edges)} dependencies between {len(graph.nodes)} parties" + (
        f" · {len(graph.cycles)} cycle(s)" if graph.cycles else ""
    )
    return Response(
        svg.dependency_map(graph, title="Cross-programme dependency map", subtitle=subtitle),
        media_type=SVG,
    )
