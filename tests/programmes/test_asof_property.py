"""Property: for any history of writes, a read as of a cut taken at T, made after every later
write, is byte for byte the live read made at T (programmes, people, key activities), and still
is once the council's clock has moved on (a key activity's overdue flag is judged on the cut's
day, not today)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.common import clock
from tests.conftest import EDITOR, VIEWER
from tests.programmes.test_api import make_portfolio
from tests.support.asof import AS_OF_PROPERTY, History

NAMES = (
    st.text(alphabet="ABCDEFGHIJ klmnop-&'", min_size=1, max_size=30).map(str.strip).filter(bool)
)
STATUSES = st.sampled_from(["Not started", "In progress", "On track", "At risk", "Completed"])
# Ops name their target by an index into what exists so far (modulo its length).
OPS = st.one_of(
    st.tuples(st.just("programme"), NAMES),
    st.tuples(st.just("rename"), st.integers(0, 50), NAMES),
    st.tuples(st.just("directorate"), st.integers(0, 50), st.none() | NAMES),
    st.tuples(st.just("sao"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("person"), NAMES),
    st.tuples(st.just("rename_person"), st.integers(0, 50), NAMES),
    st.tuples(st.just("activity"), st.integers(0, 50), NAMES),
    st.tuples(st.just("status"), st.integers(0, 50), STATUSES),
    # due this many days from today: overdue soon after, or already
    st.tuples(st.just("forecast"), st.integers(0, 50), st.integers(-3, 10)),
    st.tuples(st.just("cut")),
)
_codes = itertools.count(1)


class World(History):
    """What the history has made so far, and the live reads taken at each cut."""

    def __init__(self, api: httpx.AsyncClient, portfolio_id: int) -> None:
        super().__init__(api)
        self.portfolio_id = portfolio_id
        self.programmes: list[int] = []
        self.people: list[int] = []
        self.activities: list[int] = []

    async def send(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = dict(EDITOR)
        if method == "PATCH":
            current = (await self.api.get(path, headers=VIEWER)).json()
            headers["If-Match"] = f'"{current["version"]}"'
        response = await self.api.request(method, path, headers=headers, json=body)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    async def person(self, name: str) -> None:
        made = await self.send("POST", "/people", {"name": f"{name} {next(_codes)}"})
        self.people.append(made["id"])

    async def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "person" or (not self.people and kind in ("programme", "sao")):
            await self.person(op[1] if kind == "person" else "SAO")
        if kind == "programme":
            body = {
                "portfolio_id": self.portfolio_id,
                "code": f"P-{next(_codes)}",
                "name": op[1],
                "sao_id": self.people[0],
                "lead_member_id": self.people[-1],
            }
            self.programmes.append((await self.send("POST", "/programmes", body))["id"])
        elif kind in ("rename", "directorate", "activity") and self.programmes:
            programme = self.programmes[op[1] % len(self.programmes)]
            if kind == "activity":
                made = await self.send(
                    "POST",
                    f"/programmes/{programme}/key-activities",
                    {"title": op[2], "end_text": "Mar 2027"},
                )
                self.activities.append(made["id"])
            else:
                field = "name" if kind == "rename" else "directorate"
                await self.send("PATCH", f"/programmes/{programme}", {field: op[2]})
        elif kind == "sao" and self.programmes:
            programme = self.programmes[op[1] % len(self.programmes)]
            person = self.people[op[2] % len(self.people)]
            await self.send("PATCH", f"/programmes/{programme}", {"sao_id": person})
        elif kind == "rename_person" and self.people:
            person = self.people[op[1] % len(self.people)]
            await self.send("PATCH", f"/people/{person}", {"name": f"{op[2]} {next(_codes)}"})
        elif kind == "status" and self.activities:
            activity = self.activities[op[1] % len(self.activities)]
            await self.send("PATCH", f"/milestones/{activity}", {"status": op[2]})
        elif kind == "forecast" and self.activities:
            activity = self.activities[op[1] % len(self.activities)]
            due = clock.today() + timedelta(days=op[2])
            await self.send("PATCH", f"/milestones/{activity}", {"forecast_date": str(due)})

    def paths(self) -> list[str]:
        return [
            "/programmes?limit=500",
            "/people?limit=500",
            "/milestones?limit=500",
            *(f"/programmes/{p}" for p in self.programmes),
            *(f"/programmes/{p}/key-activities" for p in self.programmes),
        ]


@AS_OF_PROPERTY
@given(history=st.lists(OPS, min_size=1, max_size=25))
# A key activity due in 5 days, read at a cut, then overdue by the time the cut is read again.
@example(history=[("programme", "A"), ("activity", 0, "B"), ("forecast", 0, 5), ("cut",)])
async def test_a_read_as_of_a_cut_never_changes(
    programmes_api: httpx.AsyncClient, history: list[tuple[Any, ...]]
) -> None:
    portfolio = await make_portfolio(programmes_api, code=f"PF-{next(_codes)}")
    world = World(programmes_api, portfolio["id"])
    await world.replay(history)
    # A month on, each cut still reads as it did: "today" at a cut is the cut's day.
    later = clock.today() + timedelta(days=30)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "today", lambda: later)
        await world.check_cuts()
