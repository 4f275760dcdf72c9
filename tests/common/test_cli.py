"""The run command refuses the development secret outside development mode, and says why."""

from __future__ import annotations

import os
import subprocess
import sys

from services.common.auth import decode_token
from services.common.settings import DEVELOPMENT_SECRET, CommonSettings
from services.kpis.permissions import kpi_codes
from services.stack import ROOT


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_up_refuses_the_default_secret_in_production() -> None:
    result = run("up", CPMO_MODE="production", CPMO_JWT_SECRET=DEVELOPMENT_SECRET)
    assert result.returncode == 2
    assert "CPMO_JWT_SECRET is the development default" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_prints_a_token_the_services_accept() -> None:
    result = run("token", "--role", "machine", "--kpis", "KPI-01,KPI-02", "--subject", "ledger")
    assert result.returncode == 0, result.stderr
    principal = decode_token(result.stdout.strip(), CommonSettings())
    assert principal.subject == "ledger" and kpi_codes(principal) == {"KPI-01", "KPI-02"}
