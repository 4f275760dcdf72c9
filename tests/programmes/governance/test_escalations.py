"""Escalations up the chain, board decision logs, and resolution by decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from services.common import clock
from tests.conftest import ADMIN, EDITOR, VIEWER
from tests.programmes.governance.helpers import (
    chain,
    make_board,
    programme,
    raise_escalation,
)
from tests.support import changes


async def test_escalation_climbs_to_tib_then_irb_then_409(
    programmes_api: httpx.AsyncClient,
) -> None:
    boards = await chain(programmes_api)
    send = await programme(programmes_api)
    raised = await raise_escalation(programmes_api, programme_id=send["id"])
    # raised at the Directorate Board of the programme's directorate, by the caller
    assert raised["board_id"] == boards["directorate"]["id"]
    assert (raised["status"], raised["raised_by"], raised["moves"]) == ("open", "test-editor", [])
    url = f"/escalations/{raised['id']}/escalate"

    to_tib = await programmes_api.post(
        url, headers=EDITOR, json={"note": "Beyond the directorate's delegated budget"}
    )
    assert to_tib.status_code == 200, to_tib.text
    assert to_tib.json()["board_id"] == boards["tib"]["id"] and to_tib.headers["etag"] == '"2"'
    to_irb = await programmes_api.post(url, headers={**ADMIN, "If-Match": '"2"'})
    assert to_irb.status_code == 200 and to_irb.json()["board_id"] == boards["irb"]["id"]

    before = await changes(programmes_api)
    top = await programmes_api.post(url, headers=EDITOR)
    assert top.status_code == 409 and top.json()["errors"][0]["field"] == "board_id"
    assert "top of its chain" in top.json()["detail"]
    assert await changes(programmes_api) == before

    got = (await programmes_api.get(f"/escalations/{raised['id']}", headers=VIEWER)).json()
    assert got["version"] == 3 and got["board_id"] == boards["irb"]["id"]
    assert [
        (m["from_board_id"], m["to_board_id"], m["moved_by"], m["note"]) for m in got["moves"]
    ] == [
        (
            boards["directorate"]["id"],
            boards["tib"]["id"],
            "test-editor",
            "Beyond the directorate's delegated budget",
        ),
        (boards["tib"]["id"], boards["irb"]["id"], "test-admin", None),
    ]
    assert got["moves"][0]["moved_at"] <= got["moves"][1]["moved_at"]
    feed = [(c["entity"], c["action"]) for c in before]
    assert feed[-5:] == [
        ("escalation", "create"),
        ("escalation", "update"),
        ("escalation_move", "create"),
        ("escalation", "update"),
        ("escalation_move", "create"),
    ]
    assert (before[-2]["before"]["board_id"], before[-2]["after"]["board_id"]) == (
        boards["tib"]["id"],
        boards["irb"]["id"],
    )


async def test_escalate_checks_if_match_when_sent(programmes_api: httpx.AsyncClient) -> None:
    await chain(programmes_api)
    raised = await raise_escalation(
        programmes_api, programme_id=(await programme(programmes_api))["id"]
    )
    stale = await programmes_api.post(
        f"/escalations/{raised['id']}/escalate", headers={**EDITOR, "If-Match": '"7"'}
    )
    assert stale.status_code == 412
    viewer = await programmes_api.post(f"/escalations/{raised['id']}/escalate", headers=VIEWER)
    assert viewer.status_code == 403
    missing = await programmes_api.post("/escalations/999/escalate", headers=EDITOR)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "escalation_id"
    got = (await programmes_api.get(f"/escalations/{raised['id']}", headers=VIEWER)).json()
    assert got["moves"] == [] and got["version"] == 1


async def test_raising_validates_and_writes_nothing_when_rejected(
    programmes_api: httpx.AsyncClient,
) -> None:
    boards = await chain(programmes_api)
    send = await programme(programmes_api)
    before = await changes(programmes_api)
    cases = [
        ({"kind": "risk", "board_id": boards["tib"]["id"]}, "item_ref"),
        ({"kind": "issue", "item_ref": "", "board_id": boards["tib"]["id"]}, "item_ref"),
        ({"kind": "programme_exception", "board_id": boards["tib"]["id"]}, "programme_id"),
        ({"kind": "programme_exception", "programme_id": 999}, "programme_id"),
        ({"kind": "risk", "item_ref": "R-12", "board_id": 999}, "board_id"),
        ({"kind": "risk", "item_ref": "R-12"}, "board_id"),  # no programme, no board
        ({"kind": "rumour", "board_id": boards["tib"]["id"]}, "kind"),
        (
            {"kind": "risk", "item_ref": "R-12", "board_id": boards["tib"]["id"], "title": ""},
            "title",
        ),
    ]
    for fields, field in cases:
        body = {"title": "t", "reason": "r", **fields}
        response = await programmes_api.post("/escalations", headers=EDITOR, json=body)
        assert response.status_code == 422, (fields, response.text)
        assert response.json()["errors"][0]["field"] == field, fields
    viewer = await programmes_api.post(
        "/escalations",
        headers=VIEWER,
        json={
            "kind": "programme_exception",
            "programme_id": send["id"],
            "title": "t",
            "reason": "r",
        },
    )
    assert viewer.status_code == 403
    assert await changes(programmes_api) == before
    assert (await programmes_api.get("/escalations", headers=VIEWER)).json()["total"] == 0


async def test_programme_without_a_board_needs_one_named(programmes_api: httpx.AsyncClient) -> None:
    boards = await chain(programmes_api)
    from tests.programmes.test_api import make_portfolio, make_programme

    portfolio = await make_portfolio(programmes_api, code="IRP-X")
    loose = await make_programme(programmes_api, portfolio["id"], "IRP-98")  # no directorate
    response = await programmes_api.post(
        "/escalations",
        headers=EDITOR,
        json={
            "kind": "programme_exception",
            "programme_id": loose["id"],
            "title": "t",
            "reason": "r",
        },
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "board_id"
    risk = await raise_escalation(
        programmes_api,
        kind="risk",
        item_ref="RISK-4",
        programme_id=loose["id"],
        board_id=boards["tib"]["id"],
        raised_by="Chief Operating Officer",
    )
    assert (risk["board_id"], risk["raised_by"], risk["item_ref"]) == (
        boards["tib"]["id"],
        "Chief Operating Officer",
        "RISK-4",
    )


async def test_list_filters(programmes_api: httpx.AsyncClient) -> None:
    boards = await chain(programmes_api)
    send = await programme(programmes_api)
    first = await raise_escalation(programmes_api, programme_id=send["id"])
    await raise_escalation(
        programmes_api, kind="risk", item_ref="RISK-1", board_id=boards["tib"]["id"], title="Risk"
    )
    await programmes_api.post(f"/escalations/{first['id']}/escalate", headers=EDITOR)

    async def ids(**params: Any) -> list[int]:
        response = await programmes_api.get("/escalations", headers=VIEWER, params=params)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert len(await ids()) == 2
    assert len(await ids(board_id=boards["tib"]["id"])) == 2
    assert await ids(board_id=boards["directorate"]["id"]) == []
    assert await ids(programme_id=send["id"]) == [first["id"]]
    assert len(await ids(kind="risk", item_ref="RISK-1")) == 1
    assert len(await ids(status="open")) == 2
    assert await ids(status="closed") == []
    bad = await programmes_api.get("/escalations", headers=VIEWER, params={"status": "pending"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


async def test_decision_log(programmes_api: httpx.AsyncClient) -> None:
    boards = await chain(programmes_api)
    escalation = await raise_escalation(
        programmes_api, programme_id=(await programme(programmes_api))["id"]
    )
    tib_log = f"/boards/{boards['tib']['id']}/decisions"
    decision = {
        "decided_on": "2024-07-03",
        "decision": "Agreed interim funding for two caseworkers",
        "decided_by": "Transformation and Improvement Board",
        "escalation_id": escalation["id"],
        "reference": "TIB/2024/07/4",
    }
    before = await changes(programmes_api)
    # it has not come before the TIB yet
    early = await programmes_api.post(tib_log, headers=EDITOR, json=decision)
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "escalation_id"
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    for body, status, field in (
        ({**decision, "escalation_id": 999}, 422, "escalation_id"),
        ({**decision, "escalation_id": None, "decided_on": tomorrow}, 422, "decided_on"),
        ({**decision, "escalation_id": None, "decision": ""}, 422, "decision"),
        ({**decision, "escalation_id": None, "decided_on": "3 July"}, 422, "decided_on"),
    ):
        response = await programmes_api.post(tib_log, headers=EDITOR, json=body)
        assert response.status_code == status and response.json()["errors"][0]["field"] == field
    unknown_board = await programmes_api.post(
        "/boards/999/decisions", headers=EDITOR, json={**decision, "escalation_id": None}
    )
    assert unknown_board.status_code == 404
    viewer = await programmes_api.post(
        tib_log, headers=VIEWER, json={**decision, "escalation_id": None}
    )
    assert viewer.status_code == 403
    assert await changes(programmes_api) == before

    await programmes_api.post(f"/escalations/{escalation['id']}/escalate", headers=EDITOR)
    logged = await programmes_api.post(tib_log, headers=EDITOR, json=decision)
    assert logged.status_code == 201, logged.text
    assert (logged.json()["board_id"], logged.json()["recorded_by"]) == (
        boards["tib"]["id"],
        "test-editor",
    )
    older = await programmes_api.post(
        tib_log,
        headers=ADMIN,
        json={
            "decided_on": "2024-06-05",
            "decision": "Noted the assurance pack",
            "decided_by": "TIB",
        },
    )
    assert older.status_code == 201
    # the Directorate Board it came from may still log its own decision about it
    directorate_log = f"/boards/{boards['directorate']['id']}/decisions"
    earlier = await programmes_api.post(
        directorate_log,
        headers=EDITOR,
        json={**decision, "decided_on": "2024-06-20", "decided_by": "DB-CF", "reference": None},
    )
    assert earlier.status_code == 201

    log = (await programmes_api.get(tib_log, headers=VIEWER)).json()
    assert log["total"] == 2
    assert [d["decided_on"] for d in log["items"]] == ["2024-07-03", "2024-06-05"]  # newest first
    about = await programmes_api.get(
        tib_log, headers=VIEWER, params={"escalation_id": escalation["id"]}
    )
    assert [d["reference"] for d in about.json()["items"]] == ["TIB/2024/07/4"]
    feed = await changes(programmes_api)
    assert [c["entity"] for c in feed[-3:]] == ["board_decision"] * 3
    missing = await programmes_api.get("/boards/999/decisions", headers=VIEWER)
    assert missing.status_code == 404


async def test_resolving_needs_the_current_boards_decision(
    programmes_api: httpx.AsyncClient,
) -> None:
    boards = await chain(programmes_api)
    send = await programme(programmes_api)
    escalation = await raise_escalation(programmes_api, programme_id=send["id"])
    other = await raise_escalation(programmes_api, programme_id=send["id"], title="Another")
    url = f"/escalations/{escalation['id']}"
    db_log = f"/boards/{boards['directorate']['id']}/decisions"
    tib_log = f"/boards/{boards['tib']['id']}/decisions"

    async def decide(log: str, escalation_id: int | None, text: str) -> int:
        body = {
            "decided_on": "2024-07-03",
            "decision": text,
            "decided_by": "the board",
            "escalation_id": escalation_id,
        }
        response = await programmes_api.post(log, headers=EDITOR, json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    at_directorate = await decide(db_log, escalation["id"], "Escalate to TIB")
    about_other = await decide(db_log, other["id"], "Resolved locally")
    unlinked = await decide(db_log, None, "Noted")
    await programmes_api.post(f"{url}/escalate", headers=EDITOR)  # now before the TIB, version 2
    before = await changes(programmes_api)
    v2 = {**EDITOR, "If-Match": '"2"'}
    for body in (
        {"status": "resolved"},
        {"status": "resolved", "resolution_decision_id": 999},
        {"status": "resolved", "resolution_decision_id": about_other},
        {"status": "resolved", "resolution_decision_id": unlinked},
        {"status": "resolved", "resolution_decision_id": at_directorate},  # not the TIB's
        {"resolution_decision_id": at_directorate},  # a resolution without resolving
    ):
        response = await programmes_api.patch(url, headers=v2, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == "resolution_decision_id", body
    bad_status = await programmes_api.patch(url, headers=v2, json={"status": "parked"})
    assert bad_status.status_code == 422 and bad_status.json()["errors"][0]["field"] == "status"
    blind = await programmes_api.patch(url, headers=EDITOR, json={"status": "closed"})
    assert blind.status_code == 428
    assert await changes(programmes_api) == before

    by_tib = await decide(tib_log, escalation["id"], "Funding agreed; resolved")
    resolved = await programmes_api.patch(
        url,
        headers=v2,
        json={
            "status": "resolved",
            "resolution_decision_id": by_tib,
            "resolution_note": "Caseworkers funded",
        },
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["resolution_decision_id"]) == (
        "resolved",
        by_tib,
    )
    assert resolved.headers["etag"] == '"3"'
    not_open = await programmes_api.post(f"{url}/escalate", headers=EDITOR)
    assert not_open.status_code == 409 and not_open.json()["errors"][0]["field"] == "status"

    reopened = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"3"'}, json={"status": "open"}
    )
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["resolution_decision_id"]) == ("open", None)
    closed = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"4"'}, json={"status": "closed"}
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    final = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"5"'}, json={"title": "Edited"}
    )
    assert final.status_code == 409 and final.json()["errors"][0]["field"] == "status"
    feed = await changes(programmes_api)
    last = feed[-1]
    assert (last["entity"], last["before"]["status"], last["after"]["status"]) == (
        "escalation",
        "open",
        "closed",
    )


async def test_the_programmes_own_board_comes_first(programmes_api: httpx.AsyncClient) -> None:
    boards = await chain(programmes_api)
    send = await programme(programmes_api)
    programme_board = await make_board(
        programmes_api,
        "PB-SEND",
        "SEND Improvement Programme Board",
        "Programme Board",
        programme_id=send["id"],
        escalates_to_board_id=boards["directorate"]["id"],
    )
    assigned = await programmes_api.patch(
        f"/programmes/{send['id']}",
        headers={**EDITOR, "If-Match": f'"{send["version"]}"'},
        json={"board_id": programme_board["id"]},
    )
    assert assigned.status_code == 200, assigned.text
    raised = await raise_escalation(programmes_api, programme_id=send["id"])
    assert raised["board_id"] == programme_board["id"]
    climbed = await programmes_api.post(f"/escalations/{raised['id']}/escalate", headers=EDITOR)
    assert climbed.json()["board_id"] == boards["directorate"]["id"]
    path = (
        await programmes_api.get(f"/boards/{programme_board['id']}/chain", headers=VIEWER)
    ).json()
    assert [b["code"] for b in path] == ["PB-SEND", "DB-CF", "TIB", "IRB"]


async def test_raised_on_is_the_business_date_default_today_never_future(
    programmes_api: httpx.AsyncClient, monkeypatch: Any
) -> None:
    """A month recorded late keeps its own dates: raised_on is what a pack goes by, today (the
    council's) when not given, refused in the future or before any plausible year."""
    monkeypatch.setattr(clock, "today", lambda: dt.date(2025, 4, 2))
    await chain(programmes_api)
    send = await programme(programmes_api)
    today = await raise_escalation(programmes_api, programme_id=send["id"])
    assert today["raised_on"] == "2025-04-02"
    back = await raise_escalation(programmes_api, programme_id=send["id"], raised_on="2025-03-05")
    assert back["raised_on"] == "2025-03-05"
    before = await changes(programmes_api)
    for day in ("2025-04-03", "1999-12-31", "2025-02-30"):
        response = await programmes_api.post(
            "/escalations",
            headers=EDITOR,
            json={
                "kind": "programme_exception",
                "programme_id": send["id"],
                "title": "t",
                "reason": "r",
                "raised_on": day,
            },
        )
        assert response.status_code == 422, (day, response.text)
        assert response.json()["errors"][0]["field"] == "raised_on", day
    # corrected later, under the same rules
    url = f"/escalations/{back['id']}"
    future = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"raised_on": "2025-05-01"}
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "raised_on"
    empty = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"raised_on": None}
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "raised_on"
    assert await changes(programmes_api) == before
    fixed = await programmes_api.patch(
        url, headers={**EDITOR, "If-Match": '"1"'}, json={"raised_on": "2025-03-04"}
    )
    assert fixed.status_code == 200 and fixed.json()["raised_on"] == "2025-03-04"
    listed = await programmes_api.get("/escalations", headers=VIEWER, params={"sort": "raised_on"})
    assert [e["raised_on"] for e in listed.json()["items"]] == ["2025-03-04", "2025-04-02"]
