"""Boards, escalations and decisions in the programmes subgraph."""

from __future__ import annotations

import httpx

from tests.conftest import EDITOR, VIEWER
from tests.programmes.governance.helpers import chain, programme
from tests.programmes.test_api import make_programme
from tests.support import changes
from tests.support.graphql import data_and_problems, entities, gql, refs
from tests.support.statements import statements

BOARD = """mutation($input: BoardCreateInput!) { createBoard(input: $input) { id code kind } }"""


async def board(api: httpx.AsyncClient, **fields: object) -> dict:
    data, errors = data_and_problems(await gql(api, BOARD, headers=EDITOR, input=fields))
    assert errors == [], errors
    return data["createBoard"]  # type: ignore[index]


async def test_escalate_decide_and_resolve_through_graphql(
    programmes_api: httpx.AsyncClient,
) -> None:
    irb = await board(programmes_api, code="IRB", name="Improvement and Recovery Board", kind="IRB")
    tib = await board(
        programmes_api,
        code="TIB",
        name="Transformation and Improvement Board",
        kind="TIB",
        escalatesToBoardId=irb["id"],
    )
    await board(
        programmes_api,
        code="DB-CF",
        name="Children and Families Directorate Board",
        kind="DIRECTORATE_BOARD",
        directorate="Children and Families",
        escalatesToBoardId=tib["id"],
    )
    send = await programme(programmes_api)
    data, errors = data_and_problems(
        await gql(
            programmes_api,
            """mutation($input: EscalationCreateInput!) {
          raiseEscalation(input: $input) { id status board { code escalatesTo { code } } }
        }""",
            headers=EDITOR,
            input={
                "kind": "PROGRAMME_EXCEPTION",
                "programmeId": str(send["id"]),
                "title": "Tolerance forecast to break",
                "reason": "Needs the TIB",
            },
        )
    )
    assert errors == []
    raised = data["raiseEscalation"]  # type: ignore[index]
    assert raised["board"] == {"code": "DB-CF", "escalatesTo": {"code": "TIB"}}

    escalate = """mutation($id: ID!) { escalate(id: $id, note: "up") {
      version board { code } moves { note fromBoard { code } toBoard { code } } } }"""
    data, errors = data_and_problems(
        await gql(programmes_api, escalate, headers=EDITOR, id=raised["id"])
    )
    assert errors == []
    assert data["escalate"]["board"] == {"code": "TIB"}  # type: ignore[index]
    data, errors = data_and_problems(
        await gql(programmes_api, escalate, headers=EDITOR, id=raised["id"])
    )
    assert data["escalate"]["moves"] == [  # type: ignore[index]
        {"note": "up", "fromBoard": {"code": "DB-CF"}, "toBoard": {"code": "TIB"}},
        {"note": "up", "fromBoard": {"code": "TIB"}, "toBoard": {"code": "IRB"}},
    ]
    _, top = data_and_problems(await gql(programmes_api, escalate, headers=EDITOR, id=raised["id"]))
    assert top[0]["status"] == 409 and top[0]["errors"][0]["field"] == "board_id"

    record = """mutation($board: ID!, $input: BoardDecisionInput!) {
      recordBoardDecision(boardId: $board, input: $input) { id decidedOn board { code } }
    }"""
    decision_input = {
        "decidedOn": "2024-07-10",
        "decision": "Commissioners agreed the recovery plan",
        "decidedBy": "Improvement and Recovery Board",
        "escalationId": raised["id"],
    }
    _, denied = data_and_problems(
        await gql(programmes_api, record, headers=VIEWER, board=irb["id"], input=decision_input)
    )
    assert denied[0]["status"] == 403
    data, errors = data_and_problems(
        await gql(programmes_api, record, headers=EDITOR, board=irb["id"], input=decision_input)
    )
    assert errors == []
    decision = data["recordBoardDecision"]  # type: ignore[index]
    assert decision["board"] == {"code": "IRB"}

    resolve = """mutation($id: ID!, $v: Int!, $input: EscalationUpdateInput!) {
      updateEscalation(id: $id, version: $v, input: $input) {
        status resolutionDecision { decision } } }"""
    _, missing = data_and_problems(
        await gql(
            programmes_api,
            resolve,
            headers=EDITOR,
            id=raised["id"],
            v=3,
            input={"status": "RESOLVED"},
        )
    )
    assert missing[0]["errors"][0]["field"] == "resolution_decision_id"
    data, errors = data_and_problems(
        await gql(
            programmes_api,
            resolve,
            headers=EDITOR,
            id=raised["id"],
            v=3,
            input={"status": "RESOLVED", "resolutionDecisionId": decision["id"]},
        )
    )
    assert errors == []
    assert data["updateEscalation"] == {  # type: ignore[index]
        "status": "RESOLVED",
        "resolutionDecision": {"decision": "Commissioners agreed the recovery plan"},
    }

    data, errors = data_and_problems(
        await gql(
            programmes_api,
            """query($board: ID!) {
          boards(kind: TIB) { items { code escalatesTo { name } } }
          boardDecisions(boardId: $board) { items { decision escalationId } }
          escalations(status: RESOLVED) { items { id board { code } } }
          board(id: $board) { decisions { decidedBy } }
        }""",
            board=irb["id"],
        )
    )
    assert errors == []
    assert data == {
        "boards": {
            "items": [{"code": "TIB", "escalatesTo": {"name": "Improvement and Recovery Board"}}]
        },
        "boardDecisions": {
            "items": [
                {"decision": "Commissioners agreed the recovery plan", "escalationId": raised["id"]}
            ]
        },
        "escalations": {"items": [{"id": raised["id"], "board": {"code": "IRB"}}]},
        "board": {"decisions": [{"decidedBy": "Improvement and Recovery Board"}]},
    }


async def test_bad_input_names_the_field_and_writes_nothing(
    programmes_api: httpx.AsyncClient,
) -> None:
    before = await changes(programmes_api)
    _, errors = data_and_problems(
        await gql(
            programmes_api,
            BOARD,
            headers=EDITOR,
            input={"code": "X", "name": "x", "kind": "Cabinet"},
        )
    )
    assert errors[0]["status"] == 422 and errors[0]["errors"][0]["field"] == "kind"
    _, errors = data_and_problems(
        await gql(
            programmes_api,
            BOARD,
            headers=EDITOR,
            input={"code": "X", "name": "x", "kind": "DIRECTORATE_BOARD"},
        )
    )
    assert errors[0]["errors"][0]["field"] == "directorate"
    _, errors = data_and_problems(
        await gql(
            programmes_api, BOARD, headers=VIEWER, input={"code": "X", "name": "x", "kind": "TIB"}
        )
    )
    assert errors[0]["status"] == 403
    _, errors = data_and_problems(
        await gql(programmes_api, '{ escalations(status: "pending") { items { id } } }')
    )
    assert errors[0]["errors"][0]["field"] == "status"
    assert await changes(programmes_api) == before


async def test_escalations_for_loads_every_programme_in_one_query(
    programmes_api: httpx.AsyncClient,
) -> None:
    tib = await board(
        programmes_api, code="TIB", name="Transformation and Improvement Board", kind="TIB"
    )
    send = await programme(programmes_api)
    raise_ = (
        """mutation($input: EscalationCreateInput!) { raiseEscalation(input: $input) { id } }"""
    )
    for kind, ref in (("RISK", "RISK-1"), ("ISSUE", "ISSUE-7")):
        _, errors = data_and_problems(
            await gql(
                programmes_api,
                raise_,
                headers=EDITOR,
                input={
                    "kind": kind,
                    "itemRef": ref,
                    "programmeId": str(send["id"]),
                    "boardId": tib["id"],
                    "title": ref,
                    "reason": "r",
                },
            )
        )
        assert errors == []
    quiet = await make_programme(programmes_api, send["portfolio_id"], "IRP-10")
    # The real Programme type, reached as the gateway reaches it: many programmes in one request.
    with statements(programmes_api, "escalation") as selects:
        data, errors = data_and_problems(
            await gql(
                programmes_api,
                entities("Programme", "{ escalations { kind itemRef board { code } } }"),
                refs=refs("Programme", [send["id"], quiet["id"]]),
            )
        )
    assert errors == []
    assert data["_entities"] == [
        {
            "escalations": [
                {"kind": "RISK", "itemRef": "RISK-1", "board": {"code": "TIB"}},
                {"kind": "ISSUE", "itemRef": "ISSUE-7", "board": {"code": "TIB"}},
            ]
        },
        {"escalations": []},
    ]
    assert len(selects) == 1


async def test_board_decisions_load_in_one_query_for_every_board(
    programmes_api: httpx.AsyncClient,
) -> None:
    boards = await chain(programmes_api)
    for key, board_row in boards.items():
        for day, text in (("2024-07-01", f"{key} first"), ("2024-07-02", f"{key} second")):
            logged = await programmes_api.post(
                f"/boards/{board_row['id']}/decisions",
                headers=EDITOR,
                json={"decided_on": day, "decision": text, "decided_by": board_row["name"]},
            )
            assert logged.status_code == 201, logged.text
    with statements(programmes_api, "board_decision") as selects:
        data, errors = data_and_problems(
            await gql(
                programmes_api, "{ boards { items { code decisions(limit: 1) { decision } } } }"
            )
        )
    assert errors == []
    assert data["boards"]["items"] == [
        {"code": "DB-CF", "decisions": [{"decision": "directorate second"}]},
        {"code": "IRB", "decisions": [{"decision": "irb second"}]},
        {"code": "TIB", "decisions": [{"decision": "tib second"}]},
    ]
    assert len(selects) == 1, selects
    _, bad = data_and_problems(
        await gql(programmes_api, "{ boards { items { decisions(limit: 0) { id } } } }")
    )
    assert bad[0]["errors"][0]["field"] == "limit"


async def test_raised_on_through_graphql_names_the_field(
    programmes_api: httpx.AsyncClient,
) -> None:
    await chain(programmes_api)
    send = await programme(programmes_api)
    raise_it = """mutation($input: EscalationCreateInput!) {
      raiseEscalation(input: $input) { id raisedOn }
    }"""
    body = {
        "kind": "PROGRAMME_EXCEPTION",
        "programmeId": str(send["id"]),
        "title": "Tolerance forecast to break",
        "reason": "Needs the TIB",
    }
    before = await changes(programmes_api)
    for day in ("2199-01-01", "1999-12-31"):
        _, errors = data_and_problems(
            await gql(programmes_api, raise_it, headers=EDITOR, input={**body, "raisedOn": day})
        )
        assert errors[0]["status"] == 422 and errors[0]["errors"][0]["field"] == "raised_on"
    assert await changes(programmes_api) == before
    data, errors = data_and_problems(
        await gql(
            programmes_api, raise_it, headers=EDITOR, input={**body, "raisedOn": "2025-03-05"}
        )
    )
    assert errors == [] and data["raiseEscalation"]["raisedOn"] == "2025-03-05"  # type: ignore[index]
