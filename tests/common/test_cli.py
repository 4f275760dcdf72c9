"""The command line: help on every command starts nothing; `up` refuses what it cannot do (the
development secret outside development mode, a taken port) and says why."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from services.common.auth import decode_token
from services.common.settings import DEVELOPMENT_SECRET, CommonSettings
from services.kpis.permissions import kpi_codes
from services.stack import ROOT, taken_ports
from tests.conftest import free_port


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


def cpmo(*args: str) -> subprocess.CompletedProcess[str]:
    """The script itself, as the README runs it."""
    return subprocess.run(
        [str(ROOT / "cpmo"), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_help_lists_every_command() -> None:
    result = cpmo("--help")
    assert result.returncode == 0, result.stderr
    for command in ("up", "test", "seed", "sdl", "load", "pack", "token"):
        assert f"    {command} " in result.stdout, (command, result.stdout)


# The three ways ./cpmo dispatches: its `up` and `test` branches, and the rest (sdl writes files).
@pytest.mark.parametrize("command", ["up", "test", "sdl"])
def test_help_on_a_command_describes_it_and_starts_nothing(command: str) -> None:
    # A port that anything `up` started would have to take: it must stay free.
    port = free_port()
    result = subprocess.run(
        [str(ROOT / "cpmo"), command, "--help"],
        cwd=ROOT,
        env={**os.environ, "PROGRAMMES_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: cpmo {command}"), result.stdout
    assert "cpmo test: gate" not in result.stdout and "Starting CPMO" not in result.stdout
    assert taken_ports({"programmes": port}) == {}


def test_up_refuses_a_taken_port_naming_the_setting_that_moves_it() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run("up", GATEWAY_PORT=str(port))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"port {port} (gateway) is already in use" in result.stderr
    assert "set GATEWAY_PORT to another port" in result.stderr
    assert "Starting" not in result.stdout and "Traceback" not in result.stderr
