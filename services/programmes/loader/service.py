"""Load a plan (and its monthly highlight reports) as extracted from its source.

Idempotent: every item is matched on its natural key (portfolio code; aim code; person name;
programme code; key activity position; action number; report period), so loading twice adds
nothing. What the text did not let us read is reported, never guessed: timescales that parse
to no date, programmes with no SAO or Lead Member named, and the extraction's own notes.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.auth import Principal
from services.common.errors import FieldError
from services.programmes import timescales
from services.programmes.actions import service as actions
from services.programmes.actions.schemas import ActionCreate
from services.programmes.governance import service as governance
from services.programmes.governance.schemas import BoardKind
from services.programmes.highlights import service as highlights
from services.programmes.highlights.schemas import Confidence, NextStep
from services.programmes.loader.schemas import (
    HighlightDocument,
    LoadReport,
    PlanDocument,
    ProgrammeDoc,
    ProgrammeReportDoc,
    Unparsed,
)
from services.programmes.milestones import service as milestones
from services.programmes.milestones.schemas import KeyActivityCreate, Status
from services.programmes.plan import service as plan
from services.programmes.plan.schemas import (
    AimCreate,
    PersonCreate,
    PortfolioCreate,
    ProgrammeLoaded,
    ProgrammeUpdate,
    RagGradeCreate,
)

# Texts that say on purpose that there is no date yet: recorded as such, not "unparsed".
DELIBERATELY_OPEN = {"tbc", "tbd", "ongoing", "n/a"}


class Load:
    def __init__(self, session: AsyncSession, actor: Principal, fy: int | None) -> None:
        self.session = session
        self.actor = actor
        self.fy = fy
        self.created: Counter[str] = Counter()
        self.unchanged: Counter[str] = Counter()
        self.unparsed: list[Unparsed] = []
        self.people: dict[str, int] = {}

    def timescale(self, where: str, text: str | None) -> None:
        if not text or text.strip().lower() in DELIBERATELY_OPEN:
            return
        parsed = timescales.parse(text, financial_year_start=self.fy)
        if parsed.precision in (timescales.Precision.unknown, timescales.Precision.quarter) and (
            parsed.start is None
        ):
            self.unparsed.append(Unparsed(where=where, text=text, reason="no date window"))

    async def person(self, name: str) -> int:
        if name not in self.people:
            person = await plan.find_person(session=self.session, name=name)
            if person is None:
                person = await plan.create_person(
                    session=self.session, actor=self.actor, data=PersonCreate(name=name)
                )
                self.created["people"] += 1
            self.people[name] = person.id  # type: ignore[assignment]
        return self.people[name]

    def report(self, portfolio: str, notes: list[dict[str, Any]]) -> LoadReport:
        """What the load created, found already there, and could not read: its own findings,
        then the extraction's ``notes``."""
        return LoadReport(
            portfolio=portfolio,
            created={k: v for k, v in self.created.items() if v},
            unchanged={k: v for k, v in self.unchanged.items() if v},
            unparsed=[*self.unparsed, *(_extraction_note(note) for note in notes)],
        )


async def load_plan(
    *, session: AsyncSession, actor: Principal, document: PlanDocument
) -> LoadReport:
    meta = document.portfolio
    load = Load(session, actor, meta.financial_year_start)
    portfolio = await plan.find_portfolio_by_code(session=session, code=meta.code)
    if portfolio is None:
        portfolio = await plan.create_portfolio(
            session=session, actor=actor, data=PortfolioCreate.model_validate(meta.model_dump())
        )
        load.created["portfolios"] += 1
    else:
        load.unchanged["portfolios"] += 1
        await _keep_rag_scale(load, portfolio, meta.rag_scale)
    assert portfolio.id is not None

    aims: dict[str, plan.Aim] = {
        a.code: a for a in await plan.list_aims(session=session, portfolio_id=portfolio.id)
    }
    for aim_doc in document.aims:
        if aim_doc.code in aims:
            load.unchanged["aims"] += 1
            continue
        aims[aim_doc.code] = await plan.create_aim(
            session=session,
            actor=actor,
            data=AimCreate(
                portfolio_id=portfolio.id,
                code=aim_doc.code,
                name=aim_doc.name,
                focus=aim_doc.focus,
                outcomes=aim_doc.outcomes,
            ),
        )
        load.created["aims"] += 1

    scale = (await plan.rag_scales(session=session, portfolio_ids=[portfolio.id]))[portfolio.id]
    for index, item in enumerate(document.programmes):
        where = item.code
        programme = await plan.find_by_code(session=session, code=item.code)
        if programme is None:
            people = {
                f"{role}_id": await load.person(name) if (name := getattr(item, role)) else None
                for role in ("sao", "rdl", "lead_member")
            }
            for role, label in (("sao", "SAO"), ("lead_member", "Lead Member")):
                if people[f"{role}_id"] is None:
                    load.unparsed.append(
                        Unparsed(
                            where=f"{where} {label}", text=None, reason="not named in the source"
                        )
                    )
            aim = aims.get(item.aim_code) if item.aim_code else None
            if item.aim_code and aim is None:
                load.unparsed.append(
                    Unparsed(
                        where=f"{where} aim", text=item.aim_code, reason="no such aim in the plan"
                    )
                )
            # Through the service's own checks; owners may be missing in a source plan.
            programme = await plan.create(
                session=session,
                actor=actor,
                data=ProgrammeLoaded(
                    portfolio_id=portfolio.id,
                    aim_id=aim.id if aim else None,
                    code=item.code,
                    name=item.name,
                    purpose=item.purpose,
                    directorate=item.directorate,
                    **people,
                ),
            )
            load.created["programmes"] += 1
        else:
            load.unchanged["programmes"] += 1
        assert programme.id is not None
        await _serve_outcomes(load, programme, aims.get(item.aim_code or ""), item, index)

        existing = await milestones.list_key_activities(
            session=session, programme_ids=[programme.id]
        )
        load.unchanged["key activities"] += min(len(existing), len(item.key_activities))
        for position, activity in enumerate(item.key_activities, start=1):
            load.timescale(f"{where} key activity {position} start", activity.start)
            load.timescale(f"{where} key activity {position} end", activity.end)
            if position <= len(existing):
                continue
            await milestones.add_key_activity(
                session=session,
                actor=actor,
                programme_id=programme.id,
                data=KeyActivityCreate(
                    title=activity.title, start_text=activity.start, end_text=activity.end
                ),
            )
            load.created["key activities"] += 1

        for number, action in enumerate(item.actions):
            load.timescale(f"{where} action {action.number} timescale", action.timescale)
            # A RAG the plan's own scale does not define is refused, naming the item.
            rated = (
                plan.grade(scale, action.rag, field=f"programmes[{index}].actions[{number}].rag")
                if action.rag
                else None
            )
            found = await actions.find_by_number(
                session=session, programme_id=programme.id, number=action.number
            )
            if found is not None:
                load.unchanged["actions"] += 1
                continue
            await actions.create_action(
                session=session,
                actor=actor,
                programme_id=programme.id,
                data=ActionCreate(
                    number=action.number,
                    description=action.description,
                    timescale=action.timescale,
                    measures=action.measures,
                    responsible=action.responsible,
                    review_references=", ".join(item.review_references) or None,
                    **({"status": rated.status} if rated and rated.status else {}),
                ),
            )
            load.created["actions"] += 1

    return load.report(portfolio.code, document.unparsed)


async def _keep_rag_scale(
    load: Load, portfolio: plan.Portfolio, grades: list[RagGradeCreate]
) -> None:
    """A portfolio loaded before carries the document's scale if it only had the default."""
    assert portfolio.id is not None
    stored = (await plan.rag_scales(session=load.session, portfolio_ids=[portfolio.id]))[
        portfolio.id
    ]
    if [RagGradeCreate.model_validate(g.model_dump(exclude={"position"})) for g in stored] == [
        RagGradeCreate.model_validate(g.model_dump()) for g in grades
    ]:
        return
    if await plan.replace_default_rag_scale(
        session=load.session, actor=load.actor, portfolio=portfolio, grades=grades
    ):
        load.created["RAG scales"] += 1
        return
    load.unparsed.append(
        Unparsed(
            where=f"{portfolio.code} RAG scale",
            text=", ".join(g.code for g in grades),
            reason="differs from the scale the portfolio carries; the stored one is kept",
        )
    )


async def _serve_outcomes(
    load: Load, programme: plan.Programme, aim: plan.Aim | None, item: ProgrammeDoc, index: int
) -> None:
    """Link the programme to the outcomes it serves, given by position in its aim's list."""
    if not item.outcomes:
        return
    field = f"programmes[{index}].outcomes"
    if aim is None or aim.id is None:
        raise FieldError("a programme serves outcomes of its own aim: name the aim", field=field)
    outcomes = await plan.outcome_rows(session=load.session, aim_ids=[aim.id])
    ids: list[int] = []
    for number, position in enumerate(item.outcomes):
        if not 1 <= position <= len(outcomes):
            raise FieldError(
                f"aim {aim.code} has {len(outcomes)} outcomes, not {position}",
                field=f"{field}[{number}]",
            )
        ids.append(outcomes[position - 1].id)  # type: ignore[arg-type]
    assert programme.id is not None
    served = (await plan.served_outcomes(session=load.session, programme_ids=[programme.id]))[
        programme.id
    ]
    if sorted(served) == sorted(ids):
        load.unchanged["outcome links"] += len(ids)
        return
    await plan.set_served_outcomes(
        session=load.session,
        actor=load.actor,
        programme_id=programme.id,
        outcome_ids=ids,
    )
    load.created["outcome links"] += len(ids)


def _extraction_note(note: dict[str, Any]) -> Unparsed:
    where = " ".join(str(note[k]) for k in ("file", "source", "line") if note.get(k) is not None)
    return Unparsed(
        where=f"source {where}".strip(),
        text=note.get("text"),
        reason=str(note.get("reason") or "not parsed by the extraction"),
    )


CONFIDENCE_ORDER = {"Low": 0, "Medium": 1, "High": 2}


async def load_highlight_reports(
    *, session: AsyncSession, actor: Principal, document: HighlightDocument
) -> LoadReport:
    """One period's highlight reports for a plan already loaded: each report's rows become its
    highlights and next steps (what, when, who, confidence as written), and the report's
    quarterly milestones become the programme's milestones with their status."""
    portfolio = await plan.find_portfolio_by_code(session=session, code=document.portfolio_code)
    if portfolio is None:
        raise FieldError(
            f"load the plan {document.portfolio_code!r} before its highlight reports",
            field="portfolio_code",
        )
    load = Load(session, actor, portfolio.financial_year_start)
    for report in document.reports:
        programme = await plan.find_by_code(session=session, code=report.programme_code)
        if programme is None or programme.portfolio_id != portfolio.id:
            load.unparsed.append(
                Unparsed(
                    where=f"report for {report.programme_code}",
                    text=report.programme_code,
                    reason=f"no such programme in {portfolio.code}",
                )
            )
            continue
        assert programme.id is not None
        steps = []
        for number, item in enumerate(report.items, start=1):
            where = f"{report.programme_code} report row {number}"
            confidence = Confidence.read(item.confidence) if item.confidence else None
            if item.confidence and not isinstance(confidence, Confidence):
                load.unparsed.append(
                    Unparsed(
                        where=f"{where} confidence",
                        text=item.confidence,
                        reason="not High, Medium or Low",
                    )
                )
                confidence = None
            if item.next_steps:
                steps.append(
                    NextStep(
                        what=_labelled(item.action, item.next_steps),
                        when=item.when,
                        who=item.who,
                        confidence=confidence,
                    )
                )
            if item.when:
                load.timescale(f"{where} when", item.when)
        confidences = [
            c
            for item in report.items
            if (c := Confidence.read(item.confidence)) in CONFIDENCE_ORDER
        ]
        overall = min(confidences, key=lambda c: CONFIDENCE_ORDER[c], default=None)
        highlights_text = "\n".join(
            _labelled(item.action, item.highlights) for item in report.items if item.highlights
        )
        _, created = await highlights.import_highlight_report(
            session=session,
            actor=actor,
            programme_id=programme.id,
            period=document.period,
            highlights=highlights_text or None,
            next_steps=steps,
            # The lowest row confidence stands for the report: the board should see the doubt.
            confidence=overall,
        )
        (load.created if created else load.unchanged)["highlight reports"] += 1
        if report.overall_status is None:
            load.unparsed.append(
                Unparsed(
                    where=f"{report.programme_code} {document.period} DCA",
                    text=None,
                    reason="the source declares no delivery confidence (DCA); left empty",
                )
            )
        await _load_report_milestones(load, programme.id, report, document.period)

    return load.report(portfolio.code, document.unparsed)


def _period_end(period: str) -> date:
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


async def _load_report_milestones(
    load: Load, programme_id: int, report: ProgrammeReportDoc, period: str
) -> None:
    existing = {
        (a.title, a.end_text)
        for a in await milestones.list_key_activities(
            session=load.session, programme_ids=[programme_id]
        )
    }
    for milestone in report.milestones:
        when = milestone.quarter_label or milestone.quarter
        if (milestone.title, when) in existing:
            load.unchanged["milestones"] += 1
            continue
        status = _status(milestone.status)
        if milestone.status and status is None:
            load.unparsed.append(
                Unparsed(
                    where=f"{report.programme_code} milestone {milestone.title!r}",
                    text=milestone.status,
                    reason="not a milestone status",
                )
            )
        load.timescale(f"{report.programme_code} milestone {milestone.title!r}", when)
        data: dict[str, Any] = {"title": milestone.title, "end_text": when}
        if status is not None:
            data["status"] = status
        if status == Status.completed:
            # Done by the time of the report: the report's month is the latest it can be, and
            # the milestone's own window the earliest evidence we have; take the earlier.
            window = timescales.parse(when or "", financial_year_start=load.fy)
            data["actual_date"] = min(d for d in (window.end, _period_end(period)) if d is not None)
        await milestones.add_key_activity(
            session=load.session,
            actor=load.actor,
            programme_id=programme_id,
            data=KeyActivityCreate.model_validate(data),
        )
        load.created["milestones"] += 1


def _status(text: str | None) -> Status | None:
    if not text:
        return None
    wanted = text.strip().lower()
    return next((s for s in Status if s.value.lower() == wanted), None)


def _labelled(action: str | None, text: str) -> str:
    return f"{action}: {text}" if action else text


async def load_boards(*, session: AsyncSession, actor: Principal) -> LoadReport:
    """The council's boards as the 2024 plan describes them, and each programme without a
    board linked to its directorate's Directorate Board."""
    created = await governance.create_default_boards(session=session, actor=actor)
    boards = list(await governance.list_boards(session=session))
    by_directorate = {
        b.directorate.lower(): b
        for b in boards
        if b.kind == BoardKind.directorate_board and b.directorate
    }
    linked = 0
    unparsed: list[Unparsed] = []
    programmes = await plan.all_programmes(session=session)
    for programme in programmes:
        if programme.board_id is not None:
            continue
        board = by_directorate.get((programme.directorate or "").lower())
        if board is None:
            unparsed.append(
                Unparsed(
                    where=f"{programme.code} board",
                    text=programme.directorate,
                    reason="no Directorate Board for its directorate",
                )
            )
            continue
        assert programme.id is not None
        await plan.update(
            session=session,
            actor=actor,
            programme_id=programme.id,
            data=ProgrammeUpdate(board_id=board.id),
            expected_version=programme.version,
        )
        linked += 1
    return LoadReport(
        portfolio="*",
        created={k: v for k, v in {"boards": len(created), "board links": linked}.items() if v},
        unchanged={"boards": len(boards) - len(created)} if len(boards) > len(created) else {},
        unparsed=unparsed,
    )
