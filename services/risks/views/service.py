"""The boards' views, computed from the registers; reads only."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.risks.items import service as items
from services.risks.matrices import service as matrices
from services.risks.models import EscalationStep, Risk
from services.risks.views.schemas import DependencyMap, HeatCell, HeatMap, MapEdge, MapNode
from services.risks.vocabulary import LIVE_RISK, EscalationAction, MapNodeKind, RaidKind, ScoreKind

# the steps that put a risk before a board (a de-escalation takes it away)
UPWARDS = (EscalationAction.escalated, EscalationAction.moved_up)

RATING_COLUMNS = {
    ScoreKind.inherent: ("inherent_likelihood", "inherent_impact"),
    ScoreKind.current: ("residual_likelihood", "residual_impact"),
    ScoreKind.target: ("target_likelihood", "target_impact"),
}


async def live_risks(
    *,
    session: AsyncSession,
    programme_id: int | None,
    portfolio_code: str | None = None,
    identified_by: date | None = None,
) -> list[Risk]:
    statement = select(Risk).where(col(Risk.status).in_(LIVE_RISK))
    if programme_id is not None:
        statement = statement.where(Risk.programme_id == programme_id)
    if portfolio_code is not None:
        statement = statement.where(Risk.portfolio_code == portfolio_code)
    if identified_by is not None:
        statement = statement.where(items.identified_by_day(Risk, identified_by))
    return list((await session.exec(statement.order_by(Risk.code))).all())


async def heat_map(
    *,
    session: AsyncSession,
    kind: ScoreKind,
    programme_id: int | None = None,
    portfolio_code: str | None = None,
    identified_by: date | None = None,
) -> HeatMap:
    """Live risks counted per cell of the current matrix, by their inherent, current or target
    ratings; of one programme, or of one plan (its programmes' risks and its plan-wide ones)."""
    matrix = await matrices.current(session=session)
    rows = await live_risks(
        session=session,
        programme_id=programme_id,
        portfolio_code=portfolio_code,
        identified_by=identified_by,
    )
    likelihood_field, impact_field = RATING_COLUMNS[kind]
    cells: dict[tuple[int, int], list[str]] = {}
    unscored = 0
    for row in rows:
        likelihood, impact = getattr(row, likelihood_field), getattr(row, impact_field)
        if likelihood is None or impact is None:
            unscored += 1
            continue
        cells.setdefault((likelihood, impact), []).append(row.code)
    out = []
    for likelihood in range(1, matrix.size + 1):
        for impact in range(1, matrix.size + 1):
            value = likelihood * impact
            band = matrices.band(matrix, value)
            codes = cells.get((likelihood, impact), [])
            out.append(
                HeatCell(
                    likelihood=likelihood,
                    impact=impact,
                    score=value,
                    band=str(band["name"]),
                    colour=str(band["colour"]),
                    count=len(codes),
                    codes=codes,
                )
            )
    return HeatMap(
        score_kind=kind,
        matrix_id=matrix.id,  # type: ignore[arg-type]
        matrix_code=matrix.code,
        matrix_version=matrix.version,
        likelihood_labels=matrix.likelihood_labels,
        impact_labels=matrix.impact_labels,
        escalation_score=matrix.escalation_score,
        cells=out,
        unscored=unscored,
    )


async def top_risks(
    *, session: AsyncSession, limit: int, programme_id: int | None = None
) -> list[Risk]:
    statement = select(Risk).where(col(Risk.status).in_(LIVE_RISK))
    if programme_id is not None:
        statement = statement.where(Risk.programme_id == programme_id)
    statement = statement.order_by(
        col(Risk.residual_score).desc(),
        (col(Risk.inherent_likelihood) * col(Risk.inherent_impact)).desc(),
        Risk.code,
    ).limit(limit)
    return list((await session.exec(statement)).all())


async def new_and_escalated(
    *, session: AsyncSession, since: date, until: date | None = None
) -> tuple[list[Risk], list[Risk]]:
    """New means identified in [since, until]; escalated means raised at a board or moved up one
    in [since, until] (a de-escalation is not). Both by the council's business dates, which a
    month recorded late carries, not by when the rows were written."""
    identified = col(Risk.identified_on) >= since
    stepped = col(EscalationStep.taken_on) >= since
    if until is not None:
        identified = identified & (col(Risk.identified_on) <= until)
        stepped = stepped & (col(EscalationStep.taken_on) <= until)
    new = (await session.exec(select(Risk).where(identified).order_by(Risk.code))).all()
    escalated_ids = select(EscalationStep.item_id).where(
        EscalationStep.item_kind == RaidKind.risk,
        col(EscalationStep.action).in_(UPWARDS),
        stepped,
    )
    escalated = (
        await session.exec(select(Risk).where(col(Risk.id).in_(escalated_ids)).order_by(Risk.code))
    ).all()
    return list(new), list(escalated)


def _node_id(programme_id: int | None, other: str | None) -> str:
    if programme_id is not None:
        return f"programme:{programme_id}"
    if other:
        return f"other:{other}"
    return "plan"


async def dependency_map(
    *, session: AsyncSession, labels: dict[int, str] | None = None, as_of: date | None = None
) -> DependencyMap:
    """Programmes (and external parties) as nodes, dependencies as edges, cycles flagged;
    with ``as_of``, only the dependencies identified by then (a month's map). ``labels`` names
    programmes (by code) when the caller has them; else ``#id``."""
    rows = await items.all_dependencies(session=session, as_of=as_of)
    cycles = items.cycles(rows)
    in_cycle = {code for cycle in cycles for code in cycle}
    nodes: dict[str, MapNode] = {}

    def node(programme_id: int | None, external: str | None) -> str:
        key = _node_id(programme_id, external)
        if key not in nodes:
            if programme_id is not None:
                label = (labels or {}).get(programme_id, f"Programme #{programme_id}")
                kind = MapNodeKind.programme
            elif external:
                label, kind = external, MapNodeKind.other
            else:
                label, kind = "Whole plan", MapNodeKind.plan
            nodes[key] = MapNode(id=key, kind=kind, programme_id=programme_id, label=label)
        return key

    edges = [
        MapEdge(
            code=row.code,
            source=node(row.from_programme_id, None),
            target=node(row.to_programme_id, row.to_external or row.to_activity),
            title=row.title,
            status=row.status,
            needed_by=row.needed_by,
            in_cycle=row.code in in_cycle,
        )
        for row in rows
    ]
    return DependencyMap(
        nodes=sorted(nodes.values(), key=lambda n: n.id), edges=edges, cycles=cycles
    )
