"""What the as-of property tests share: the live reads taken at a cut, and the check that every
one of them reads the same, byte for byte, as of its cut after everything that came later."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from tests.conftest import VIEWER

# A cut's position, and each path's live body read there.
Seen = tuple[str, dict[str, bytes]]


async def read_at_cut(api: httpx.AsyncClient, paths: Iterable[str]) -> Seen:
    position = (await api.get("/cut", headers=VIEWER)).json()["position"]
    reads = {}
    for path in paths:
        response = await api.get(path, headers=VIEWER)
        assert response.status_code == 200, (path, response.text)
        reads[path] = response.content
    return str(position), reads


async def assert_cuts_read_as_then(api: httpx.AsyncClient, seen: Iterable[Seen]) -> None:
    for position, reads in seen:
        for path, body in reads.items():
            joiner = "&" if "?" in path else "?"
            past = await api.get(f"{path}{joiner}cut={position}", headers=VIEWER)
            assert past.status_code == 200, (path, position, past.text)
            assert past.content == body, (path, position)
