"""Boards, escalations and decisions in the programmes subgraph."""

from __future__ import annotations

import httpx
from sqlalchemy import event

from tests.conftest import EDITOR
from tests.programmes.governance.helpers import chain, changes, programme
from tests.programmes.savings.helpers import gql

BOARD = """mutation($input: BoardCreateInput!) { createBoard(input: $input) { id code kind } }"""


async def board(api: httpx.AsyncClient, **fields: object) -> dict:
    data, errors = await gql(api, BOARD, role="editor", input=fields)
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
        kind="Directorate Board",
        directorate="Children and Families",
        escalatesToBoardId=tib["id"],
    )
    send = await programme(programmes_api)
    data, errors = await gql(
        programmes_api,
        """mutation($input: EscalationCreateInput!) {
          raiseEscalation(input: $input) { id status board { code escalatesTo { code } } }
        }""",
        role="editor",
        input={
            "kind": "programme_exception",
            "programmeId": str(send["id"]),
            "title": "Tolerance forecast to break",
            "reason": "Needs the TIB",
        },
    )
    assert errors == []
    raised = data["raiseEscalation"]  # type: ignore[index]
    assert raised["board"] == {"code": "DB-CF", "escalatesTo": {"code": "TIB"}}

    escalate = """mutation($id: ID!) { escalate(id: $id, note: "up") {
      version board { code } moves { note fromBoard { code } toBoard { code } } } }"""
    data, errors = await gql(programmes_api, escalate, role="editor", id=raised["id"])
    assert errors == []
    assert data["escalate"]["board"] == {"code": "TIB"}  # type: ignore[index]
    data, errors = await gql(programmes_api, escalate, role="editor", id=raised["id"])
    assert data["escalate"]["moves"] == [  # type: ignore[index]
        {"note": "up", "fromBoard": {"code": "DB-CF"}, "toBoard": {"code": "TIB"}},
        {"note": "up", "fromBoard": {"code": "TIB"}, "toBoard": {"code": "IRB"}},
    ]
    _, top = await gql(programmes_api, escalate, role="editor", id=raised["id"])
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
    _, denied = await gql(
        programmes_api, record, role="viewer", board=irb["id"], input=decision_input
    )
    assert denied[0]["status"] == 403
    data, errors = await gql(
        programmes_api, record, role="editor", board=irb["id"], input=decision_input
    )
    assert errors == []
    decision = data["recordBoardDecision"]  # type: ignore[index]
    assert decision["board"] == {"code": "IRB"}

    resolve = """mutation($id: ID!, $v: Int!, $input: EscalationUpdateInput!) {
      updateEscalation(id: $id, version: $v, input: $input) {
        status resolutionDecision { decision } } }"""
    _, missing = await gql(
        programmes_api, resolve, role="editor", id=raised["id"], v=3, input={"status": "resolved"}
    )
    assert missing[0]["errors"][0]["field"] == "resolution_decision_id"
    data, errors = await gql(
        programmes_api,
        resolve,
        role="editor",
        id=raised["id"],
        v=3,
        input={"status": "resolved", "resolutionDecisionId": decision["id"]},
    )
    assert errors == []
    assert data["updateEscalation"] == {  # type: ignore[index]
        "status": "resolved",
        "resolutionDecision": {"decision": "Commissioners agreed the recovery plan"},
    }

    data, errors = await gql(
        programmes_api,
        """query($board: ID!) {
          boards(kind: "TIB") { items { code escalatesTo { name } } }
          boardDecisions(boardId: $board) { items { decision escalationId } }
          escalations(status: "resolved") { items { id board { code } } }
          board(id: $board) { decisions { decidedBy } }
        }""",
        board=irb["id"],
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
    _, errors = await gql(
        programmes_api, BOARD, role="editor", input={"code": "X", "name": "x", "kind": "Cabinet"}
    )
    assert errors[0]["status"] == 422 and errors[0]["errors"][0]["field"] == "kind"
    _, errors = await gql(
        programmes_api,
        BOARD,
        role="editor",
        input={"code": "X", "name": "x", "kind": "Directorate Board"},
    )
    assert errors[0]["errors"][0]["field"] == "directorate"
    _, errors = await gql(
        programmes_api, BOARD, role="viewer", input={"code": "X", "name": "x", "kind": "TIB"}
    )
    assert errors[0]["status"] == 403
    _, errors = await gql(programmes_api, '{ escalations(status: "pending") { items { id } } }')
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
    for kind, ref in (("risk", "RISK-1"), ("issue", "ISSUE-7")):
        _, errors = await gql(
            programmes_api,
            raise_,
            role="editor",
            input={
                "kind": kind,
                "itemRef": ref,
                "programmeId": str(send["id"]),
                "boardId": tib["id"],
                "title": ref,
                "reason": "r",
            },
        )
        assert errors == []
    engine = programmes_api._transport.app.state.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "FROM escalation " in statement or statement.rstrip().endswith("FROM escalation"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        data, errors = await gql(
            programmes_api,
            """query($ids: [ID!]!) { programmeRollups(ids: $ids) {
              escalations { kind itemRef board { code } } } }""",
            ids=[str(send["id"]), "999"],
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert errors == []
    assert data["programmeRollups"] == [  # type: ignore[index]
        {
            "escalations": [
                {"kind": "risk", "itemRef": "RISK-1", "board": {"code": "TIB"}},
                {"kind": "issue", "itemRef": "ISSUE-7", "board": {"code": "TIB"}},
            ]
        },
        {"escalations": []},
    ]
    assert len(statements) == 1


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
    engine = programmes_api._transport.app.state.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM board_decision" in statement:
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        data, errors = await gql(
            programmes_api,
            "{ boards { items { code decisions(limit: 1) { decision } } } }",
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert errors == []
    assert data["boards"]["items"] == [  # type: ignore[index]
        {"code": "DB-CF", "decisions": [{"decision": "directorate second"}]},
        {"code": "IRB", "decisions": [{"decision": "irb second"}]},
        {"code": "TIB", "decisions": [{"decision": "tib second"}]},
    ]
    assert len(statements) == 1, statements
    _, bad = await gql(programmes_api, "{ boards { items { decisions(limit: 0) { id } } } }")
    assert bad[0]["errors"][0]["field"] == "limit"
