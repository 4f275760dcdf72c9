"""Milestones in GraphQL: the KeyActivity fields, key_activities_for, and the query and
mutation types to merge into the root."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from services.programmes.milestones import service
from tests.conftest import EDITOR, VIEWER
from tests.programmes.milestones.helpers import make_programme, make_workstream, milestone
from tests.support import changes
from tests.support.graphql import entities, gql, problems, refs, status_of

FIELDS = """id programmeId workstreamId title startText endText startDate endDate startPrecision
endPrecision forecastDate actualDate status percentComplete owner version dueDate slippageDays
overdue"""


async def test_key_activities_for_batches_and_carries_progress(
    programmes_api: httpx.AsyncClient, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = await make_programme(programmes_api, "IRP-01")
    two = await make_programme(programmes_api, "IRP-02", name="Corporate Landlord")
    stream = await make_workstream(programmes_api, one, "Budget setting")
    await milestone(
        programmes_api,
        one,
        workstream_id=stream,
        end_text="Dec 2024",
        forecast_date="2025-01-05",
        status="Late",
        percent_complete=80,
        owner="Head of Finance",
    )
    await milestone(programmes_api, two, title="Asset register", end_text="Jun 2025")
    three = await make_programme(programmes_api, "IRP-03", name="Nothing planned yet")
    calls: list[list[int]] = []
    original = service.key_activities_by_programme

    async def counting(**kwargs: object) -> object:
        calls.append(list(kwargs["programme_ids"]))  # type: ignore[call-overload]
        return await original(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "key_activities_by_programme", counting)
    # The real Programme type, reached as the gateway reaches it: many programmes in one request.
    result = await gql(
        programmes_api,
        entities("Programme", f"{{ id keyActivities {{ {FIELDS} }} }}"),
        VIEWER,
        refs=refs("Programme", [one, two, three]),
    )
    assert "errors" not in result, result
    assert calls == [[one, two, three]]  # one query for every programme
    first, second, none = result["data"]["_entities"]
    activity = first["keyActivities"][0]
    assert activity["workstreamId"] == str(stream)
    assert (activity["status"], activity["percentComplete"], activity["owner"]) == (
        "LATE",
        80,
        "Head of Finance",
    )
    assert (activity["endDate"], activity["forecastDate"], activity["slippageDays"]) == (
        "2024-12-31",
        "2025-01-05",
        5,
    )
    assert activity["overdue"] is True and activity["startText"] == "Apr-24"
    assert [a["title"] for a in second["keyActivities"]] == ["Asset register"]
    assert none["keyActivities"] == []

    windowed = await gql(
        programmes_api,
        entities(
            "Programme", '{ keyActivities(dueFrom: "2025-06-01", dueTo: "2025-06-30") { title } }'
        ),
        refs=refs("Programme", [one, two]),
    )
    assert [p["keyActivities"] for p in windowed["data"]["_entities"]] == [
        [],
        [{"title": "Asset register"}],
    ]


async def test_milestones_query_filters(programmes_api: httpx.AsyncClient, today: date) -> None:
    programme = await make_programme(programmes_api)
    await milestone(programmes_api, programme, title="Late one", end_text="Dec 2024")
    await milestone(programmes_api, programme, title="Future one", end_text="Dec 2025")
    result = await gql(
        programmes_api,
        "{ overdue: milestones(overdue: true) { items { title overdue } } "
        "all: milestones { items { title } } }",
        VIEWER,
    )
    assert result["data"]["overdue"]["items"] == [{"title": "Late one", "overdue": True}]
    assert len(result["data"]["all"]["items"]) == 2
    bad = await gql(programmes_api, '{ milestones(status: "Purple") { items { id } } }')
    assert status_of(bad) == 422 and problems(bad)[0]["errors"][0]["field"] == "status"


async def test_create_and_update_milestone(programmes_api: httpx.AsyncClient, today: date) -> None:
    programme = await make_programme(programmes_api)
    created = await gql(
        programmes_api,
        """mutation($p: ID!) { createMilestone(programmeId: $p,
             input: {title: "Budget set", startText: "Apr-24", endText: "Feb 2025",
                     status: IN_PROGRESS, percentComplete: 30}) { id version status } }""",
        EDITOR,
        p=str(programme),
    )
    assert "errors" not in created, created
    milestone_id = created["data"]["createMilestone"]["id"]
    assert created["data"]["createMilestone"]["status"] == "IN_PROGRESS"
    update = """mutation($id: ID!, $v: Int!) { updateMilestone(id: $id, version: $v,
                  input: {status: COMPLETED}) { version status percentComplete actualDate } }"""
    denied = await gql(programmes_api, update, VIEWER, id=milestone_id, v=1)
    assert status_of(denied) == 403
    done = await gql(programmes_api, update, EDITOR, id=milestone_id, v=1)
    assert done["data"]["updateMilestone"] == {
        "version": 2,
        "status": "COMPLETED",
        "percentComplete": 100,
        "actualDate": today.isoformat(),
    }
    stale = await gql(programmes_api, update, EDITOR, id=milestone_id, v=1)
    assert status_of(stale) == 412
    bad = await gql(
        programmes_api,
        """mutation($id: ID!) { updateMilestone(id: $id, version: 2,
             input: {percentComplete: 101}) { id } }""",
        EDITOR,
        id=milestone_id,
    )
    assert status_of(bad) == 422
    assert problems(bad)[0]["errors"][0]["field"] == "percent_complete"
    feed = [c for c in await changes(programmes_api) if c["entity"] == "key_activity"]
    assert [(c["action"], c["actor"]) for c in feed] == [
        ("create", "test-editor"),
        ("update", "test-editor"),
    ]
    single = await gql(
        programmes_api, "query($id: ID!) { milestone(id: $id) { version } }", id=milestone_id
    )
    assert single["data"]["milestone"] == {"version": 2}


async def test_the_served_graph_shows_the_new_fields(
    programmes_api: httpx.AsyncClient, today: date
) -> None:
    """Programme.keyActivities, as the service serves it, carries the progress fields."""
    programme = await make_programme(programmes_api)
    await milestone(programmes_api, programme, status="At risk", end_text="Dec 2024")
    response = await programmes_api.post(
        "/graphql",
        headers=VIEWER,
        json={
            "query": "query($id: ID!) { programme(id: $id) { keyActivities { title status "
            "percentComplete overdue slippageDays workstreamId startText endText endDate } } }",
            "variables": {"id": str(programme)},
        },
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["programme"]["keyActivities"] == [
        {
            "title": "Set the 2025/26 budget",
            "status": "AT_RISK",
            "percentComplete": 0,
            "overdue": True,
            "slippageDays": None,
            "workstreamId": None,
            "startText": "Apr-24",
            "endText": "Dec 2024",
            "endDate": "2024-12-31",
        }
    ]
