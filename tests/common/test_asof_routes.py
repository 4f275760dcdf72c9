"""Every REST read of a service with history can be asked as of a cut: a GET route that reads
the service's records through the live session instead of the read session would silently
answer live for ``?cut=`` and ``CPMO-Cuts`` (as ``GET /outcomes`` once did)."""

from __future__ import annotations

import pytest

# GETs that read no versioned record, or must read live: probes, the feed and the cut
# themselves (positions, not state), a text parser, and the push clients (access control,
# excluded from history).
LIVE_ONLY = {
    "programmes": {"/healthz", "/readyz", "/changes", "/cut", "/timescales/read"},
    "risks": {"/healthz", "/readyz", "/changes", "/cut"},
    "kpis": {
        "/healthz",
        "/readyz",
        "/changes",
        "/cut",
        "/push-clients",
        "/push-clients/{client_id}",
    },
}


@pytest.mark.parametrize("service", sorted(LIVE_ONLY))
def test_every_read_takes_a_cut(service: str) -> None:
    app = __import__(f"services.{service}.main", fromlist=["app"]).app
    reads = {
        path: {p["name"] for p in operations["get"].get("parameters", [])}
        for path, operations in app.openapi()["paths"].items()
        if "get" in operations
    }
    without = {path for path, names in reads.items() if not {"cut", "CPMO-Cuts"} <= names}
    assert without == LIVE_ONLY[service]
