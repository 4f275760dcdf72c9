"""Programme names for the maps, asked of the programmes service over its API. A map is a
read: if that service cannot answer, nodes fall back to ``Programme #id`` rather than fail."""

from __future__ import annotations

import httpx

from services.common.http import bearer


async def programme_labels(
    *, http: httpx.AsyncClient, programmes_url: str, token: str
) -> dict[int, str]:
    labels: dict[int, str] = {}
    offset = 0
    while True:
        try:
            response = await http.get(
                f"{programmes_url.rstrip('/')}/programmes",
                params={"limit": 500, "offset": offset},
                headers=bearer(token),
            )
        except httpx.HTTPError:
            return labels
        if response.status_code != 200:
            return labels
        page = response.json()
        for item in page.get("items", []):
            labels[int(item["id"])] = f"{item['code']} {item.get('name', '')}".strip()
        offset += 500
        if offset >= int(page.get("total", 0)):
            return labels
