"""Boards: the plan's defaults, the shape rules, the chain, and optimistic concurrency."""

from __future__ import annotations

import httpx

from services.common.auth import Principal, Role
from services.common.db import Transaction
from services.programmes.governance.schemas import BoardKind
from services.programmes.governance.service import create_default_boards, default_boards
from tests.conftest import EDITOR, VIEWER
from tests.programmes.governance.helpers import chain
from tests.support import changes


def test_default_boards_are_the_plans_and_load_in_order() -> None:
    boards = default_boards()
    codes = [b.code for b in boards]
    assert len(codes) == len(set(codes))
    names = {b.name for b in boards}
    assert {
        "Transformation and Improvement Board",
        "Improvement and Recovery Board",
        "Audit Committee",
        "Overview and Scrutiny Co-ordinating Committee",
    } <= names
    by_code = {b.code: b for b in boards}
    for position, board in enumerate(boards):
        if board.escalates_to_code is not None:
            target = by_code[board.escalates_to_code]
            assert codes.index(target.code) < position  # created before whoever points at it
            assert target.kind.rank > board.kind.rank  # always upwards
    directorate_boards = [b for b in boards if b.kind is BoardKind.directorate_board]
    assert {b.directorate for b in directorate_boards} == {
        "Adult Social Care",
        "Children and Families",
        "City Housing",
        "City Operations",
        "Place, Prosperity and Sustainability",
    }
    assert all(b.escalates_to_code == "TIB" for b in directorate_boards)
    assert (by_code["TIB"].escalates_to_code, by_code["TIB"].chair) == ("IRB", "Chief Executive")
    assert by_code["IRB"].escalates_to_code == "AUDIT"


async def test_default_boards_load_through_the_service_once(
    programmes_api: httpx.AsyncClient,
) -> None:
    engine = programmes_api._transport.app.state.engine  # type: ignore[attr-defined]
    loader = Principal(subject="loader", roles=frozenset({Role.admin}))
    async with Transaction(engine) as session:
        created = await create_default_boards(session=session, actor=loader)
    assert len(created) == len(default_boards())
    async with Transaction(engine) as session:
        assert await create_default_boards(session=session, actor=loader) == []
    listed = (await programmes_api.get("/boards", headers=VIEWER)).json()
    assert len(listed) == len(default_boards())
    cf = next(b for b in listed if b["directorate"] == "Children and Families")
    climb = (await programmes_api.get(f"/boards/{cf['id']}/chain", headers=VIEWER)).json()
    assert [b["code"] for b in climb] == ["DB-CF", "TIB", "IRB", "AUDIT"]
    feed = await changes(programmes_api)
    assert len(feed) == len(default_boards()) and {c["actor"] for c in feed} == {"loader"}


async def test_create_list_and_read(programmes_api: httpx.AsyncClient) -> None:
    boards = await chain(programmes_api)
    got = await programmes_api.get(f"/boards/{boards['directorate']['id']}", headers=VIEWER)
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    body = got.json()
    assert (body["kind"], body["directorate"], body["escalates_to_board_id"]) == (
        "Directorate Board",
        "Children and Families",
        boards["tib"]["id"],
    )
    only = await programmes_api.get("/boards", headers=VIEWER, params={"kind": "TIB"})
    assert [b["code"] for b in only.json()] == ["TIB"]
    by_directorate = await programmes_api.get(
        "/boards", headers=VIEWER, params={"directorate": "children and families"}
    )
    assert [b["code"] for b in by_directorate.json()] == ["DB-CF"]
    missing = await programmes_api.get("/boards/999", headers=VIEWER)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "board_id"
    feed = await changes(programmes_api)
    assert [(c["entity"], c["action"]) for c in feed] == [("board", "create")] * 3


async def test_shape_rules_name_the_field_and_write_nothing(
    programmes_api: httpx.AsyncClient,
) -> None:
    boards = await chain(programmes_api)
    before = await changes(programmes_api)
    cases = [
        ({"code": "DB-X", "name": "x", "kind": "Directorate Board"}, 422, "directorate"),
        ({"code": "PB-X", "name": "x", "kind": "Programme Board"}, 422, "programme_id"),
        (
            {"code": "PB-X", "name": "x", "kind": "Programme Board", "programme_id": 999},
            422,
            "programme_id",
        ),
        ({"code": "C-X", "name": "x", "kind": "Committee", "programme_id": 1}, 422, "programme_id"),
        ({"code": "X", "name": "x", "kind": "Cabinet"}, 422, "kind"),
        (
            {"code": "C-X", "name": "x", "kind": "TIB", "escalates_to_board_id": 999},
            422,
            "escalates_to_board_id",
        ),
        (  # downwards: an IRB does not escalate to a Directorate Board
            {
                "code": "IRB-2",
                "name": "x",
                "kind": "IRB",
                "escalates_to_board_id": boards["directorate"]["id"],
            },
            422,
            "escalates_to_board_id",
        ),
        (  # sideways
            {
                "code": "TIB-2",
                "name": "x",
                "kind": "TIB",
                "escalates_to_board_id": boards["tib"]["id"],
            },
            422,
            "escalates_to_board_id",
        ),
        (
            {
                "code": "DB-CF2",
                "name": "x",
                "kind": "Directorate Board",
                "directorate": "CHILDREN AND FAMILIES",
            },
            409,
            "directorate",
        ),
        ({"code": "TIB", "name": "x", "kind": "TIB"}, 409, "code"),
    ]
    for body, status, field in cases:
        response = await programmes_api.post("/boards", headers=EDITOR, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, body
    assert await changes(programmes_api) == before
    assert len((await programmes_api.get("/boards", headers=VIEWER)).json()) == 3


async def test_patch_board(programmes_api: httpx.AsyncClient) -> None:
    boards = await chain(programmes_api)
    url = f"/boards/{boards['tib']['id']}"
    blind = await programmes_api.patch(url, headers=EDITOR, json={"chair": "Interim CEO"})
    assert blind.status_code == 428
    ok = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"chair": "Interim Chief Executive"}
    )
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    stale = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"chair": "Someone else"}
    )
    assert stale.status_code == 412
    before = await changes(programmes_api)
    # the Directorate Board escalates to the TIB: the TIB cannot become a Directorate Board
    demoted = await programmes_api.patch(
        url,
        headers={**EDITOR, "If-Match": '"2"'},
        json={"kind": "Directorate Board", "directorate": "City Housing"},
    )
    assert demoted.status_code == 422 and demoted.json()["errors"][0]["field"] == "kind"
    # nor point at itself
    loop = await programmes_api.patch(
        url,
        headers={**EDITOR, "If-Match": '"2"'},
        json={"escalates_to_board_id": boards["tib"]["id"]},
    )
    assert loop.status_code == 422
    assert loop.json()["errors"][0]["field"] == "escalates_to_board_id"
    viewer = await programmes_api.patch(
        url, headers={**VIEWER, "If-Match": '"2"'}, json={"chair": "x"}
    )
    assert viewer.status_code == 403
    assert await changes(programmes_api) == before
    feed_last = before[-1]
    assert (feed_last["before"]["chair"], feed_last["after"]["chair"]) == (
        "Chief Executive",
        "Interim Chief Executive",
    )


async def test_viewer_cannot_create(programmes_api: httpx.AsyncClient) -> None:
    response = await programmes_api.post(
        "/boards", headers=VIEWER, json={"code": "TIB", "name": "x", "kind": "TIB"}
    )
    assert response.status_code == 403
    assert await changes(programmes_api) == []
