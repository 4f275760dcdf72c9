"""Savings in the programmes subgraph: queries, totals, mutations, and the Programme helper."""

from __future__ import annotations

import httpx

from tests.conftest import EDITOR, VIEWER
from tests.programmes.savings.helpers import make_initiative, plan
from tests.support import changes
from tests.support.graphql import data_and_problems, entities, gql, refs
from tests.support.statements import statements

CREATE = """mutation($input: SavingsInitiativeCreateInput!) {
  createSavingsInitiative(input: $input) {
    id code target forecast delivered gap rag late lateReason directorate version
  }
}"""

UPDATE = """mutation($id: ID!, $v: Int!, $input: SavingsInitiativeUpdateInput!) {
  updateSavingsInitiative(id: $id, version: $v, input: $input) { delivered version }
}"""


async def test_create_update_and_query(programmes_api: httpx.AsyncClient) -> None:
    setup = await plan(programmes_api)
    children = setup["programmes"]["children"]
    data, errors = data_and_problems(
        await gql(
            programmes_api,
            CREATE,
            headers=EDITOR,
            input={
                "programmeId": str(children["id"]),
                "code": "CF-002",
                "title": "Headcount reductions in Children and Families",
                "financialYear": "2024/25",
                "target": "1200000.00",
                "forecast": "1000000",
                "delivered": None,
            },
        )
    )
    assert errors == []
    created = data["createSavingsInitiative"]  # type: ignore[index]
    assert {k: created[k] for k in ("target", "forecast", "delivered", "gap", "rag")} == {
        "target": "1200000.00",
        "forecast": "1000000.00",
        "delivered": "0.00",
        "gap": "200000.00",
        "rag": "RED",  # 83% of target
    }
    assert (created["late"], created["lateReason"], created["directorate"]) == (
        True,
        "forecast below target",
        "Children and Families",
    )

    data, errors = data_and_problems(
        await gql(
            programmes_api,
            UPDATE,
            headers=EDITOR,
            id=created["id"],
            v=1,
            input={"delivered": "5.5"},
        )
    )
    assert errors == [] and data["updateSavingsInitiative"] == {"delivered": "5.50", "version": 2}  # type: ignore[index]
    _, stale = data_and_problems(
        await gql(
            programmes_api, UPDATE, headers=EDITOR, id=created["id"], v=1, input={"delivered": "6"}
        )
    )
    assert stale[0]["status"] == 412

    query = """query($fy: String, $rag: SavingsRag, $id: ID!) {
      savingsInitiatives(financialYear: $fy, rag: $rag) { items { code rag programmeId } }
      savingsInitiative(id: $id) { title delivered }
    }"""
    data, errors = data_and_problems(
        await gql(programmes_api, query, fy="2024/25", rag="RED", id=created["id"])
    )
    assert errors == []
    assert data["savingsInitiatives"]["items"] == [  # type: ignore[index]
        {"code": "CF-002", "rag": "RED", "programmeId": str(children["id"])}
    ]
    assert data["savingsInitiative"]["delivered"] == "5.50"  # type: ignore[index]
    _, bad = data_and_problems(
        await gql(programmes_api, query, fy="2024/26", rag=None, id=created["id"])
    )
    assert bad[0]["status"] == 422 and bad[0]["errors"][0]["field"] == "financial_year"
    _, bad_rag = data_and_problems(
        await gql(programmes_api, query, fy=None, rag="Purple", id=created["id"])
    )
    assert bad_rag[0]["errors"][0]["field"] == "rag"


async def test_mutations_check_role_and_input_and_write_nothing(
    programmes_api: httpx.AsyncClient,
) -> None:
    setup = await plan(programmes_api)
    good = {
        "programmeId": str(setup["programmes"]["savings"]["id"]),
        "code": "G-1",
        "title": "Grant Maximisation - Adult Social Care",
        "financialYear": "2024/25",
        "target": "10",
        "forecast": "10",
    }
    before = await changes(programmes_api)
    _, denied = data_and_problems(await gql(programmes_api, CREATE, headers=VIEWER, input=good))
    assert denied[0]["status"] == 403
    for field, value, named in (
        ("target", "-1", "target"),
        ("forecast", "0.001", "forecast"),
        ("financialYear", "2024/2025", "financial_year"),
        ("programmeId", "999", "programme_id"),
    ):
        _, errors = data_and_problems(
            await gql(programmes_api, CREATE, headers=EDITOR, input={**good, field: value})
        )
        assert errors[0]["status"] == 422, (field, errors)
        assert errors[0]["errors"][0]["field"] == named
    assert await changes(programmes_api) == before


async def test_totals(programmes_api: httpx.AsyncClient) -> None:
    setup = await plan(programmes_api)
    p = setup["programmes"]
    await make_initiative(programmes_api, p["savings"]["id"], "T-1", target="0.10", forecast="0.10")
    await make_initiative(
        programmes_api, p["children"]["id"], "T-2", target="0.20", forecast="0.20"
    )
    query = """query($by: SavingsGroupBy!) {
      savingsTotals(groupBy: $by, financialYear: "2024/25") {
        groupBy groups { label aimId target gap count green } total { target forecast count }
      }
    }"""
    data, errors = data_and_problems(await gql(programmes_api, query, by="AIM"))
    assert errors == []
    totals = data["savingsTotals"]  # type: ignore[index]
    assert totals["groupBy"] == "AIM"
    assert [(g["label"], g["target"], g["count"]) for g in totals["groups"]] == [
        ("AIM-1 A Financially Sustainable Council", "0.10", 1),
        ("AIM-3 A Council Delivering Good Services", "0.20", 1),
    ]
    assert totals["total"] == {"target": "0.30", "forecast": "0.30", "count": 2}
    _, bad = data_and_problems(await gql(programmes_api, query, by="colour"))
    assert bad[0]["status"] == 422 and bad[0]["errors"][0]["field"] == "groupBy"


async def test_savings_for_loads_every_programme_in_one_query(
    programmes_api: httpx.AsyncClient,
) -> None:
    setup = await plan(programmes_api)
    p = setup["programmes"]
    await make_initiative(programmes_api, p["savings"]["id"], "S-2", financial_year="2023/24")
    await make_initiative(programmes_api, p["savings"]["id"], "S-1")
    await make_initiative(programmes_api, p["children"]["id"], "C-1")
    ids = [p["savings"]["id"], p["children"]["id"], p["loose"]["id"]]
    # The real Programme type, reached as the gateway reaches it: many programmes in one request.
    with statements(programmes_api, "savings_initiative") as selects:
        data, errors = data_and_problems(
            await gql(
                programmes_api,
                entities("Programme", "{ id savings { code } }"),
                refs=refs("Programme", ids),
            )
        )
    assert errors == []
    assert [[s["code"] for s in r["savings"]] for r in data["_entities"]] == [
        ["S-1", "S-2"],  # newest financial year first
        ["C-1"],
        [],
    ]
    assert len(selects) == 1
