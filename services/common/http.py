"""Outbound HTTP between components: the caller's token and request id travel with each call."""

from __future__ import annotations

from typing import Any

import httpx

from services.common.logging import REQUEST_ID_HEADER, request_id_var


async def _add_request_id(request: httpx.Request) -> None:
    request_id = request_id_var.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def client(base_url: str = "", *, timeout: float = 10.0, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        event_hooks={"request": [_add_request_id]},
        **kwargs,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
