"""A pack's life over REST: draft, reviewed, signed off; corrections supersede; any two packs
compare; bad input is a specific 4xx and writes nothing."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import clock
from services.reporting.models import Pack
from services.reporting.sections.pack import compose
from services.reporting.service import canonical_sha256, render_html
from services.stack import ROOT
from tests.conftest import ADMIN, EDITOR, VIEWER, auth, settings_override
from tests.reporting import demo_pack
from tests.support.feed import changes
from tests.support.race import rendezvous

GATEWAY_DOWN = {"gateway_url": "http://127.0.0.1:9/graphql"}


async def store(api: httpx.AsyncClient, period: str = "2024-07", **fields: Any) -> int:
    content = fields.pop("content", {"period": period, "programmes": []})
    engine = api._transport.app.state.engine  # type: ignore[attr-defined]
    async with AsyncSession(engine, expire_on_commit=False) as session:
        pack = Pack(
            period=period,
            portfolio_code=fields.pop("portfolio_code", "IRP-2024"),
            generated_by=fields.pop("generated_by", "test"),
            content=content,
            html=fields.pop("html", "<h1>pack</h1>"),
            content_sha256=canonical_sha256(content),
            **fields,
        )
        session.add(pack)
        await session.commit()
        assert pack.id is not None
        return pack.id


async def test_a_month_to_come_is_refused_before_anything_is_read(
    reporting_api: httpx.AsyncClient,
) -> None:
    today = clock.today()
    ahead = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    with settings_override(reporting_api, **GATEWAY_DOWN):
        future = await reporting_api.post(
            "/packs", headers=EDITOR, json={"period": ahead.strftime("%Y-%m")}
        )
        # The month under way is reportable: it gets as far as the (unreachable) gateway.
        current = await reporting_api.post(
            "/packs", headers=EDITOR, json={"period": today.strftime("%Y-%m")}
        )
    assert future.status_code == 422, future.text
    assert future.json()["errors"][0]["field"] == "period"
    assert current.status_code == 503
    assert (await reporting_api.get("/packs", headers=VIEWER)).json() == []
    assert await changes(reporting_api) == []


async def test_bad_asks_and_ids_are_refused(reporting_api: httpx.AsyncClient) -> None:
    for body, field in (
        ({"period": "2024-07", "asks": [{"kind": "approve", "text": "x"}]}, "asks.0.kind"),
        ({"period": "2024-07", "asks": [{"kind": "note", "text": "a\x00b"}]}, "asks.0.text"),
        ({"period": "2024-07", "supersedes_id": 2**40}, "supersedes_id"),
    ):
        response = await reporting_api.post("/packs", headers=EDITOR, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    assert (await reporting_api.get(f"/packs/{2**40}", headers=VIEWER)).status_code == 422
    assert (await reporting_api.get("/packs/0.pdf", headers=VIEWER)).status_code == 422


async def test_draft_reviewed_signed_then_frozen(
    reporting_api: httpx.AsyncClient, live_programmes: str
) -> None:
    pack = await store(reporting_api, "2024-03")
    too_early = await reporting_api.post(f"/packs/{pack}/sign-off", headers=ADMIN)
    assert too_early.status_code == 409 and "draft" in too_early.json()["detail"]
    assert (await reporting_api.post(f"/packs/{pack}/review", headers=VIEWER)).status_code == 403
    reviewed = await reporting_api.post(f"/packs/{pack}/review", headers=EDITOR)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "reviewed"
    assert reviewed.json()["reviewed_by"] == "test-editor"
    again = await reporting_api.post(f"/packs/{pack}/review", headers=EDITOR)
    assert again.status_code == 409
    signed = await reporting_api.post(f"/packs/{pack}/sign-off", headers=ADMIN)
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    twice = await reporting_api.post(f"/packs/{pack}/sign-off", headers=ADMIN)
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "pack_id"
    frozen = await reporting_api.post(f"/packs/{pack}/review", headers=EDITOR)
    assert frozen.status_code == 409
    assert [c["after"].get("status") for c in await changes(reporting_api)] == [
        "reviewed",
        None,  # the sign-off's entry records who and when
    ]


async def test_only_the_latest_pack_is_signed_off(
    reporting_api: httpx.AsyncClient, live_programmes: str
) -> None:
    older = await store(reporting_api, "2024-04", status="reviewed")
    newer = await store(reporting_api, "2024-04", status="reviewed")
    refused = await reporting_api.post(f"/packs/{older}/sign-off", headers=ADMIN)
    assert refused.status_code == 409 and f"pack {newer} is newer" in refused.json()["detail"]
    assert await changes(reporting_api) == []
    assert (await reporting_api.post(f"/packs/{newer}/sign-off", headers=ADMIN)).status_code == 200


async def test_a_correction_supersedes_a_signed_pack(
    reporting_api: httpx.AsyncClient, live_programmes: str
) -> None:
    draft = await store(reporting_api, "2024-02")
    signed = await store(reporting_api, "2024-02", status="reviewed")
    assert (await reporting_api.post(f"/packs/{signed}/sign-off", headers=ADMIN)).status_code == 200
    with settings_override(reporting_api, **GATEWAY_DOWN):
        for supersedes, period, status, field in (
            (draft, "2024-02", 409, "supersedes_id"),
            (signed, "2024-01", 422, "supersedes_id"),
            (999, "2024-02", 404, "supersedes_id"),
        ):
            response = await reporting_api.post(
                "/packs",
                headers=EDITOR,
                json={"period": period, "portfolio_code": "IRP-2024", "supersedes_id": supersedes},
            )
            assert response.status_code == status, response.text
            assert response.json()["errors"][0]["field"] == field
    correction = await store(reporting_api, "2024-02", status="reviewed", supersedes_id=signed)
    fixed = await reporting_api.post(f"/packs/{correction}/sign-off", headers=ADMIN)
    assert fixed.status_code == 200, fixed.text
    with settings_override(reporting_api, **GATEWAY_DOWN):
        taken = await reporting_api.post(
            "/packs",
            headers=EDITOR,
            json={"period": "2024-02", "portfolio_code": "IRP-2024", "supersedes_id": signed},
        )
    assert taken.status_code == 409 and f"superseded by pack {correction}" in taken.text
    stray = await store(reporting_api, "2024-02", status="reviewed")
    assert (await reporting_api.post(f"/packs/{stray}/sign-off", headers=ADMIN)).status_code == 409
    got = (await reporting_api.get(f"/packs/{correction}", headers=VIEWER)).json()
    assert got["supersedes_id"] == signed and got["status"] == "signed_off"


async def test_diff_and_formats(reporting_api: httpx.AsyncClient) -> None:
    june = demo_pack.content()
    data = demo_pack.data()
    data["programmes"][1]["latestHighlightReport"]["dca"] = "Red"
    july = compose(period="2024-07", data=data, errors=[])
    first = await store(reporting_api, content=june)
    second = await store(reporting_api, content=july, html=render_html(july))
    diff = await reporting_api.get(
        f"/packs/{second}/diff", headers=VIEWER, params={"against": first}
    )
    assert diff.status_code == 200, diff.text
    was = june["programmes"][1]["dca"]["value"]
    assert {"code": "IRP-02", "from": was, "to": "Red"} in diff.json()["dca_moves"]
    missing = await reporting_api.get(
        f"/packs/{second}/diff", headers=VIEWER, params={"against": 999}
    )
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "against"
    xlsx = await reporting_api.get(f"/packs/{second}.xlsx", headers=VIEWER)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    pdf = await reporting_api.get(f"/packs/{first}.pdf", headers=VIEWER)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    as_json = await reporting_api.get(f"/packs/{second}.json", headers=VIEWER)
    assert as_json.json()["content_sha256"] == canonical_sha256(july)
    assert (await reporting_api.get(f"/packs/{first}.pdf")).status_code == 401


def test_the_readme_names_only_pack_paths_the_service_serves() -> None:
    from services.reporting.main import app

    text = (ROOT / "README.md").read_text()
    section = text[text.index("Compose the board's assurance pack") : text.index("## The plan")]

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}|\b\d+\b", "{}", path.split("?")[0])

    documented = {shape(p) for p in re.findall(r"(?:8104|`)(/packs[^`\s]*)", section)}
    served = {shape(p) for p in app.openapi()["paths"]}
    assert {"/packs/{}.pdf", "/packs/{}/review", "/packs/{}/diff"} <= documented
    assert documented <= served, sorted(documented - served)


async def test_an_editor_does_not_review_their_own_draft(
    reporting_api: httpx.AsyncClient,
) -> None:
    pack = await store(reporting_api, "2024-06", generated_by="test-editor")
    own = await reporting_api.post(f"/packs/{pack}/review", headers=EDITOR)
    assert own.status_code == 403, own.text
    assert own.json()["errors"][0]["field"] == "pack_id"
    assert "another editor" in own.json()["detail"]
    assert await changes(reporting_api) == []
    other = await reporting_api.post(
        f"/packs/{pack}/review", headers=auth("editor", "second-editor")
    )
    assert other.status_code == 200 and other.json()["reviewed_by"] == "second-editor"


async def test_two_admins_signing_at_the_same_instant_sign_once(
    reporting_api: httpx.AsyncClient, live_programmes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests read the pack before either writes (the rendezvous proves they raced);
    the period's lock makes the second see the first's sign-off: one 200, one 409."""
    pack = await store(reporting_api, "2024-01", status="reviewed")
    admins = [auth("admin", "first-admin"), auth("admin", "second-admin")]
    with rendezvous(monkeypatch, lambda sql: f"FROM pack WHERE id = {pack}" in sql):
        answers = await asyncio.gather(
            *(reporting_api.post(f"/packs/{pack}/sign-off", headers=a) for a in admins)
        )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["errors"][0]["field"] == "pack_id"
    assert "was signed off by" in refused.json()["detail"]
    assert [c["action"] for c in await changes(reporting_api)] == ["update"]


async def test_packs_of_every_plan_are_signed_off_once_a_period(
    reporting_api: httpx.AsyncClient, live_programmes: str
) -> None:
    """A pack of every plan has no portfolio: it is still one of its period's packs."""
    older = await store(reporting_api, "2023-12", status="reviewed", portfolio_code=None)
    newer = await store(reporting_api, "2023-12", status="reviewed", portfolio_code=None)
    refused = await reporting_api.post(f"/packs/{older}/sign-off", headers=ADMIN)
    assert refused.status_code == 409 and f"pack {newer} is newer" in refused.json()["detail"]
    assert (await reporting_api.post(f"/packs/{newer}/sign-off", headers=ADMIN)).status_code == 200
    stray = await store(reporting_api, "2023-12", status="reviewed", portfolio_code=None)
    again = await reporting_api.post(f"/packs/{stray}/sign-off", headers=ADMIN)
    assert again.status_code == 409 and "already the signed-off pack" in again.json()["detail"]
