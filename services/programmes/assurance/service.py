"""Plan quality (SMART) and evidence-based delivery confidence. Reads every domain of the
service; writes nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from services.programmes.actions import service as actions
from services.programmes.assurance.schemas import (
    ConfidenceCheck,
    Evidence,
    SmartFailure,
    SmartReport,
    SmartTest,
)
from services.programmes.highlights import service as highlights
from services.programmes.milestones import service as milestones
from services.programmes.plan import service as plan
from services.programmes.savings import service as savings
from services.programmes.vocabulary import DCA, Status

T = TypeVar("T")

RAG_ORDER = {"Green": 0, "Amber": 1, "Red": 2}
# A milestone this far past due, or this many overdue at once, is Red evidence on its own.
RED_OVERDUE_DAYS = 30
RED_OVERDUE_COUNT = 3


def _flat(by_programme: dict[int, list[T]]) -> list[T]:
    """Each sub-domain's rows, read through its service, as one list (the checks sort)."""
    return [row for rows in by_programme.values() for row in rows]


def _is_tbc(text: str | None) -> bool:
    return (text or "").strip().lower() in {"tbc", "tbd"}


async def smart(
    *,
    session: AsyncSession,
    today: date,
    portfolio_id: int | None = None,
    programme_id: int | None = None,
) -> SmartReport:
    programmes = await plan.all_programmes(
        session=session, portfolio_id=portfolio_id, programme_id=programme_id
    )
    by_id = {p.id: p for p in programmes if p.id is not None}
    ids = list(by_id)
    failures: list[SmartFailure] = []

    def fail(test: SmartTest, item: str, item_id: int, pid: int, ref: str, detail: str) -> None:
        failures.append(
            SmartFailure(
                test=test,
                item=item,
                item_id=item_id,
                programme_id=pid,
                programme_code=by_id[pid].code,
                ref=ref,
                detail=detail,
            )
        )

    for p in programmes:
        assert p.id is not None
        missing = [
            label
            for label, v in (("SAO", p.sao_id), ("Lead Member", p.lead_member_id))
            if v is None
        ]
        if missing:
            fail(
                SmartTest.no_owner,
                "programme",
                p.id,
                p.id,
                p.code,
                f"no {' or '.join(missing)} named",
            )

    activities = _flat(
        await milestones.key_activities_by_programme(session=session, programme_ids=ids)
    )
    for a in activities:
        assert a.id is not None
        ref = a.title[:80]
        if a.end_date is None and a.forecast_date is None:
            test = SmartTest.only_tbc if _is_tbc(a.end_text) else SmartTest.no_date
            fail(test, "key_activity", a.id, a.programme_id, ref, f"end written as {a.end_text!r}")
        if a.start_date and a.end_date and a.end_date < a.start_date:
            fail(
                SmartTest.end_before_start,
                "key_activity",
                a.id,
                a.programme_id,
                ref,
                f"{a.start_text} to {a.end_text}",
            )
        if a.status == Status.on_track and milestones.is_overdue(
            a.status, a.end_date, a.forecast_date, today=today
        ):
            due = milestones.due_date(a.end_date, a.forecast_date)
            fail(
                SmartTest.overdue_on_track,
                "key_activity",
                a.id,
                a.programme_id,
                ref,
                f"due {due}, still reported On track",
            )

    action_rows = _flat(await actions.actions_by_programme(session=session, programme_ids=ids))
    for x in action_rows:
        assert x.id is not None
        ref = f"action {x.number}"
        if not (x.responsible or "").strip():
            fail(SmartTest.no_owner, "action", x.id, x.programme_id, ref, "no one responsible")
        if not (x.measures or "").strip():
            fail(SmartTest.no_measure, "action", x.id, x.programme_id, ref, "no measure of success")
        if x.timescale_end is None and x.timescale_precision not in ("ongoing", "recurring"):
            test = SmartTest.only_tbc if _is_tbc(x.timescale) else SmartTest.no_date
            fail(test, "action", x.id, x.programme_id, ref, f"timescale written as {x.timescale!r}")
        if x.timescale_start and x.timescale_end and x.timescale_end < x.timescale_start:
            fail(SmartTest.end_before_start, "action", x.id, x.programme_id, ref, x.timescale or "")
        if x.status == Status.on_track and actions.is_overdue(
            x.status, x.timescale_end, today=today
        ):
            fail(
                SmartTest.overdue_on_track,
                "action",
                x.id,
                x.programme_id,
                ref,
                f"due {x.timescale_end}, still reported On track",
            )

    failures.sort(key=lambda f: (f.programme_code, f.item, f.item_id, f.test.value))
    return SmartReport(
        as_of=today,
        checked={
            "programmes": len(programmes),
            "key_activities": len(activities),
            "actions": len(action_rows),
        },
        failures=failures,
        counts=dict(Counter(f.test.value for f in failures)),
    )


def evidence_rag(evidence: Sequence[Evidence]) -> str:
    return max((e.rag for e in evidence), key=RAG_ORDER.__getitem__, default="Green")


def is_watermelon(declared_rag: str | None, evidence: str) -> bool:
    """Green outside, red inside: the declared confidence is greener than the evidence."""
    return declared_rag is not None and RAG_ORDER[declared_rag] < RAG_ORDER[evidence]


async def confidence(
    *,
    session: AsyncSession,
    today: date,
    portfolio_id: int | None = None,
    programme_id: int | None = None,
) -> list[ConfidenceCheck]:
    programmes = await plan.all_programmes(
        session=session, portfolio_id=portfolio_id, programme_id=programme_id
    )
    ids = [p.id for p in programmes if p.id is not None]
    found: dict[int, list[Evidence]] = {pid: [] for pid in ids}

    activities = _flat(
        await milestones.key_activities_by_programme(session=session, programme_ids=ids)
    )
    overdue_counts: Counter[int] = Counter()
    for a in activities:
        assert a.id is not None
        due = milestones.due_date(a.end_date, a.forecast_date)
        if milestones.is_overdue(a.status, a.end_date, a.forecast_date, today=today) and due:
            days = (today - due).days
            overdue_counts[a.programme_id] += 1
            found[a.programme_id].append(
                Evidence(
                    kind="overdue milestone",
                    item_id=a.id,
                    ref=a.title[:80],
                    detail=f"due {due}, {days} days overdue, {a.status}",
                    rag="Red" if days > RED_OVERDUE_DAYS else "Amber",
                )
            )
        slipped = milestones.slippage_days(a.end_date, a.forecast_date)
        if slipped and slipped > 0 and a.status != Status.completed:
            found[a.programme_id].append(
                Evidence(
                    kind="slipped milestone",
                    item_id=a.id,
                    ref=a.title[:80],
                    detail=f"forecast {a.forecast_date}: {slipped} days past baseline {a.end_date}",
                    rag="Amber",
                )
            )
    for pid, count in overdue_counts.items():
        if count >= RED_OVERDUE_COUNT:
            for e in found[pid]:
                if e.kind == "overdue milestone":
                    e.rag = "Red"

    rows = _flat(await savings.by_programme(session=session, programme_ids=ids))
    for row in rows:
        read = savings.read(row, as_of=today)
        if read.late or read.rag != "Green":
            found[row.programme_id].append(
                Evidence(
                    kind="late savings",
                    item_id=read.id,
                    ref=read.code,
                    detail=f"{read.late_reason or 'at risk'}: {read.forecast} of {read.target}",
                    rag=str(read.rag.value if hasattr(read.rag, "value") else read.rag),
                )
            )

    declared: dict[int, tuple[str, date]] = {}
    for assessment in await highlights.dca_history(session=session, programme_ids=ids):
        declared.setdefault(assessment.programme_id, (assessment.dca, assessment.assessed_on))

    checks = []
    for p in programmes:
        assert p.id is not None
        evidence = sorted(found[p.id], key=lambda e: (-RAG_ORDER[e.rag], e.kind, e.item_id))
        computed = evidence_rag(evidence)
        dca, on = declared.get(p.id, (None, None))
        declared_rag = DCA(dca).rag if dca else None
        checks.append(
            ConfidenceCheck(
                programme_id=p.id,
                programme_code=p.code,
                declared_dca=DCA(dca).value if dca else None,
                declared_rag=declared_rag,
                declared_on=on,
                evidence_rag=computed,
                evidence=evidence,
                watermelon=is_watermelon(declared_rag, computed),
            )
        )
    return checks
