"""The demo reporting month (March 2025, with February before it) for the 2024 plan, so every
section of the demo pack has content: highlight reports with DCAs for both months, progress on
the plan's milestones, the 2024/25 savings initiatives summing to the plan's £149.8m,
escalations to the TIB, its decisions, and a risk identified and risks escalated in the month.
Everything goes through the services' REST APIs (validated, audited); each step looks before it
writes, so a second load writes nothing.

The month's data is in services/programmes/seed_data/irp_2024_demo_month.json and
services/risks/seed_data/irp_2024_demo_month.json; what the plan does not give is labelled demo.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent
MONTH = HERE / "programmes" / "seed_data" / "irp_2024_demo_month.json"
MONTH_RISKS = HERE / "risks" / "seed_data" / "irp_2024_demo_month.json"
PERIOD = json.loads(MONTH.read_text())["period"]

Progress = Callable[[str, int, int], None]


class DemoMonth:
    def __init__(
        self,
        clients: dict[str, httpx.Client],
        programme_ids: dict[str, int],
        progress: Progress,
        created: dict[str, int],
        month: dict[str, Any] | None = None,
        risks: dict[str, Any] | None = None,
    ) -> None:
        self.programmes = clients["programmes"]
        self.risks_client = clients["risks"]
        self.ids = programme_ids
        self.progress = progress
        self.created = created
        self.month = month if month is not None else json.loads(MONTH.read_text())
        self.month_risks = risks if risks is not None else json.loads(MONTH_RISKS.read_text())

    def load(self) -> None:
        self.highlight_reports()
        self.milestones()
        self.savings()
        escalations = self.escalations()
        self.decisions(escalations)
        self.risks()

    # plumbing ----------------------------------------------------------------------------

    def _count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    @staticmethod
    def _ok(response: httpx.Response, what: str) -> Any:
        if response.status_code >= 400:
            raise RuntimeError(f"{what} was refused ({response.status_code}): {response.text}")
        return response.json()

    def _get(self, client: httpx.Client, path: str, **params: Any) -> Any:
        return self._ok(client.get(path, params=params), f"GET {path}")

    def _post(self, client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._ok(client.post(path, json=body), f"POST {path}")

    # programmes --------------------------------------------------------------------------

    def highlight_reports(self) -> None:
        reports = self.month["highlight_reports"]
        held: dict[str, set[str]] = {}
        for done, report in enumerate(reports, start=1):
            code = report["programme_code"]
            path = f"/programmes/{self.ids[code]}/highlight-reports"
            if code not in held:
                held[code] = {r["period"] for r in self._get(self.programmes, path)}
            if report["period"] not in held[code]:
                body = {k: v for k, v in report.items() if k != "programme_code"}
                self._post(self.programmes, path, body)
                held[code].add(report["period"])
                self._count("highlight reports")
            self.progress("highlight reports", done, len(reports))

    def milestones(self) -> None:
        """Progress on the plan's key activities by the month's end: those due by then are
        completed on their baseline end, but the slipped ones, which get a later forecast.
        An activity with progress already recorded is left as it is."""
        plan = self.month["milestones"]
        as_of = plan["as_of"]
        slipped = plan["slipped"]
        codes = sorted({r["programme_code"] for r in self.month["highlight_reports"]})
        for done, code in enumerate(codes, start=1):
            path = f"/programmes/{self.ids[code]}/key-activities"
            for activity in self._get(self.programmes, path):
                end = activity["end_date"]
                recorded = activity["actual_date"] or activity["forecast_date"]
                if end is None or end > as_of or recorded or activity["status"] == "Completed":
                    continue
                late = next(
                    (
                        m
                        for m in slipped
                        if m["programme_code"] == code
                        and activity["title"].startswith(m["title_starts"])
                    ),
                    None,
                )
                change = (
                    {"status": "Completed", "actual_date": end}
                    if late is None
                    else {"status": late["status"], "forecast_date": late["forecast_date"]}
                )
                response = self.programmes.patch(
                    f"/milestones/{activity['id']}",
                    json=change,
                    headers={"If-Match": f'"{activity["version"]}"'},
                )
                self._ok(response, f"recording progress on milestone {activity['id']}")
                self._count("milestones completed" if late is None else "milestones slipped")
            self.progress("milestones", done, len(codes))

    def savings(self) -> None:
        plan = self.month["savings"]
        found = self._get(
            self.programmes, "/savings", financial_year=plan["financial_year"], limit=500
        )
        codes = {i["code"] for i in found["items"]}
        initiatives = plan["initiatives"]
        for done, item in enumerate(initiatives, start=1):
            if item["code"] not in codes:
                body = {k: v for k, v in item.items() if k != "programme_code"}
                body["programme_id"] = self.ids[item["programme_code"]]
                body["financial_year"] = plan["financial_year"]
                self._post(self.programmes, "/savings", body)
                self._count("savings initiatives")
            self.progress("savings", done, len(initiatives))

    def _boards(self) -> dict[str, dict[str, Any]]:
        return {b["code"]: b for b in self._get(self.programmes, "/boards")}

    def escalations(self) -> dict[str, dict[str, Any]]:
        """Raise each at its board (the programme's Directorate Board unless one is named),
        then move those bound for the TIB up. Returns them by reference."""
        boards = self._boards()
        tib = boards["TIB"]["id"]
        found: dict[str, dict[str, Any]] = {}
        wanted = self.month["escalations"]
        for done, item in enumerate(wanted, start=1):
            page = self._get(self.programmes, "/escalations", item_ref=item["ref"])
            escalation = page["items"][0] if page["items"] else None
            if escalation is None:
                body = {
                    "kind": item["kind"],
                    "item_ref": item["ref"],
                    "title": item["title"],
                    "reason": item["reason"],
                    "programme_id": self.ids[item["programme_code"]],
                    "raised_by": "cpmo-demo",
                    "raised_on": item["raised_on"],
                }
                if item.get("board"):
                    body["board_id"] = boards[item["board"]]["id"]
                escalation = self._post(self.programmes, "/escalations", body)
                self._count("escalations")
            if item.get("to_tib") and escalation["board_id"] != tib and not escalation["moves"]:
                escalation = self._post(
                    self.programmes,
                    f"/escalations/{escalation['id']}/escalate",
                    {"note": "Demo: beyond the Directorate Board's tolerance"},
                )
                self._count("escalation moves")
            found[item["ref"]] = escalation
            self.progress("escalations", done, len(wanted))
        return found

    def decisions(self, escalations: dict[str, dict[str, Any]]) -> None:
        """Record each board decision once (known by its reference); a decision on an
        escalation resolves it."""
        boards = self._boards()
        wanted = self.month["decisions"]
        for done, item in enumerate(wanted, start=1):
            board = boards[item["board"]]["id"]
            path = f"/boards/{board}/decisions"
            page = self._get(self.programmes, path, limit=500)
            logged = {d["reference"]: d for d in page["items"]}
            decision = logged.get(item["reference"])
            escalation = escalations.get(item.get("escalation_ref") or "")
            if decision is None:
                body = {k: v for k, v in item.items() if k not in ("board", "escalation_ref")}
                if escalation is not None:
                    body["escalation_id"] = escalation["id"]
                decision = self._post(self.programmes, path, body)
                self._count("decisions")
            if escalation is not None:
                self._resolve(escalation["id"], decision["id"])
            self.progress("decisions", done, len(wanted))

    def _resolve(self, escalation_id: int, decision_id: int) -> None:
        path = f"/escalations/{escalation_id}"
        current = self.programmes.get(path)
        self._ok(current, f"GET {path}")
        if current.json()["status"] != "open":
            return
        response = self.programmes.patch(
            path,
            json={"status": "resolved", "resolution_decision_id": decision_id},
            headers={"If-Match": current.headers["ETag"]},
        )
        self._ok(response, f"PATCH {path}")
        self._count("escalations resolved")

    # risks -------------------------------------------------------------------------------

    def risks(self) -> None:
        """A risk identified in the month, and the plan's risks escalated in it."""
        for item in self.month_risks["new_risks"]:
            if self.risks_client.get(f"/risks/by-code/{item['code']}").status_code == 404:
                body = {k: v for k, v in item.items() if k != "programme_code"}
                body["programme_id"] = self.ids[item["programme_code"]]
                self._post(self.risks_client, "/risks", body)
                self._count("risks")
        wanted = self.month_risks["escalate"]
        for done, item in enumerate(wanted, start=1):
            found = self.risks_client.get(f"/risks/by-code/{item['code']}")
            risk = self._ok(found, f"risk {item['code']}")
            if not self._get(self.risks_client, f"/risks/{risk['id']}/escalations"):
                response = self.risks_client.post(
                    f"/risks/{risk['id']}/escalate",
                    json={"reason": item["why"], "taken_on": item["taken_on"]},
                    headers={"If-Match": found.headers["ETag"]},
                )
                self._ok(response, f"escalating {item['code']}")
                self._count("risk escalations")
            self.progress("risk escalations", done, len(wanted))
