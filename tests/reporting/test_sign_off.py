"""Signing off a pack locks the period's highlight reports in the programmes service."""

from __future__ import annotations

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.models import Pack
from services.reporting.service import canonical_sha256
from tests.conftest import ADMIN, EDITOR, VIEWER, settings_override


async def stored_pack(
    api: httpx.AsyncClient, period: str, complete: bool = True, status: str = "reviewed"
) -> int:
    """A pack as composed (composing itself needs the gateway: the e2e test covers that)."""
    content = {
        "period": period,
        "programmes": [],
        "unavailable_sections": [] if complete else ["risks"],
    }
    engine = api._transport.app.state.engine  # type: ignore[attr-defined]
    async with AsyncSession(engine, expire_on_commit=False) as session:
        pack = Pack(
            period=period,
            portfolio_code="IRP-2024",
            generated_by="test",
            content=content,
            html="<p>pack</p>",
            content_sha256=canonical_sha256(content),
            complete=complete,
            status=status,
        )
        session.add(pack)
        await session.commit()
        assert pack.id is not None
        return pack.id


async def test_sign_off_locks_the_period(
    reporting_api: httpx.AsyncClient, live_programmes: str
) -> None:
    pack_id = await stored_pack(reporting_api, "2024-05")
    denied = await reporting_api.post(f"/packs/{pack_id}/sign-off", headers=EDITOR)
    assert denied.status_code == 403
    signed = await reporting_api.post(f"/packs/{pack_id}/sign-off", headers=ADMIN)
    assert signed.status_code == 200, signed.text
    assert signed.json()["signed_off_by"] == "test-admin"
    async with httpx.AsyncClient() as programmes:
        period = (await programmes.get(f"{live_programmes}/periods/2024-05", headers=ADMIN)).json()
    assert period["status"] == "signed_off"
    again = await reporting_api.post(f"/packs/{pack_id}/sign-off", headers=ADMIN)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "pack_id"
    twin = await stored_pack(reporting_api, "2024-05")
    second = await reporting_api.post(f"/packs/{twin}/sign-off", headers=ADMIN)
    assert second.status_code == 409 and "supersedes_id" in second.json()["detail"]
    changes = (await reporting_api.get("/changes", headers=VIEWER)).json()["changes"]
    assert [(c["action"], c["after"]["signed_off_by"]) for c in changes] == [
        ("update", "test-admin")
    ]
    assert (await reporting_api.get(f"/packs/{pack_id}", headers=VIEWER)).json()[
        "status"
    ] == "signed_off"


async def test_incomplete_or_unreachable_writes_nothing(
    reporting_api: httpx.AsyncClient, live_programmes: str
) -> None:
    incomplete = await stored_pack(reporting_api, "2024-06", complete=False)
    refused = await reporting_api.post(f"/packs/{incomplete}/sign-off", headers=ADMIN)
    assert refused.status_code == 409 and "incomplete" in refused.json()["detail"]
    pack_id = await stored_pack(reporting_api, "2024-06")
    with settings_override(reporting_api, programmes_url="http://127.0.0.1:9"):
        down = await reporting_api.post(f"/packs/{pack_id}/sign-off", headers=ADMIN)
    assert down.status_code == 503
    got = (await reporting_api.get(f"/packs/{pack_id}", headers=VIEWER)).json()
    assert got["signed_off_at"] is None
    assert (await reporting_api.get("/changes", headers=VIEWER)).json()["changes"] == []
