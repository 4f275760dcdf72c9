"""The README, followed as a newcomer would: `./cpmo up` on SQLite with the demo data, then every
shell example in it, run as written (only the ports moved, so a developer's own stack is left
alone); then a second `./cpmo up`, which must refuse the taken ports without touching the first."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.stack import DEFAULT_PORTS, ROOT
from tests.conftest import free_port
from tests.support.graphql import invalid_against_supergraph

pytestmark = pytest.mark.e2e

README = (ROOT / "README.md").read_text()
# `./cpmo up` is the stack this module runs; CI runs `./cpmo test` itself.
FIRST_BLOCK = ["./cpmo up", "./cpmo test"]


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def newcomer_env(ports: dict[str, int], data_dir: Path) -> dict[str, str]:
    """The environment of someone who has only read the README: no test databases or secrets."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("CPMO_") or k.endswith(("_DATABASE_URL", "_MIGRATE_ON_START")))
    }
    env["CPMO_DATA_DIR"] = str(data_dir)
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    return env


def moved(text: str, ports: dict[str, int]) -> str:
    for name, default in DEFAULT_PORTS.items():
        text = text.replace(f"127.0.0.1:{default}", f"127.0.0.1:{ports[name]}")
    return text.replace("./cpmo ", f"{ROOT / 'cpmo'} ")


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, int], dict[str, str]]]:
    ports = {name: free_port() for name in DEFAULT_PORTS}
    home = tmp_path_factory.mktemp("readme")
    env = newcomer_env(ports, home / "data")
    log = (home / "up.log").open("wb")
    process = subprocess.Popen(
        [str(ROOT / "cpmo"), "up"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while "Ctrl-C stops everything." not in (home / "up.log").read_text(errors="replace"):
            assert process.poll() is None, (home / "up.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "./cpmo up was not ready in 240s"
            time.sleep(0.5)
        yield ports, env
    finally:
        # Ctrl-C, as the README says; `cpmo up` stops its five children itself.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    assert "Stopping ..." in (home / "up.log").read_text(errors="replace")


def test_the_first_block_is_up_and_test() -> None:
    commands = [line.split("#")[0].strip() for line in fenced("sh")[0].strip().splitlines()]
    assert commands == FIRST_BLOCK


def test_every_shell_example_runs(
    up: tuple[dict[str, int], dict[str, str]], tmp_path: Path
) -> None:
    ports, env = up
    examples = "\n".join(moved(block, ports) for block in fenced("sh")[1:])
    # Fail on the first command that fails, a curl included (with the body it got).
    script = (
        "set -euo pipefail\n"
        'curl() { command curl --silent --show-error --fail-with-body "$@"; echo; }\n' + examples
    )
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert '"errors"' not in out, out[-3000:]
    # The programmes list, the GraphQL example across three services, the pushed value, the pack.
    assert '"code":"IRP-01"' in out.replace(" ", "")
    assert '"sao":{"name":' in out.replace(" ", "") and '"residualScore"' in out
    assert '"value":0.8' in out.replace(" ", "")
    assert '"signed_off_by":"dev-admin"' in out.replace(" ", ""), out[-2000:]
    # Composed again from its stored cuts, the pack has the same hash.
    assert '"match":true' in out.replace(" ", ""), out[-2000:]
    pack_html = (tmp_path / "pack-1.html").read_text()
    assert "IRP-01" in pack_html and "<html" in pack_html.lower()
    # The demo month's pack: its savings add up to the plan's £149.8m; the PDF is a PDF.
    assert "2025-03" in pack_html and "149,800,000" in pack_html
    assert (tmp_path / "pack.pdf").read_bytes()[:5] == b"%PDF-"
    # The loader's dry run reports what it would make of the 2015 plan, and what it could not read.
    assert "(dry run)" in out and "could not be read" in out


def test_the_layout_migration_command_runs(tmp_path: Path) -> None:
    (command,) = [
        line.strip() for line in README.splitlines() if line.strip().startswith(".venv/bin/alembic")
    ]
    env = newcomer_env({}, tmp_path)
    result = subprocess.run(
        command.split(), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "risks.db").exists()


def test_a_second_up_refuses_the_taken_ports_and_leaves_the_first_alone(
    up: tuple[dict[str, int], dict[str, str]],
) -> None:
    ports, env = up
    result = subprocess.run(
        [str(ROOT / "cpmo"), "up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stdout + result.stderr
    for name, port in ports.items():
        assert f"port {port} ({name}) is already in use" in result.stderr
        assert f"set {name.upper()}_PORT to another port" in result.stderr
    assert "Loading demo data" not in result.stdout and "Traceback" not in result.stderr


def test_the_graphql_examples_are_valid_against_the_supergraph() -> None:
    """Quick, before any process starts: each query the README sends the gateway is valid."""
    queries = [json.loads(body)["query"] for body in re.findall(r"-d '(\{\"query\".*?)'", README)]
    assert queries, "no GraphQL example found in the README"
    for query in queries:
        assert invalid_against_supergraph(query) == [], query
    # The check has teeth: the README's first example once selected `sao` without a selection.
    assert invalid_against_supergraph(queries[0].replace("sao { name }", "sao"))
