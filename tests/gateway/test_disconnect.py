"""A client that leaves the gateway stops the gateway's work too: its subgraph fetches are
aborted, so the subgraph sees its connection close (and, being a service, cancels its query:
tests/common/test_disconnect.py). The subgraph here is a stand-in that never answers and
records when the gateway closes the fetch's connection: whether the gateway abandons a fetch
is seen on the wire, whatever the subgraph does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from services.stack import SERVICES, Stack, components
from tests.conftest import VIEWER, free_port

pytestmark = pytest.mark.e2e


class SilentSubgraph:
    """Reads each request and never answers; notes when the peer closes the connection."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.closed = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = await reader.read(65536)
            if not chunk:
                return
            received += chunk
        self.asked.set()
        while await reader.read(65536):
            pass
        self.closed.set()
        writer.close()


async def test_a_client_that_leaves_aborts_the_subgraph_fetch(tmp_path: Path) -> None:
    subgraph = SilentSubgraph()
    server = await asyncio.start_server(subgraph.serve, "127.0.0.1", 0)
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    [gateway] = [c for c in components(ports=ports, log_dir=tmp_path) if c.name == "gateway"]
    gateway.env["PROGRAMMES_URL"] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/graphql"
    running = Stack([gateway])
    await asyncio.to_thread(running.start, 90)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            request = asyncio.create_task(
                client.post(
                    f"http://127.0.0.1:{ports['gateway']}/graphql",
                    json={"query": "{ programmesCut { position } }"},
                    headers=VIEWER,
                )
            )
            await asyncio.wait_for(subgraph.asked.wait(), 30)
            await asyncio.sleep(0.5)
            assert not subgraph.closed.is_set(), "the fetch ended before the client left"
            request.cancel()  # the client gives up: its connection closes
        # The gateway aborts its fetch: the subgraph's connection closes within seconds.
        await asyncio.wait_for(subgraph.closed.wait(), 10)
    finally:
        running.stop()
        server.close()
