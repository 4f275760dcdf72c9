"""Shared set-up for the governance tests: boards, a programme and escalations through REST."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import EDITOR
from tests.programmes.test_api import make_portfolio, make_programme


async def make_board(
    api: httpx.AsyncClient, code: str, name: str, kind: str, **fields: Any
) -> dict:
    response = await api.post(
        "/boards", headers=EDITOR, json={"code": code, "name": name, "kind": kind, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def chain(api: httpx.AsyncClient) -> dict[str, dict]:
    """Children and Families Directorate Board -> TIB -> IRB (the top: no committee here)."""
    irb = await make_board(
        api, "IRB", "Improvement and Recovery Board", "IRB", chair="Commissioners"
    )
    tib = await make_board(
        api,
        "TIB",
        "Transformation and Improvement Board",
        "TIB",
        chair="Chief Executive",
        escalates_to_board_id=irb["id"],
    )
    directorate = await make_board(
        api,
        "DB-CF",
        "Children and Families Directorate Board",
        "Directorate Board",
        directorate="Children and Families",
        chair="Strategic Director of Children and Families",
        escalates_to_board_id=tib["id"],
    )
    return {"irb": irb, "tib": tib, "directorate": directorate}


async def programme(api: httpx.AsyncClient, **extra: Any) -> dict:
    portfolio = await make_portfolio(api)
    return await make_programme(
        api,
        portfolio["id"],
        "IRP-09",
        name="SEND Improvement",
        directorate="Children and Families",
        **extra,
    )


async def raise_escalation(api: httpx.AsyncClient, **fields: Any) -> dict:
    body = {
        "kind": "programme_exception",
        "title": "EHCP timeliness tolerance forecast to break",
        "reason": "Needs funding for additional caseworkers beyond the directorate's authority",
        **fields,
    }
    response = await api.post("/escalations", headers=EDITOR, json=body)
    assert response.status_code == 201, response.text
    return response.json()
