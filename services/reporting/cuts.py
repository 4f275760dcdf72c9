"""The cuts a pack is composed at: one position of each service's change feed (docs/asof.md).

Composing takes ``GET /cut`` from every service the pack reads and reads everything at those
cuts: the gateway query with the ``CPMO-Cuts`` header, the REST reads with ``?cut=``. The cuts
are stored with the pack, so composing again from them later reads the same state and must give
the same canonical JSON. A service that has no ``GET /cut`` (404) is read live and named so.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.common.asof import CUTS_HEADER
from services.common.errors import DomainError, UpstreamUnavailable
from services.common.http import bearer

# Every service whose data a pack shows (the gateway reads them; reporting reads only itself).
SERVICES = ("programmes", "risks", "kpis")

# A service's cut as stored: {"position": N, "at": ISO instant or None}; None: read live.
Cuts = dict[str, dict[str, Any] | None]


class CutGone(DomainError):
    status = 410
    code = "cut-gone"
    title = "A service no longer has the pack's cut"


def urls(settings: Any) -> dict[str, str]:
    return {name: getattr(settings, f"{name}_url") for name in SERVICES}


async def _current(http: httpx.AsyncClient, name: str, url: str, token: str) -> dict[str, Any]:
    """``GET /cut`` of one service; ``{}`` if it has none (it reads live)."""
    try:
        response = await http.get(f"{url}/cut", headers=bearer(token))
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(f"{name} did not answer GET /cut: {exc}", field=name) from exc
    if response.status_code == 404:
        return {}
    if response.status_code != 200:
        raise UpstreamUnavailable(f"{name} answered {response.status_code} to GET /cut", field=name)
    body: dict[str, Any] = response.json()
    return body


async def take(*, http: httpx.AsyncClient, urls: dict[str, str], token: str) -> Cuts:
    """Each service's cut now. A service that does not answer is left to the gateway, which
    blanks its sections (the pack is then incomplete); one without cuts is read live."""
    taken: Cuts = {}
    for name, url in urls.items():
        try:
            now = await _current(http, name, url, token)
        except UpstreamUnavailable:
            taken[name] = None
            continue
        taken[name] = {"position": now["position"], "at": now["at"]} if now else None
    return taken


async def check(*, http: httpx.AsyncClient, urls: dict[str, str], token: str, cuts: Cuts) -> None:
    """Before composing again from stored cuts: every service answers (503 naming the one that
    does not), and still has each stored cut (410 naming the one whose history no longer
    reaches it). Nothing is read at a cut that cannot be read honestly."""
    for name, url in urls.items():
        now = await _current(http, name, url, token)
        stored = cuts.get(name)
        if stored is None:
            continue
        if not now:
            raise CutGone(f"{name} no longer answers GET /cut: it cannot read the past", field=name)
        position = int(stored["position"])
        if position < int(now["origin"]):
            raise CutGone(
                f"{name}'s history begins at position {now['origin']}; the pack was composed "
                f"at {position}, before it",
                field=name,
            )
        if position > int(now["position"]):
            raise CutGone(
                f"{name} is at position {now['position']}, before the pack's cut {position}: "
                "its history was replaced",
                field=name,
            )


def header(cuts: Cuts) -> dict[str, str]:
    """The ``CPMO-Cuts`` header for the gateway query, or no header if everything reads live."""
    named = [f"{name}={cut['position']}" for name, cut in sorted(cuts.items()) if cut]
    return {CUTS_HEADER: ", ".join(named)} if named else {}


def read_live(cuts: Cuts) -> list[str]:
    return sorted(name for name, cut in cuts.items() if cut is None)


def described(cuts: Cuts) -> dict[str, Any]:
    """What the pack's JSON says about its cuts (hashed with it: positions and their commit
    times, no clock of the composing)."""
    return {
        "cuts": {name: cuts[name] for name in sorted(cuts)},
        "read_live": read_live(cuts),
    }
