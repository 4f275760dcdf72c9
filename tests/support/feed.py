"""Read a service's whole ``/changes`` feed by following its cursor, as a consumer would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import VIEWER


async def changes(
    api: httpx.AsyncClient, after: int = 0, *, entity: str | None = None
) -> list[dict[str, Any]]:
    """Every change after the cursor ``after`` (of one ``entity`` if named), oldest first, across
    as many pages as it takes."""
    found: list[dict[str, Any]] = []
    while True:
        response = await api.get("/changes", headers=VIEWER, params={"after": after, "limit": 1000})
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["changes"]
        if not page["has_more"]:
            return [c for c in found if entity is None or c["entity"] == entity]
        after = page["next_cursor"]
