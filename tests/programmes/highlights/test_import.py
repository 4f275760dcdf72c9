"""Highlight reports imported from their source text (the council's 2015 report declares no
DCA): stored as the source has them, read back with a null DCA over REST and GraphQL, adding
nothing to the DCA history; importing again writes nothing; submissions still need a DCA."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.common.auth import Principal, Role
from services.common.db import Transaction
from services.common.errors import DomainError
from services.programmes.highlights.models import HighlightReport
from services.programmes.highlights.schemas import DCA, Confidence, NextStep
from services.programmes.highlights.service import import_highlight_report
from tests.conftest import ADMIN, EDITOR, VIEWER
from tests.programmes.highlights.helpers import (
    APRIL_2015,
    errors_field,
    programmes,
    submit,
    submitted,
)
from tests.programmes.highlights.test_graphql import SUBMIT, gql, graphql_input
from tests.support import changes

LOADER = Principal(subject="loader-2015", roles=frozenset({Role.admin}))
STEPS = [NextStep.model_validate(step) for step in APRIL_2015["next_steps"]]


async def load(
    api: httpx.AsyncClient, programme_id: int, **fields: Any
) -> tuple[HighlightReport, bool]:
    """Import through the service in a transaction of its own, as the 2015 loader does."""
    engine = api._transport.app.state.engine  # type: ignore[attr-defined]
    arguments: dict[str, Any] = {
        "period": "2015-04",
        "highlights": APRIL_2015["highlights"],
        "next_steps": STEPS,
        "confidence": Confidence.medium,
        "decisions_needed": APRIL_2015["decisions_needed"],
        **fields,
    }
    async with Transaction(engine) as session:
        return await import_highlight_report(
            session=session, actor=LOADER, programme_id=programme_id, **arguments
        )


async def dca_history(api: httpx.AsyncClient, programme_id: int) -> list[dict[str, Any]]:
    response = await api.get(f"/programmes/{programme_id}/dca", headers=VIEWER)
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_imported_without_dca_reads_back_null(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    before = len(await changes(programmes_api))

    row, created = await load(programmes_api, programme["id"])
    assert created
    assert (row.dca, row.dca_reason, row.revision, row.author) == (None, None, 1, "loader-2015")

    feed = (await changes(programmes_api))[before:]
    assert [(c["entity"], c["action"], c["actor"]) for c in feed] == [
        ("reporting_period", "create", "loader-2015"),
        ("highlight_report", "create", "loader-2015"),
    ]  # and no dca_assessment
    assert feed[1]["after"]["dca"] is None and feed[1]["after"]["dca_reason"] is None
    assert await dca_history(programmes_api, programme["id"]) == []

    got = await programmes_api.get(f"/highlight-reports/{row.id}", headers=VIEWER)
    assert got.status_code == 200, got.text
    report = got.json()
    assert (report["dca"], report["dca_rag"], report["dca_reason"]) == (None, None, None)
    assert (report["period"], report["revision"], report["author"]) == (
        "2015-04",
        1,
        "loader-2015",
    )
    assert report["confidence"] == "Medium" and report["highlights"] == APRIL_2015["highlights"]
    assert [(s["when"], s["when_start"]) for s in report["next_steps"]][:2] == [
        ("Q1", "2015-04-01"),
        ("September 2015", "2015-09-01"),
    ]
    listed = await programmes_api.get("/highlight-reports", headers=VIEWER)
    assert listed.status_code == 200 and listed.json()["items"] == [report]
    by_dca = await programmes_api.get("/highlight-reports?dca=Amber", headers=VIEWER)
    assert by_dca.json()["items"] == []

    # The reporting service's query still works: the DCA fields come back null.
    body = await gql(
        programmes_api,
        "query { programmes { items {"
        " latestHighlightReport { id period dca dcaRag dcaReason } } } }",
        VIEWER,
    )
    assert body.get("errors") is None, body
    assert body["data"]["programmes"]["items"] == [
        {
            "latestHighlightReport": {
                "id": str(row.id),
                "period": "2015-04",
                "dca": None,
                "dcaRag": None,
                "dcaReason": None,
            }
        }
    ]


async def test_importing_again_writes_nothing(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    first, created = await load(programmes_api, programme["id"])
    assert created
    before = await changes(programmes_api)

    # Whatever the second import says, the report already there is returned untouched.
    again, created_again = await load(
        programmes_api, programme["id"], dca=DCA.red, dca_reason="Different", highlights="New"
    )
    assert not created_again
    assert (again.id, again.revision, again.dca, again.highlights) == (
        first.id,
        1,
        None,
        APRIL_2015["highlights"],
    )
    assert await changes(programmes_api) == before
    assert await dca_history(programmes_api, programme["id"]) == []

    # Its current revision, once the report has been revised after sign-off.
    await programmes_api.post("/periods/2015-04/sign-off", headers=ADMIN)
    revised = await programmes_api.patch(
        f"/highlight-reports/{first.id}",
        headers={**EDITOR, "If-Match": '"1"'},
        json={"confidence": "High", "revision_reason": "Corrected"},
    )
    assert revised.status_code == 200, revised.text
    before = await changes(programmes_api)
    current, created_again = await load(programmes_api, programme["id"])
    assert not created_again
    assert (current.id, current.revision) == (revised.json()["id"], 2)
    assert await changes(programmes_api) == before


async def test_import_with_a_dca_records_it(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    row, created = await load(
        programmes_api, programme["id"], dca=DCA.amber_green, dca_reason="  Head of OD appointed "
    )
    assert created and (row.dca, row.dca_reason) == (DCA.amber_green, "Head of OD appointed")
    history = await dca_history(programmes_api, programme["id"])
    assert [(h["dca"], h["reason"], h["author"], h["highlight_report_id"]) for h in history] == [
        ("Amber/Green", "Head of OD appointed", "loader-2015", row.id)
    ]


async def test_rejected_imports_write_nothing(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    other = await submitted(programmes_api, programme["id"], period="2024-06")
    assert (await programmes_api.post("/periods/2024-05/sign-off", headers=ADMIN)).is_success
    before = await changes(programmes_api)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"programme_id": 999}, 404, "programme_id"),
        ({"period": "April 2015"}, 422, "period"),
        ({"period": "2015-13"}, 422, "period"),
        ({"period": "2999-01"}, 422, "period"),  # a month that has not begun
        ({"dca": DCA.amber}, 422, "dca_reason"),  # a DCA comes with its reason
        ({"dca": DCA.amber, "dca_reason": "  "}, 422, "dca_reason"),
        ({"dca_reason": "A reason for nothing"}, 422, "dca"),
        ({"period": "2024-05"}, 409, "period"),  # signed off, with no report in it
    ]
    for fields, status, field in cases:
        programme_id = fields.pop("programme_id", programme["id"])
        with pytest.raises(DomainError) as raised:
            await load(programmes_api, programme_id, **fields)
        assert raised.value.status == status, (fields, raised.value.detail)
        assert raised.value.errors[0]["field"] == field, (fields, raised.value.detail)
    assert await changes(programmes_api) == before
    assert [
        h["highlight_report_id"] for h in await dca_history(programmes_api, programme["id"])
    ] == [other["id"]]


async def test_revising_an_imported_report_may_add_a_dca(
    programmes_api: httpx.AsyncClient,
) -> None:
    (programme,) = await programmes(programmes_api)
    row, _ = await load(programmes_api, programme["id"])
    url = f"/highlight-reports/{row.id}"

    async def patch(version: int, **body: Any) -> httpx.Response:
        return await programmes_api.patch(
            url, headers={**EDITOR, "If-Match": f'"{version}"'}, json=body
        )

    before = len(await changes(programmes_api))
    for body, field in (
        ({"dca": "Amber"}, "dca_reason"),
        ({"dca_reason": "Why"}, "dca"),
        ({"dca": None, "dca_reason": "Why"}, "dca"),
    ):
        refused = await patch(1, **body)
        assert refused.status_code == 422 and errors_field(refused) == field, (body, refused.text)
    assert len(await changes(programmes_api)) == before
    # Nothing to change: sending the DCA's absence again writes nothing.
    same = await patch(1, dca=None, dca_reason=None)
    assert same.status_code == 200 and same.json()["version"] == 1
    assert len(await changes(programmes_api)) == before

    # Open period: an edit without a DCA records none.
    edited = await patch(1, confidence="High")
    assert edited.status_code == 200 and edited.json()["dca"] is None
    assert await dca_history(programmes_api, programme["id"]) == []

    # Signed off: the DCA added is revision 2's, recorded in the history as usual.
    assert (await programmes_api.post("/periods/2015-04/sign-off", headers=ADMIN)).is_success
    added = await patch(2, dca="amber/green", dca_reason="Assessed at TIB", revision_reason="DCA")
    assert added.status_code == 200, added.text
    second = added.json()
    assert (second["revision"], second["dca"], second["dca_rag"], second["dca_reason"]) == (
        2,
        "Amber/Green",
        "Amber",
        "Assessed at TIB",
    )
    history = await dca_history(programmes_api, programme["id"])
    assert [(h["dca"], h["reason"], h["highlight_report_id"]) for h in history] == [
        ("Amber/Green", "Assessed at TIB", second["id"])
    ]
    original = await programmes_api.get(url, headers=VIEWER, params={"revision": 1})
    assert original.json()["dca"] is None and original.json()["superseded"]
    # Once declared, a DCA is not taken away.
    emptied = await patch(second["version"], dca=None)
    assert emptied.status_code == 422 and errors_field(emptied) == "dca"


async def test_submissions_still_declare_a_dca(programmes_api: httpx.AsyncClient) -> None:
    (programme,) = await programmes(programmes_api)
    before = len(await changes(programmes_api))
    body = {k: v for k, v in APRIL_2015.items() if k != "dca"}
    url = f"/programmes/{programme['id']}/highlight-reports"
    missing = await programmes_api.post(url, headers=EDITOR, json=body)
    assert missing.status_code == 422 and errors_field(missing) == "dca", missing.text
    nulls: list[tuple[dict[str, Any], str]] = [
        ({"dca": None}, "dca"),
        ({"dca_reason": None}, "dca_reason"),
    ]
    for fields, field in nulls:
        response = await submit(programmes_api, programme["id"], **fields)
        assert response.status_code == 422 and errors_field(response) == field, response.text
    no_reason = {k: v for k, v in APRIL_2015.items() if k != "dca_reason"}
    response = await programmes_api.post(url, headers=EDITOR, json=no_reason)
    assert response.status_code == 422 and errors_field(response) == "dca_reason"

    # GraphQL: the input type still requires a DCA.
    for name in ("dca", "dcaReason"):
        variables = {k: v for k, v in graphql_input(APRIL_2015).items() if k != name}
        refused = await programmes_api.post(
            "/graphql",
            headers=EDITOR,
            json={
                "query": SUBMIT,
                "variables": {"programme": str(programme["id"]), "input": variables},
            },
        )
        assert refused.json().get("errors"), refused.text
        assert name in refused.json()["errors"][0]["message"], refused.text
    assert len(await changes(programmes_api)) == before
