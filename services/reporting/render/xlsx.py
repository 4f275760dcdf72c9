"""The pack as a workbook: a sheet per table, the record id beside every figure so a reader
can trace it."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Row = list[Any]


def render(content: dict[str, Any]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    programmes = content.get("programmes") or []
    _sheet(
        book,
        "Asks",
        ["Ask", "What", "Source", "Escalation id"],
        (
            [a.get("kind"), a.get("text"), a.get("source"), a.get("escalation_id")]
            for a in (content.get("purpose") or {}).get("asks", [])
        ),
    )
    _sheet(
        book,
        "Headline",
        [
            "Code",
            "Programme",
            "Aim",
            "DCA last month",
            "DCA this month",
            "Change",
            "Highlight report id",
        ],
        (
            [
                p["code"],
                p["name"],
                p.get("aim"),
                (p.get("dca_previous") or {}).get("value"),
                (p.get("dca") or {}).get("value"),
                p.get("dca_change"),
                (p.get("dca") or {}).get("highlight_report_id"),
            ]
            for p in programmes
        ),
    )
    _sheet(
        book,
        "Programmes",
        [
            "Code",
            "Programme",
            "Programme id",
            "SAO",
            "RDL",
            "Lead Member",
            "Directorate",
            "DCA",
            "DCA reason",
            "Evidence RAG",
            "Watermelon",
            "Due",
            "Slipped",
            "Completed",
        ],
        (
            [
                p["code"],
                p["name"],
                p["programme_id"],
                _name(p.get("sao")),
                _name(p.get("rdl")),
                _name(p.get("lead_member")),
                p.get("directorate"),
                (p.get("dca") or {}).get("value"),
                (p.get("dca") or {}).get("reason"),
                (p.get("evidence") or {}).get("rag"),
                (p.get("evidence") or {}).get("watermelon"),
                *(
                    len((p.get("milestones") or {}).get(k, []))
                    for k in ("due", "slipped", "completed")
                ),
            ]
            for p in programmes
        ),
    )
    _sheet(
        book,
        "Milestones",
        [
            "Programme",
            "Milestone",
            "Milestone id",
            "State",
            "Baseline",
            "Forecast",
            "Actual",
            "Status",
            "Owner",
        ],
        (
            [
                p["code"],
                m["title"],
                m["key_activity_id"],
                state,
                m.get("baseline"),
                m.get("forecast"),
                m.get("actual"),
                m.get("status"),
                m.get("owner"),
            ]
            for p in programmes
            for state in ("due", "slipped", "completed")
            for m in (p.get("milestones") or {}).get(state, [])
        ),
    )
    savings = content.get("savings") or {}
    money = ["Target £", "Forecast £", "Delivered £", "At risk £"]
    for title, key in (
        ("Savings by programme", "by_programme"),
        ("Savings by directorate", "by_directorate"),
    ):
        _sheet(
            book,
            title,
            ["Group", *money, "Initiatives"],
            ([g["label"], *_money(g), len(g["initiative_ids"])] for g in savings.get(key) or []),
        )
    _sheet(
        book,
        "Savings initiatives",
        ["Code", "Title", "Savings id", "Programme", "Directorate", "RAG", *money, "Why late"],
        (
            [
                i["code"],
                i["title"],
                i["savings_id"],
                i["programme_code"],
                i["directorate"],
                i["rag"],
                *_money(i),
                i.get("late_reason"),
            ]
            for i in savings.get("initiatives") or []
        ),
    )
    _sheet(
        book,
        "Risks",
        ["Programme", "Risk", "Risk id", "Title", "Owner", "Inherent", "Residual", "Status"],
        (
            [
                p["code"],
                r["code"],
                r["risk_id"],
                r["title"],
                r["owner"],
                r["inherent_score"],
                r["residual_score"],
                r["status"],
            ]
            for p in programmes
            for r in p.get("top_risks") or []
        ),
    )
    _raid_sheets(book, content.get("raid") or {})
    _kpi_sheets(book, content)
    _sheet(
        book,
        "KPIs by programme",
        [
            "Programme",
            "KPI",
            "KPI id",
            "Name",
            "Target",
            "Unit",
            "Latest",
            "Measurement id",
            "Period",
            "Colour",
            "Direction",
        ],
        (
            [
                p["code"],
                k["code"],
                k["kpi_id"],
                k["name"],
                k.get("target"),
                k.get("unit"),
                *(
                    [
                        k["latest"]["value"],
                        k["latest"]["measurement_id"],
                        k["latest"]["period"],
                        k["latest"].get("colour"),
                        k["latest"].get("direction"),
                    ]
                    if k.get("latest")
                    else [None] * 5
                ),
            ]
            for p in programmes
            for k in p.get("kpi_scorecard") or []
        ),
    )
    exceptions = content.get("exceptions") or {}
    _sheet(
        book,
        "Exceptions",
        ["Kind", "Programme", "Item", "Item id", "Detail"],
        _exception_rows(exceptions),
    )
    decisions = content.get("decisions") or {}
    _sheet(
        book,
        "Decisions",
        ["Date", "Board", "Decision", "Decision id", "Decided by", "Escalation id"],
        (
            [
                d["decided_on"],
                d["board"],
                d["decision"],
                d["decision_id"],
                d["decided_by"],
                d.get("escalation_id"),
            ]
            for d in decisions.get("decisions") or []
        ),
    )
    _sheet(
        book,
        "Escalations",
        ["Raised", "Programme", "Title", "Escalation id", "Board", "Status"],
        (
            [
                e["raised_on"],
                e["programme_code"],
                e["title"],
                e["escalation_id"],
                e.get("board"),
                e["status"],
            ]
            for e in decisions.get("escalations") or []
        ),
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _raid_sheets(book: Workbook, raid: dict[str, Any]) -> None:
    """Section 5's tables; a read that was unavailable leaves its sheet with headers only."""
    risk = ["Risk", "Risk id", "Title", "Owner", "Current"]
    for title, key in (("New risks", "new_risks"), ("Escalated risks", "escalated_risks")):
        _sheet(
            book,
            title,
            [*risk, "Status"],
            (
                [r["code"], r["risk_id"], r["title"], r["owner"], r["residual_score"], r["status"]]
                for r in raid.get(key) or []
            ),
        )
    target = raid.get("current_vs_target") or {}
    _sheet(
        book,
        "Risks against target",
        [*risk, "Target", "To go"],
        (
            [r["code"], r["risk_id"], r["title"], r["owner"], r["current"], r["target"], r["gap"]]
            for r in [*(target.get("above_target") or []), *(target.get("no_target") or [])]
        ),
    )
    _sheet(
        book,
        "Issues past due",
        ["Issue", "Issue id", "Title", "Owner", "Severity", "Due"],
        (
            [i["code"], i["issue_id"], i["title"], i["owner"], i["severity"], i["due_on"]]
            for i in raid.get("issues_past_due") or []
        ),
    )
    _sheet(
        book,
        "Dependencies at risk",
        ["Dependency", "Dependency id", "Title", "From", "On", "Needed by", "Status", "Owner"],
        (
            [
                d["code"],
                d["dependency_id"],
                d["title"],
                d["from"],
                d["to"],
                d["needed_by"],
                d["status"],
                d["owner"],
            ]
            for d in raid.get("dependencies_at_risk") or []
        ),
    )


def _kpi_sheets(book: Workbook, content: dict[str, Any]) -> None:
    """Section 6: the scorecard by aim and outcome, and the composites beside it."""
    aims = content.get("kpis") or []
    _sheet(
        book,
        "KPI scorecard",
        [
            "Aim",
            "Outcome",
            "KPI",
            "KPI id",
            "Name",
            "Latest",
            "Unit",
            "Measurement id",
            "Period",
            "Colour",
            "Direction",
            "SPC signal",
            "Benchmark rank",
            "Vital sign",
        ],
        (
            [
                aim["aim_code"],
                o["outcome"],
                k["code"],
                k["kpi_id"],
                k["name"],
                *(
                    [
                        k["latest"]["value"],
                        k["unit"],
                        k["latest"]["measurement_id"],
                        k["latest"]["period"],
                        k["latest"].get("colour"),
                        k["latest"].get("direction"),
                    ]
                    if k.get("latest")
                    else [None, k["unit"], None, None, None, None]
                ),
                None if not k.get("signal") else f"{k['signal']['rule']} {k['signal']['period']}",
                "; ".join(f"{b['rank']} of {b['of']} ({b['group']})" for b in k["benchmarks"])
                or None,
                k["vital_sign"],
            ]
            for aim in aims
            for o in aim.get("outcomes") or []
            for k in o["kpis"]
        ),
    )
    composites = (
        [("Aim", aim["aim_code"], aim.get("composite")) for aim in aims]
        + [
            ("Outcome", o["outcome"], o.get("composite"))
            for aim in aims
            for o in aim.get("outcomes") or []
        ]
        + [
            ("Vital signs", c["group"], c)
            for c in (content.get("vital_signs") or {}).get("composites") or []
        ]
    )
    _sheet(
        book,
        "KPI composites",
        [
            "Grouping",
            "Group",
            "KPIs",
            "With data",
            "On target",
            "Improving",
            "On target %",
            "Improving %",
        ],
        (
            [
                grouping,
                group,
                c["kpi_count"],
                c["with_data"],
                c["on_target"],
                c["improving"],
                c["on_target_percent"],
                c["improving_percent"],
            ]
            for grouping, group, c in composites
            if c is not None
        ),
    )


def _exception_rows(x: dict[str, Any]) -> Iterable[Row]:
    for p in x.get("missing_reports") or []:
        yield ["missing highlight report", p["code"], p["name"], p["programme_id"], ""]
    for p in x.get("stale_reports") or []:
        yield [
            "stale highlight report",
            p["code"],
            p["name"],
            p["highlight_report_id"],
            f"latest {p['last_period']}",
        ]
    for p in x.get("no_rdl") or []:
        yield ["no RDL", p["code"], p["name"], p["programme_id"], ""]
    for m in x.get("slipped_milestones") or []:
        yield [
            "slipped milestone",
            m["programme_code"],
            m["title"],
            m["key_activity_id"],
            f"baseline {m.get('baseline')}, forecast {m.get('forecast')}",
        ]
    for r in x.get("unowned_risks") or []:
        yield ["unowned risk", "", r["code"], r["risk_id"], f"owner given as {r['owner']}"]
    for m in x.get("overdue_mitigations") or []:
        yield ["overdue mitigation", "", m["risk_code"], m["mitigation_id"], f"due {m['due_on']}"]
    for r in x.get("overdue_reviews") or []:
        yield ["overdue risk review", "", r["code"], r["risk_id"], f"due {r['review_on']}"]
    for k in x.get("kpis_without_data") or []:
        yield ["KPI without data", "", k["code"], k["kpi_id"], k["name"]]
    for k in x.get("kpi_values_missing") or []:
        yield ["KPI values missing", "", k["code"], "", ", ".join(k["periods"])]
    for k in x.get("kpi_values_late") or []:
        yield ["KPI value late", "", k["code"], "", f"{k['period']} due {k['due']}"]
    for f in x.get("smart_failures") or []:
        yield [f"SMART: {f['test']}", f["programme_code"], f["ref"], f["item_id"], f["detail"]]


def _name(person: dict[str, Any] | None) -> str | None:
    return None if person is None else str(person["name"])


def _money(row: dict[str, Any]) -> list[Decimal]:
    return [Decimal(row[k]) for k in ("target", "forecast", "delivered", "at_risk")]


def _sheet(book: Workbook, title: str, header: list[str], body: Iterable[Row]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in header]
    for row in body:
        sheet.append(row)
        widths = [max(w, min(len(str(v or "")), 60)) for w, v in zip(widths, row, strict=False)]
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width + 2
    sheet.freeze_panes = "A2"


def _milestone_counts(p: dict[str, Any]) -> list[int]:
    found = p.get("milestones") or {}
    return [len(found.get(k, [])) for k in ("due", "slipped", "completed")]
