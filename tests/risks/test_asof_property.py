"""Property: for any history of RAID writes, a read as of a cut taken at T, made after every
later write, is byte for byte the live read made at T (risks, their scores and mitigations,
the issues they became, matrix versions, and the boards' views derived from them).

The risks service has no delete route: a risk leaves the live lists by being closed or by
materialising, and a mitigation by being done or cancelled; the common mechanism's own tests
cover deleted rows (tests/common/test_asof.py)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from services.common import clock
from tests.conftest import EDITOR, VIEWER
from tests.risks.factories import risk_body
from tests.risks.test_matrices_and_history import matrix_body
from tests.support.asof import AS_OF_PROPERTY, History

TEXT = st.text(alphabet="ABCDEFGHIJ klmnop-&'", min_size=1, max_size=30).map(str.strip).filter(bool)
DAYS = st.integers(-40, 40)  # around today, so overdue flags go both ways
# Current scores stay below every escalation line used here (16): no call to programmes.
LIKELIHOOD, IMPACT = st.integers(1, 3), st.integers(1, 4)
MITIGATION_STATUSES = st.sampled_from(["Planned", "In progress", "Done", "Cancelled"])
# Ops name their target by an index into what exists so far (modulo its length).
OPS = st.one_of(
    st.tuples(st.just("risk"), TEXT, LIKELIHOOD, IMPACT, DAYS),
    st.tuples(st.just("rescore"), st.integers(0, 50), LIKELIHOOD, IMPACT, TEXT),
    st.tuples(st.just("close"), st.integers(0, 50), st.sampled_from(["Closed", "Tolerated"])),
    st.tuples(st.just("review"), st.integers(0, 50), DAYS),
    st.tuples(st.just("materialise"), st.integers(0, 50), DAYS),
    st.tuples(st.just("mitigation"), st.integers(0, 50), TEXT, DAYS),
    st.tuples(st.just("mitigation_status"), st.integers(0, 50), MITIGATION_STATUSES),
    st.tuples(st.just("mitigation_due"), st.integers(0, 50), DAYS),
    st.tuples(st.just("matrix"), st.integers(11, 16)),
    st.tuples(st.just("cut")),
)
_codes = itertools.count(1)


class World(History):
    """What the history has made so far, and the live reads taken at each cut."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        super().__init__(api)
        self.today = clock.today()
        self.risks: list[int] = []
        self.mitigations: list[int] = []

    def day(self, offset: int) -> str:
        return str(self.today + timedelta(days=offset))

    async def send(
        self, method: str, path: str, body: dict[str, Any], versioned: str | None = None
    ) -> httpx.Response:
        headers = dict(EDITOR)
        if versioned is not None:
            current = (await self.api.get(versioned, headers=VIEWER)).json()
            headers["If-Match"] = f'"{current["version"]}"'
        return await self.api.request(method, path, headers=headers, json=body)

    async def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "risk":
            _, title, likelihood, impact, review = op
            body = risk_body(
                f"R-{next(_codes)}",
                title=title,
                inherent_likelihood=4,
                inherent_impact=4,
                residual_likelihood=likelihood,
                residual_impact=impact,
                identified_on=self.day(-60),
                review_on=self.day(review),
            )
            made = await self.send("POST", "/risks", body)
            assert made.status_code == 201, made.text
            self.risks.append(made.json()["id"])
        elif kind == "matrix":
            body = matrix_body(escalation_score=16)
            body["bands"][2]["max_score"] = op[1] - 1
            body["bands"][3]["min_score"] = op[1]
            made = await self.send("POST", "/matrices", body)
            assert made.status_code == 201, made.text
        elif kind.startswith("mitigation_") and self.mitigations:
            await self.mitigation(op)
        elif self.risks and not kind.startswith("mitigation_"):
            await self.on_risk(op)

    async def on_risk(self, op: tuple[Any, ...]) -> None:
        kind, risk = op[0], self.risks[op[1] % len(self.risks)]
        path = f"/risks/{risk}"
        if kind == "rescore":
            body = {"residual_likelihood": op[2], "residual_impact": op[3], "reason": op[4]}
            done = await self.send("POST", f"{path}/assessments", body, versioned=path)
        elif kind == "close":
            done = await self.send("PATCH", path, {"status": op[2]}, versioned=path)
        elif kind == "review":
            done = await self.send("PATCH", path, {"review_on": self.day(op[2])}, versioned=path)
        elif kind == "materialise":
            body = {
                "issue_code": f"I-{next(_codes)}",
                "severity": "High",
                "priority": "Medium",
                "due_on": self.day(op[2]),
            }
            done = await self.send("POST", f"{path}/materialise", body, versioned=path)
        else:  # mitigation
            body = {"description": op[2], "owner": "CPMO", "due_on": self.day(op[3])}
            done = await self.send("POST", f"{path}/mitigations", body)
            if done.status_code == 201:
                self.mitigations.append(done.json()["id"])
        # A closed or materialised risk refuses rescoring and materialising (409): a refusal
        # writes nothing, which the reads at later cuts check too.
        assert done.status_code in (200, 201, 409), done.text

    async def mitigation(self, op: tuple[Any, ...]) -> None:
        kind, mitigation = op[0], self.mitigations[op[1] % len(self.mitigations)]
        path = f"/mitigations/{mitigation}"
        change = {"status": op[2]} if kind == "mitigation_status" else {"due_on": self.day(op[2])}
        done = await self.send("PATCH", path, change, versioned=path)
        assert done.status_code == 200, done.text

    def paths(self) -> list[str]:
        return [
            "/risks?limit=500",
            "/issues?limit=500",
            "/matrices",
            "/matrices/current",
            "/mitigations/overdue",
            "/reviews/overdue",
            "/views/heat-map",
            "/views/heat-map?score=inherent",
            "/views/top-risks",
            "/views/late",
            *(f"/risks/{r}" for r in self.risks),
            *(f"/risks/{r}/assessments" for r in self.risks),
            *(f"/risks/{r}/mitigations" for r in self.risks),
            *(f"/risks/{r}/trend" for r in self.risks),
        ]


@AS_OF_PROPERTY
@given(history=st.lists(OPS, min_size=1, max_size=25))
async def test_a_read_as_of_a_cut_never_changes(
    risks_api: httpx.AsyncClient, history: list[tuple[Any, ...]]
) -> None:
    world = World(risks_api)
    await world.replay(history)
