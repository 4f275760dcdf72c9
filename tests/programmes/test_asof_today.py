"""At a cut, "today" is the cut's day, not the wall clock: every programmes read whose answer
depends on the day (overdue milestones and actions, savings RAG and lateness, their totals, the
exports' overdue column, the assurance checks) says the same at a cut when read a quarter later,
over REST (``?cut=``) and GraphQL (``cut:``, the ``CPMO-Cuts`` header, the gateway's
``_entities`` fetch through the DataLoaders), while a live read now says something else."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.common import clock
from tests.conftest import EDITOR, VIEWER
from tests.programmes.test_api import make_portfolio, make_programme
from tests.programmes.test_asof import cut
from tests.support.graphql import entities, refs

# Long enough for everything due this month or within days to be overdue.
LATER = timedelta(days=70)

ROOTS = """query($cut: String, $programme: ID!, $milestone: ID!, $action: ID!, $saving: ID!) {
  milestones(cut: $cut) { items { id overdue dueDate } }
  overdueMilestones: milestones(cut: $cut, overdue: true) { items { id } }
  milestone(cut: $cut, id: $milestone) { id overdue }
  actions(cut: $cut) { items { id overdue } }
  overdueActions: actions(cut: $cut, overdue: true) { items { id } }
  action(cut: $cut, id: $action) { id overdue }
  savingsInitiatives(cut: $cut) { items { id rag late lateReason } }
  redSavings: savingsInitiatives(cut: $cut, rag: RED) { items { id } }
  savingsInitiative(cut: $cut, id: $saving) { id rag late }
  savingsTotals(cut: $cut) { asOf total { green amber red late } }
  programme(cut: $cut, id: $programme) {
    keyActivities { id overdue }
    actions { id overdue }
    savings { id rag late lateReason }
  }
}"""
NESTED = "{ id keyActivities { id overdue } actions { id overdue } savings { id rag late } }"


async def post(api: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await api.post(path, headers=EDITOR, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def plan_due_soon(api: httpx.AsyncClient, today: date) -> dict[str, Any]:
    """A programme whose milestone, action and saving are all due within days of ``today``:
    none overdue today, all of them overdue ``LATER``."""
    portfolio = await make_portfolio(api)
    programme = await make_programme(api, portfolio["id"])
    soon = today + timedelta(days=5)
    milestone = await post(
        api,
        f"/programmes/{programme['id']}/key-activities",
        title="Set the 2027/28 budget",
        end_text=f"{soon:%b %Y}",
        forecast_date=str(soon),
        status="On track",
        owner="Director of Finance",
    )
    action = await post(
        api,
        f"/programmes/{programme['id']}/actions",
        number="1.1",
        description="Publish the savings tracker to TIB every month",
        timescale=f"{today:%B %Y}",
        measures="The tracker is in every pack",
        responsible="Director of Finance",
    )
    saving = await post(
        api,
        "/savings",
        programme_id=programme["id"],
        code="SAV-01",
        title="Shared back office",
        financial_year="2026/27",
        target="1000.00",
        forecast="1000.00",
        delivered="0.00",
        due_date=str(soon),
    )
    assert not milestone["overdue"] and not action["overdue"], (milestone, action)
    assert saving["rag"] == "Green" and not saving["late"], saving
    return {
        "portfolio": portfolio["id"],
        "programme": programme["id"],
        "milestone": milestone["id"],
        "action": action["id"],
        "saving": saving["id"],
    }


def rest_paths(ids: dict[str, Any]) -> list[str]:
    programme = ids["programme"]
    return [
        f"/programmes/{programme}/key-activities",
        "/milestones",
        "/milestones?overdue=true",
        "/milestones?overdue=false",
        f"/milestones/{ids['milestone']}",
        f"/programmes/{programme}/actions",
        "/actions",
        "/actions?overdue=true",
        f"/actions/{ids['action']}",
        "/savings",
        "/savings?rag=Red",
        "/savings?late=true",
        f"/savings/{ids['saving']}",
        "/savings/totals",
        f"/programmes/{programme}/milestones.csv",
        "/actions/export?format=csv",
        "/milestones/export?format=csv",
        f"/assurance/smart?portfolio_id={ids['portfolio']}",
        f"/assurance/confidence?programme_id={ids['programme']}",
    ]


async def get(api: httpx.AsyncClient, path: str, **params: str) -> bytes:
    response = await api.get(path, headers=VIEWER, params=params)
    assert response.status_code == 200, (path, response.text)
    return response.content


async def test_rest_reads_at_a_cut_judge_by_the_cuts_day(
    programmes_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = programmes_api
    today = clock.today()
    ids = await plan_due_soon(api, today)
    at = await cut(api)
    then = {path: await get(api, path) for path in rest_paths(ids)}

    monkeypatch.setattr(clock, "today", lambda: today + LATER)
    for path, body in then.items():
        assert await get(api, path) != body, f"{path} reads the same live: it proves nothing"
        assert await get(api, path, cut=str(at["position"])) == body, path
        if at["at"] is not None:  # the cut named by its instant reads the same
            assert await get(api, path, cut=at["at"]) == body, path

    # An explicit day still wins over the cut's.
    asked = await api.get(
        f"/savings/{ids['saving']}",
        headers=VIEWER,
        params={"cut": str(at["position"]), "as_of": str(today + LATER)},
    )
    assert asked.json()["rag"] == "Red" and asked.json()["late_reason"], asked.text


async def graphql(
    api: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> bytes:
    response = await api.post(
        "/graphql",
        headers={**VIEWER, **(headers or {})},
        json={"query": query, "variables": variables},
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    return response.content


async def test_graphql_reads_at_a_cut_judge_by_the_cuts_day(
    programmes_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = programmes_api
    today = clock.today()
    ids = await plan_due_soon(api, today)
    position = str((await cut(api))["position"])
    variables = {k: str(ids[k]) for k in ("programme", "milestone", "action", "saving")}
    fetch = entities("Programme", NESTED)
    programme = refs("Programme", [ids["programme"]])
    roots_then = await graphql(api, ROOTS, variables)
    entities_then = await graphql(api, fetch, {"refs": programme})
    assert b'"overdue":true' not in roots_then + entities_then, roots_then

    monkeypatch.setattr(clock, "today", lambda: today + LATER)
    roots_now = await graphql(api, ROOTS, variables)
    assert roots_now != roots_then and b'"overdue":true' in roots_now, roots_now
    assert await graphql(api, fetch, {"refs": programme}) != entities_then

    # One cut for the operation: as the cut argument, or as the gateway's CPMO-Cuts header
    # (root fields, and the _entities fetch that resolves a federated Programme's fields).
    assert await graphql(api, ROOTS, {**variables, "cut": position}) == roots_then
    header = {"CPMO-Cuts": f"risks=1, programmes={position}"}
    assert await graphql(api, ROOTS, variables, header) == roots_then
    assert await graphql(api, fetch, {"refs": programme}, header) == entities_then

    # An explicit day still wins over the cut's.
    asked = await api.post(
        "/graphql",
        headers=VIEWER,
        json={
            "query": "query($cut: String, $day: Date) { savingsTotals(cut: $cut, asOf: $day) "
            "{ asOf total { red } } }",
            "variables": {"cut": position, "day": str(today + LATER)},
        },
    )
    assert asked.json()["data"]["savingsTotals"] == {
        "asOf": str(today + LATER),
        "total": {"red": 1},
    }, asked.text
