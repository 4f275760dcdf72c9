"""Property: for any history of pushes (single and bulk), restatements, target changes and KPI
edits, a read as of a cut taken at T, made after every later write, is byte for byte the live
read made at T (values, latest, series, targets, composites, submissions; REST and GraphQL)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import EDITOR, VIEWER
from tests.support.asof import AS_OF_PROPERTY, History

MONTHS = [f"2024-{m:02d}" for m in range(4, 13)] + [f"2025-{m:02d}" for m in range(1, 4)]
VALUES = st.integers(0, 20).map(lambda v: 80.0 + v)  # few values: pushes often restate or no-op
# Ops name their KPI by an index into what exists so far (modulo its length).
OPS = st.one_of(
    st.tuples(st.just("kpi"), st.booleans()),
    st.tuples(st.just("push"), st.integers(0, 9), st.sampled_from(MONTHS), VALUES),
    st.tuples(
        st.just("bulk"),
        st.lists(
            st.tuples(st.integers(0, 9), st.sampled_from(MONTHS), VALUES), min_size=1, max_size=5
        ),
    ),
    st.tuples(
        st.just("target"),
        st.integers(0, 9),
        st.sampled_from(["2024/25", "2025/26"]),
        VALUES,
        st.integers(0, 5),
    ),
    st.tuples(st.just("edit"), st.integers(0, 9), st.integers(0, 20)),
)
# Each write may be followed by a cut (half of them are): most histories write after a cut.
STEPS = st.tuples(OPS, st.booleans())
GRAPHQL = """query($cut: String) {
    kpis(cut: $cut, limit: 500) { items { code name target
        latest { value revision colour direction }
        series { improvingFor points { period value colour } signals { rule period } }
        targets { financialYear target tolerance version } } }
    kpiComposites(grouping: AIM, cut: $cut) { items { group withData onTarget improving } }
}"""
_codes = itertools.count(1)


class World(History):
    """What the history has made so far, and the live reads taken at each cut."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        super().__init__(api)
        self.kpis: list[str] = []

    async def send(
        self, method: str, path: str, body: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        response = await self.api.request(
            method, path, headers={**EDITOR, **(headers or {})}, json=body
        )
        assert response.status_code in (200, 201), response.text
        return response

    def code(self, index: int) -> str:
        return self.kpis[index % len(self.kpis)]

    async def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "kpi" or not self.kpis:
            code = f"KPI-P{next(_codes)}"
            await self.send(
                "POST",
                "/kpis",
                {
                    "code": code,
                    "name": "A measure",
                    "portfolio_code": "IRP-2024",
                    "aim_code": "AIM-1" if len(self.kpis) % 2 else "AIM-2",
                    "outcome": "An outcome",
                    "unit": "%",
                    "higher_is_better": op[1] if kind == "kpi" else True,
                    "frequency": "monthly",
                    "target": 90.0,
                    "tolerance": 5.0,
                    "reporting_from": "2024-04-01",
                    "due_days": 20,
                },
            )
            self.kpis.append(code)
        if kind == "push":
            await self.send(
                "POST",
                f"/kpis/{self.code(op[1])}/measurements",
                {"period": op[2], "value": op[3]},
                {"Idempotency-Key": str(uuid.uuid4())},
            )
        elif kind == "bulk":
            # One value per (KPI, period) in a body: a body restating its own item is refused.
            items = {(self.code(i), period): value for i, period, value in op[1]}
            body = [
                {"code": code, "period": period, "value": value, "key": str(uuid.uuid4())}
                for (code, period), value in items.items()
            ]
            await self.send("POST", "/kpis/measurements/bulk", {"items": body})
        elif kind == "target":
            code, year = self.code(op[1]), op[2]
            listed = (await self.api.get(f"/kpis/{code}/targets", headers=VIEWER)).json()
            found = [t for t in listed if t["financial_year"] == year]
            await self.send(
                "PUT",
                f"/kpis/{code}/targets",
                {"financial_year": year, "target": op[3], "tolerance": float(op[4])},
                {"If-Match": f'"{found[0]["version"]}"'} if found else {},
            )
        elif kind == "edit":
            code = self.code(op[1])
            current = (await self.api.get(f"/kpis/{code}", headers=VIEWER)).json()
            await self.send(
                "PATCH",
                f"/kpis/{code}",
                {"name": f"A measure, edited {op[2]}", "target": 80.0 + op[2]},
                {"If-Match": f'"{current["version"]}"'},
            )

    def paths(self) -> list[str]:
        return [
            "/kpis?limit=500",
            "/kpis/composites?grouping=aim",
            "/kpis/submissions",
            *(f"/kpis/{code}/measurements" for code in self.kpis),
            *(f"/kpis/{code}/latest" for code in self.kpis),
            *(f"/kpis/{code}/series" for code in self.kpis),
            *(f"/kpis/{code}/targets" for code in self.kpis),
            "graphql",
        ]

    async def read(self, path: str, cut: str | None) -> bytes:
        """The REST paths, and the GraphQL query (as ``graphql``) with its cut argument."""
        if path != "graphql":
            return await super().read(path, cut)
        response = await self.api.post(
            "/graphql", headers=VIEWER, json={"query": GRAPHQL, "variables": {"cut": cut}}
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        return response.content


@AS_OF_PROPERTY
@given(history=st.lists(STEPS, min_size=1, max_size=12))
async def test_a_read_as_of_a_cut_never_changes(
    kpis_api: httpx.AsyncClient, history: list[tuple[tuple[Any, ...], bool]]
) -> None:
    world = World(kpis_api)
    await world.replay(op for step, cut in history for op in ([step, ("cut",)] if cut else [step]))
