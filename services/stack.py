"""Start the four services and the gateway as child processes, wait until each is ready, and
stop them together. Used by ``cpmo up`` and by the end-to-end test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
GATEWAY_DIR = ROOT / "gateway"
SERVICES = ("programmes", "risks", "kpis", "reporting")
DEFAULT_PORTS = {
    "programmes": 8101,
    "risks": 8102,
    "kpis": 8103,
    "reporting": 8104,
    "gateway": 4000,
}


def port_setting(name: str) -> str:
    """The variable that moves ``name``'s port (``PROGRAMMES_PORT``, ``GATEWAY_PORT``)."""
    return f"{name.upper()}_PORT"


def taken_ports(ports: dict[str, int], host: str = "127.0.0.1") -> dict[str, int]:
    """The components whose port something else already listens on.

    Checked by binding, as the component would: a readiness probe cannot tell our process from
    another stack's answering on the same port."""
    taken = {}
    for name, port in ports.items():
        with socket.socket() as probe:
            # As uvicorn and Node do, so a port left in TIME_WAIT by a stopped stack counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                taken[name] = port
    return taken


@dataclass
class Component:
    name: str
    args: list[str]
    env: dict[str, str]
    ready_url: str
    log_path: Path
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        # A process group of its own, so Ctrl-C in the terminal reaches us, and we stop children.
        self.process = subprocess.Popen(
            self.args,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def ready(self) -> bool:
        try:
            return httpx.get(self.ready_url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def tail(self, lines: int = 25) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def components(
    *,
    ports: dict[str, int],
    log_dir: Path,
    env: dict[str, str] | None = None,
    host: str = "127.0.0.1",
) -> list[Component]:
    env = dict(env or {})
    urls = {name: f"http://{host}:{ports[name]}" for name in SERVICES}
    shared = {
        **env,
        "CPMO_GATEWAY_URL": f"http://{host}:{ports['gateway']}/graphql",
        **{f"CPMO_{name.upper()}_URL": url for name, url in urls.items()},
    }
    found = [
        Component(
            name=name,
            args=[
                sys.executable,
                "-m",
                "uvicorn",
                f"services.{name}.main:app",
                "--host",
                host,
                "--port",
                str(ports[name]),
            ],
            env={**shared, f"{name.upper()}_PORT": str(ports[name])},
            ready_url=f"{urls[name]}/readyz",
            log_path=log_dir / f"{name}.log",
        )
        for name in SERVICES
    ]
    gateway_env = {
        **shared,
        "GATEWAY_PORT": str(ports["gateway"]),
        "GATEWAY_HOST": host,
        **{f"{name.upper()}_URL": f"{url}/graphql" for name, url in urls.items()},
    }
    found.append(
        Component(
            name="gateway",
            args=[str(GATEWAY_DIR / "node_modules" / ".bin" / "hive-gateway"), "supergraph"],
            env=gateway_env,
            ready_url=f"http://{host}:{ports['gateway']}/readiness",
            log_path=log_dir / "gateway.log",
            cwd=GATEWAY_DIR,
        )
    )
    return found


class Stack:
    def __init__(self, parts: list[Component]) -> None:
        self.parts = parts

    def __getitem__(self, name: str) -> Component:
        return next(p for p in self.parts if p.name == name)

    def start(self, timeout: float = 90.0) -> float:
        """Start everything and wait until all are ready; returns the seconds it took."""
        started = time.monotonic()
        for part in self.parts:
            part.start()
        waiting = list(self.parts)
        while waiting:
            for part in list(waiting):
                code = part.exited()
                if code is not None:
                    self.stop()
                    raise RuntimeError(f"{part.name} exited with {code}:\n{part.tail()}")
                if part.ready():
                    waiting.remove(part)
            if time.monotonic() - started > timeout:
                self.stop()
                names = ", ".join(p.name for p in waiting)
                raise RuntimeError(f"not ready after {timeout:.0f}s: {names}\n{waiting[0].tail()}")
            if waiting:
                time.sleep(0.2)
        return time.monotonic() - started

    def first_exited(self) -> Component | None:
        return next((p for p in self.parts if p.exited() is not None), None)

    def stop(self) -> None:
        for part in reversed(self.parts):
            part.stop()
