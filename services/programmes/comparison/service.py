"""Compare the plans' items on one common scale, each mapped through its own plan's RAG.

A programme is rated by its newest DCA where its plan's scale has DCA points, else by its
newest highlight report's confidence where the scale grades confidence; an action by the status
its plan's RAG gives it (the 2018 plan: Green = complete, Amber = on track, Red = off track).
What has no rating is counted as not rated, never guessed."""

from __future__ import annotations

from collections import Counter

from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.pagination import PageParams
from services.programmes.actions import service as actions
from services.programmes.comparison.schemas import (
    NOT_RATED,
    Comparison,
    PlanComparison,
    RatedItem,
    RatedKind,
)
from services.programmes.highlights import service as highlights
from services.programmes.plan import service as plan
from services.programmes.plan.schemas import CommonRag, RagGradeRead

COMMON_SCALE = {
    CommonRag.green.value: "on track, or complete",
    CommonRag.amber.value: "issues that need management attention",
    CommonRag.red.value: "off track",
}


def _rated(
    kind: RatedKind,
    code: str,
    title: str,
    portfolio: str,
    grade: RagGradeRead | None,
    source: str,
) -> RatedItem:
    if grade is None:
        return RatedItem(
            kind=kind,
            code=code,
            title=title,
            rated=None,
            rated_from=None,
            common=None,
            mapped=f"no rating on {portfolio}'s scale yet",
        )
    return RatedItem(
        kind=kind,
        code=code,
        title=title,
        rated=grade.code,
        rated_from=source,
        common=grade.common,
        mapped=f"{grade.code} ({grade.meaning}) on {portfolio}'s scale is {grade.common.value} "
        "on the common scale",
    )


async def compare(*, session: AsyncSession, portfolio_codes: list[str] | None = None) -> Comparison:
    portfolios = [
        p
        for p in await plan.list_portfolios(session=session)
        if portfolio_codes is None or p.code in portfolio_codes
    ]
    ids = [p.id for p in portfolios if p.id is not None]
    scales = await plan.rag_scales(session=session, portfolio_ids=ids)
    plans = []
    for portfolio in portfolios:
        assert portfolio.id is not None
        scale = scales[portfolio.id]
        by_dca = {g.dca.value: g for g in scale if g.dca}
        by_code = {g.code.lower(): g for g in scale}
        by_status = {g.status.value: g for g in scale if g.status}
        programmes = (
            await plan.list_programmes(
                session=session,
                page=PageParams(limit=500, offset=0, sort=None),
                portfolio_id=portfolio.id,
            )
        ).rows
        programme_ids = [p.id for p in programmes if p.id is not None]
        dcas: dict[int, str] = {}
        for row in await highlights.dca_history(session=session, programme_ids=programme_ids):
            dcas.setdefault(row.programme_id, row.dca)
        reports = await highlights.latest_highlight_reports(
            session=session, programme_ids=programme_ids
        )
        action_rows = await actions.actions_by_programme(
            session=session, programme_ids=programme_ids
        )
        items = []
        for programme in programmes:
            assert programme.id is not None
            grade, source = None, ""
            dca = dcas.get(programme.id)
            report = reports.get(programme.id)
            if dca is not None and dca in by_dca:
                grade, source = by_dca[dca], "its newest DCA"
            elif report is not None and report.confidence:
                grade = by_code.get(report.confidence.lower())
                source = f"its {report.period} highlight report's confidence"
            items.append(
                _rated(
                    RatedKind.programme,
                    programme.code,
                    programme.name,
                    portfolio.code,
                    grade,
                    source,
                )
            )
            for action in action_rows.get(programme.id, []) if by_status else []:
                graded = by_status.get(action.status)
                items.append(
                    _rated(
                        RatedKind.action,
                        f"{programme.code} {action.number}",
                        action.description.split("\n")[0][:200],
                        portfolio.code,
                        graded,
                        f"its status ({action.status})",
                    )
                )
        counts = Counter(i.common.value if i.common else NOT_RATED for i in items)
        plans.append(
            PlanComparison(
                portfolio=portfolio.code,
                name=portfolio.name,
                rag_definition=portfolio.rag_definition,
                rag_scale=scale,
                counts={k: counts.get(k, 0) for k in [*COMMON_SCALE, NOT_RATED]},
                items=items,
            )
        )
    return Comparison(common_scale=COMMON_SCALE, plans=plans)
