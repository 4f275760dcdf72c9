"""Delivery confidence: a dated judgement with a reason and an author, kept as a full history
(from highlight reports and recorded on its own), and its five-to-three mapping."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.common import clock
from services.programmes.highlights.schemas import DCA
from tests.conftest import ADMIN, EDITOR, VIEWER
from tests.programmes.highlights.helpers import errors_field, programmes, submitted
from tests.support import changes


def test_five_points_map_to_three() -> None:
    assert [(d.value, d.rag) for d in DCA] == [
        ("Green", "Green"),
        ("Amber/Green", "Amber"),
        ("Amber", "Amber"),
        ("Amber/Red", "Red"),
        ("Red", "Red"),
    ]


async def test_history_newest_first(programmes_api: httpx.AsyncClient) -> None:
    first, second = await programmes(programmes_api, 2)
    url = f"/programmes/{first['id']}/dca"

    async def record(headers: dict[str, str] = EDITOR, **body: object) -> httpx.Response:
        return await programmes_api.post(url, headers=headers, json=body)

    gateway = await record(dca="Amber/Red", reason="Gateway review", assessed_on="2024-03-15")
    assert gateway.status_code == 201, gateway.text
    assert gateway.json() == {
        "id": gateway.json()["id"],
        "programme_id": first["id"],
        "assessed_on": "2024-03-15",
        "dca": "Amber/Red",
        "dca_rag": "Red",
        "reason": "Gateway review",
        "author": "test-editor",
        "highlight_report_id": None,
        "created_at": gateway.json()["created_at"],
    }
    board = await record(ADMIN, dca="amber green", reason="Board: recovery plan agreed")
    assert board.status_code == 201 and board.json()["assessed_on"] == clock.today().isoformat()
    report = await submitted(programmes_api, first["id"], dca="Amber", dca_reason="Monthly")
    older = await record(
        dca="Red", reason="Backfilled from the 2023 minutes", assessed_on="2023-11-30"
    )
    await submitted(programmes_api, second["id"], dca="Green")  # another programme's

    history = await programmes_api.get(url, headers=VIEWER)
    assert history.status_code == 200
    rows = history.json()
    # Newest judgement first; two the same day: the later recorded first.
    assert [(r["dca"], r["reason"], r["author"], r["highlight_report_id"]) for r in rows] == [
        ("Amber", "Monthly", "test-editor", report["id"]),
        ("Amber/Green", "Board: recovery plan agreed", "test-admin", None),
        ("Amber/Red", "Gateway review", "test-editor", None),
        ("Red", "Backfilled from the 2023 minutes", "test-editor", None),
    ]
    assert rows[-1]["id"] == older.json()["id"]
    assert [r["dca_rag"] for r in rows] == ["Amber", "Amber", "Red", "Red"]
    others = (await programmes_api.get(f"/programmes/{second['id']}/dca", headers=VIEWER)).json()
    assert [r["dca"] for r in others] == ["Green"]


async def test_rejected_assessments_write_nothing(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    url = f"/programmes/{programme['id']}/dca"
    before = len(await changes(programmes_api))
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    for body, field in (
        ({"dca": "Purple", "reason": "x"}, "dca"),
        ({"dca": "Amber/Amber", "reason": "x"}, "dca"),
        ({"dca": None, "reason": "x"}, "dca"),
        ({"reason": "x"}, "dca"),
        ({"dca": "Red"}, "reason"),
        ({"dca": "Red", "reason": "  "}, "reason"),
        ({"dca": "Red", "reason": "x", "assessed_on": tomorrow}, "assessed_on"),
        ({"dca": "Red", "reason": "x", "assessed_on": "soon"}, "assessed_on"),
        ({"dca": "Red", "reason": "x", "author": "someone else"}, "author"),
    ):
        response = await programmes_api.post(url, headers=EDITOR, json=body)
        assert response.status_code == 422, (body, response.text)
        assert errors_field(response) == field, (body, response.text)
    viewer = await programmes_api.post(url, headers=VIEWER, json={"dca": "Red", "reason": "x"})
    assert viewer.status_code == 403
    for method in ("get", "post"):
        unknown = await programmes_api.request(
            method, "/programmes/999/dca", headers=EDITOR, json={"dca": "Red", "reason": "x"}
        )
        assert unknown.status_code == 404 and errors_field(unknown) == "programme_id"
    assert len(await changes(programmes_api)) == before
    assert (await programmes_api.get(url, headers=VIEWER)).json() == []


async def test_recorded_assessments_are_audited(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    created = await programmes_api.post(
        f"/programmes/{programme['id']}/dca",
        headers=EDITOR,
        json={"dca": "Amber", "reason": "Quarterly review", "assessed_on": "2024-06-30"},
    )
    assert created.status_code == 201
    entry = (await changes(programmes_api))[-1]
    assert (entry["entity"], entry["action"], entry["actor"]) == (
        "dca_assessment",
        "create",
        "test-editor",
    )
    assert entry["entity_id"] == str(created.json()["id"])
    assert entry["after"]["dca"] == "Amber" and entry["after"]["assessed_on"] == "2024-06-30"
