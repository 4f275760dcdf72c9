"""The ``kpis`` token claim (a list of KPI codes) that ``cpmo token --kpis`` mints.

Pushes themselves are authorised by the push-client registry (push.authorise): a machine
client's grants there can change, and a client be revoked, without a new token. The claim is
kept for tokens already issued and for tools that read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.common.auth import WRITERS, Principal, Role

CLAIM = "kpis"


def grants(codes: Iterable[str]) -> dict[str, Any]:
    """The token claims granting a machine client the KPIs ``codes``."""
    return {CLAIM: list(codes)}


def kpi_codes(principal: Principal) -> frozenset[str]:
    """The KPI codes ``principal``'s token grants."""
    granted = principal.claims.get(CLAIM) or []
    return frozenset(str(c) for c in granted) if isinstance(granted, list) else frozenset()


def may_push_kpi(principal: Principal, code: str) -> bool:
    if principal.has_any(WRITERS):
        return True
    return Role.machine in principal.roles and code in kpi_codes(principal)
