"""Load the council's three plans (the 2024 Improvement and Recovery Plan, the 2015 action plan
and the 2018 corporate governance improvement plan) as demo data, and a demo reporting month of
the 2024 plan (services/demo_month.py), through each service's REST API (so validation, audit
and cross-service checks apply). Run twice, nothing doubles."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from services.demo_month import DemoMonth
from services.kpis.seed_data import demo_values

HERE = Path(__file__).parent
PLAN = HERE / "programmes" / "seed_data" / "irp_2024.json"
PLAN_2015 = HERE / "programmes" / "seed_data" / "ap_2015.json"
PLAN_2018 = HERE / "programmes" / "seed_data" / "gov_2018.json"
HIGHLIGHTS_2015 = HERE / "programmes" / "seed_data" / "ap_2015_highlight_2015-04.json"
RISKS = HERE / "risks" / "seed_data" / "irp_2024_risks.json"
RISKS_2015 = HERE / "risks" / "seed_data" / "highlight_2015_risks.json"
# Neither document dates its risks: the 2024 plan's financial year and the 2015 report's month.
IDENTIFIED_2024 = "2024-04-01"
IDENTIFIED_2015 = "2015-04-30"
KPIS = HERE / "kpis" / "seed_data" / "irp_2024_kpis.json"

Progress = Callable[[str, int, int], None]


def _print_progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else "\r"
    print(
        f"  {label:<16} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
        end=end,
        flush=True,
    )


class Loader:
    def __init__(
        self,
        urls: dict[str, str],
        token: str,
        progress: Progress = _print_progress,
        say: Callable[[str], None] = print,
    ) -> None:
        self.say = say
        headers = {"Authorization": f"Bearer {token}"}
        self.clients = {
            name: httpx.Client(base_url=url, headers=headers, timeout=30)
            for name, url in urls.items()
        }
        self.progress = progress
        self.created: dict[str, int] = {}
        self.unparsed: dict[str, int] = {}

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def _count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    def _post(self, service: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.clients[service].post(path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"{service} {path} refused {body.get('code', '')}: {response.text}")
        return response.json()

    def _find(self, service: str, path: str) -> dict[str, Any] | None:
        response = self.clients[service].get(path)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def documents(self) -> dict[str, int]:
        """The plans, through the programmes service's loader (one transaction each)."""
        for path in (PLAN, PLAN_2015, HIGHLIGHTS_2015, PLAN_2018):
            endpoint = "/imports/highlight-reports" if path == HIGHLIGHTS_2015 else "/imports/plan"
            response = self.clients["programmes"].post(
                endpoint, content=path.read_bytes(), headers={"Content-Type": "application/json"}
            )
            if response.status_code >= 400:
                raise RuntimeError(f"loading {path.name} was refused: {response.text}")
            report = response.json()
            for kind, count in report["created"].items():
                self.created[kind] = self.created.get(kind, 0) + count
            self.unparsed[path.name] = len(report["unparsed"])
            self.progress(path.name[:16], 1, 1)
            made = ", ".join(f"{v} {k}" for k, v in report["created"].items()) or "nothing new"
            self.say(
                f"    {report['portfolio']}: {made}; {len(report['unparsed'])} texts could not be"
                f" read (./cpmo load --dry-run {path.relative_to(HERE.parent)} lists them)"
            )
        boards = self.clients["programmes"].post("/imports/boards")
        if boards.status_code >= 400:
            raise RuntimeError(f"loading the boards was refused: {boards.text}")
        for kind, count in boards.json()["created"].items():
            self.created[kind] = self.created.get(kind, 0) + count
        ids: dict[str, int] = {}
        for item in json.loads(PLAN.read_text())["programmes"]:
            found = self._find("programmes", f"/programmes/by-code/{item['code']}")
            assert found is not None, item["code"]
            ids[item["code"]] = found["id"]
        return ids

    def risks(self, programme_ids: dict[str, int]) -> None:
        risks = json.loads(RISKS.read_text())["risks"]
        fields = (
            "code",
            "title",
            "cause",
            "description",
            "mitigation",
            "owner",
            "status",
            "inherent_likelihood",
            "inherent_impact",
            "residual_likelihood",
            "residual_impact",
        )
        for done, item in enumerate(risks, start=1):
            if self._find("risks", f"/risks/by-code/{item['code']}") is None:
                body = {k: item.get(k) for k in fields}
                code = item.get("programme_code")
                body["programme_id"] = programme_ids[code] if code else None
                # a programme's risk takes its programme's plan; the plan-wide ones name it
                body["portfolio_code"] = None if code else _plan(PLAN)
                body["identified_on"] = IDENTIFIED_2024
                self._risk_with_actions(body, item.get("actions", []))
            self.progress("risks", done, len(risks))

    def _risk_with_actions(self, body: dict[str, Any], actions: list[dict[str, Any]]) -> None:
        risk = self._post("risks", "/risks", body)
        self._count("risks")
        for action in actions:
            self._post("risks", f"/risks/{risk['id']}/mitigations", action)
            self._count("mitigations")

    def raid(self, programme_ids: dict[str, int]) -> None:
        """The rest of the RAID log: the plan's overarching dependencies, the 2015 highlight
        report's programme risks with their mitigating actions, and labelled demo entries."""
        dependencies = json.loads(RISKS.read_text())["dependencies"]
        for done, item in enumerate(dependencies, start=1):
            if self._find("risks", f"/dependencies/by-code/{item['code']}") is None:
                body = {
                    k: item.get(k) for k in ("code", "title", "description", "owner", "to_activity")
                }
                for end in ("from", "to"):
                    code = item.get(f"{end}_programme_code")
                    body[f"{end}_programme_id"] = programme_ids[code] if code else None
                body["identified_on"] = IDENTIFIED_2024
                self._post("risks", "/dependencies", body)
                self._count("dependencies")
            self.progress("dependencies", done, len(dependencies))
        seed = json.loads(RISKS_2015.read_text())
        for done, item in enumerate(seed["risks"], start=1):
            if self._find("risks", f"/risks/by-code/{item['code']}") is None:
                body = {
                    "code": item["code"],
                    "title": item["title"],
                    "description": item["description"],
                    "owner": "Future Council Programme (demo placeholder: the report names none)",
                    # the 2015 report's risks are its plan's, not the 2024 plan's
                    "portfolio_code": _plan(PLAN_2015),
                    "identified_on": IDENTIFIED_2015,
                    # Demo approximations: the report gives no scores.
                    "inherent_likelihood": 4,
                    "inherent_impact": 4,
                    "residual_likelihood": 3,
                    "residual_impact": 3,
                }
                actions = [
                    {
                        "description": text,
                        "owner": "Future Council Programme (demo placeholder)",
                        "due_on": "2015-09-30",
                    }
                    for text in item["actions"]
                ]
                self._risk_with_actions(body, actions)
            self.progress("risks 2015", done, len(seed["risks"]))
        for kind, path in (("assumptions", "/assumptions"), ("issues", "/issues")):
            for item in seed["demo"][kind]:
                if self._find("risks", f"{path}/by-code/{item['code']}") is None:
                    body = {k: v for k, v in item.items() if k != "programme_code"}
                    body["programme_id"] = programme_ids[item["programme_code"]]
                    body["identified_on"] = IDENTIFIED_2024
                    self._post("risks", path, body)
                    self._count(kind)

    def kpis(self, portfolio_code: str) -> None:
        kpis = json.loads(KPIS.read_text())["kpis"]
        fields = (
            "code",
            "name",
            "aim_code",
            "outcome",
            "unit",
            "higher_is_better",
            "frequency",
            "target",
            "tolerance",
            "baseline_text",
            "baseline_date",
            "programme_code",
            "directorate",
            "source_system",
            "corporate",
            "vital_sign",
            "due_days",
            "reporting_from",
            "demo",
        )
        for done, item in enumerate(kpis, start=1):
            if self._find("kpis", f"/kpis/{item['code']}") is None:
                body = {k: item.get(k) for k in fields if k in item}
                body["portfolio_code"] = portfolio_code
                self._post("kpis", "/kpis", body)
                self._count("kpis")
            self.progress("kpis", done, len(kpis))
        for client in DEMO_PUSH_CLIENTS:
            if self._find("kpis", f"/push-clients/{client['client_id']}") is None:
                self._post("kpis", "/push-clients", client)
                self._count("push clients")
        # Demo values in bulk, a financial year at a time; their keys make a second load replay.
        items = demo_values.all_items(kpis)
        batch = 200
        for start in range(0, len(items), batch):
            result = self._post(
                "kpis", "/kpis/measurements/bulk", {"items": items[start : start + batch]}
            )
            for outcome in ("created", "restated"):
                if result[outcome]:
                    self.created["kpi values"] = self.created.get("kpi values", 0) + result[outcome]
            self.progress("kpi values", min(start + batch, len(items)), len(items))


# Directorate systems registered to push (demo): each may push only the KPIs it is granted.
DEMO_PUSH_CLIENTS = (
    {
        "client_id": "finance-ledger",
        "name": "Finance ledger (demo client)",
        "kpi_codes": ["KPI-01", "KPI-03", "KPI-04", "KPI-05", "KPI-08", "KPI-09", "KPI-10"],
    },
    {
        "client_id": "hr-system",
        "name": "HR system (demo client)",
        "kpi_codes": ["KPI-06", "KPI-07", "KPI-20", "KPI-25", "KPI-26", "KPI-27"],
    },
)


def _plan(path: Path) -> str:
    """The portfolio code of a plan document."""
    return str(json.loads(path.read_text())["portfolio"]["code"])


def load(urls: dict[str, str], token: str, progress: Progress = _print_progress) -> dict[str, int]:
    """Load the demo plan; returns how many of each kind were created this time."""
    loader = Loader(urls, token, progress)
    try:
        programme_ids = loader.documents()
        loader.risks(programme_ids)
        loader.raid(programme_ids)
        loader.kpis(json.loads(PLAN.read_text())["portfolio"]["code"])
        month = DemoMonth(loader.clients, programme_ids, loader.progress, loader.created)
        loader.say(f"    demo reporting month {month.month['period']}:")
        month.load()
    finally:
        loader.close()
    return loader.created
